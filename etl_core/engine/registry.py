"""Plugin discovery and the registry the pipeline calls hooks through.

Plugins are found once, at start-up, before any worker thread exists, through the
``etl_core.plugins`` entry-point group. Start-up refuses to continue when a plugin fails to
import, declares no usable plugin-API version (see :func:`api_problem`), implements a hook that
does not exist, declares a record type another plugin owns, or declares a spec that cannot work
(:mod:`etl_core.engine.spec_checks`): a silently missing or miscalibrated clinical processor is
worse
than a refusal. ``ETL_DISABLED_PLUGINS`` (comma-separated names) skips plugins: entry-point
names, and core's replaceable built-ins (``etl-core.generic-checks``, ``etl-core.training-jsonl``;
see :data:`BUILTINS`). A name that matches nothing is logged as a warning, not refused, so that
one environment can serve images with different plugins installed.

Each plugin's settings (:func:`etl_core.contract.hookspecs.etl_settings`) are read from the
environment once, here, and handed to the plugin (``etl_configure``): an invalid value refuses
start-up with one line naming the plugin and the variable, rather than failing every file.

At run time the registry calls each plugin's hook on its own, so that a failure names the
plugin and the hook, and checks what comes back against the contract:

- ``etl_validate`` is called on core's generic checks and on the owner of the batch's record
  type only: another plugin's validator cannot exclude (or crash on) records it does not own.
  Each finding must be well formed (:func:`etl_core.engine.validate.finding_problem`); a figure in a
  message that equals a number in the records is redacted and logged as a contract violation.
  When the findings together leave out every record, the file is quarantined
  (``no_valid_records``).
- ``etl_process`` is asked of the owner only; when it declines (``None``), or nobody owns the
  type, core's fallback describes the batch and says which of the two happened.
- ``etl_emit`` is called on every plugin; artifacts must be :class:`~etl_core.Artifact`
  with safe keys.
"""

from __future__ import annotations

import functools
import importlib.metadata
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import pluggy

from etl_core import PLUGIN_API_VERSION, __version__
from etl_core.builtin import fallback, generic_checks
from etl_core.builtin.fallback import GENERIC_DOMAIN
from etl_core.builtin.training_jsonl import TrainingJsonlWriter
from etl_core.contract import hookspecs
from etl_core.contract.envsettings import EnvSettings, InvalidSettings
from etl_core.contract.errors import ConfigurationError, ProcessorError
from etl_core.contract.figures import redact_figures
from etl_core.contract.model import (
    Artifact,
    Batch,
    Chart,
    Finding,
    PluginCounter,
    ProcessedBatch,
    ProcessResult,
    RecordTypeSpec,
    ValidationReport,
)
from etl_core.contract.windows import FALLBACK_RULES, TypePlan, Window, sort_rules
from etl_core.engine.spec_checks import spec_problems
from etl_core.observability.logs import get_logger

# What only runs when a file is processed or reviewed (the finding checks, which pull in the
# Avro decoder; the charts; the store's key check) is imported inside the methods that use it:
# listing plugins and starting up pay for discovery alone.

ENTRY_POINT_GROUP = "etl_core.plugins"
_COUNTER_NAME = re.compile(r"^etl_[a-z][a-z0-9_]*_total$")
_API_VERSION = re.compile(r"(\d+)(?:\.(\d+))?")
GENERIC_CHECKS = "etl-core.generic-checks"
FALLBACK = "etl-core.fallback"
TRAINING_WRITER = "etl-core.training-jsonl"
BUILTINS = (GENERIC_CHECKS, FALLBACK, TRAINING_WRITER)
"""Names of core's built-in plugins, registered before any installed one. All but
:data:`FALLBACK` may be disabled through ``ETL_DISABLED_PLUGINS`` (to replace core's generic
checks or its training writer with a plugin's); the fallback is what answers for record types
no plugin owns, so it cannot be."""
DEBUG_HINT = "etl run --debug, or ETL_LOG_LEVEL=DEBUG, logs the traceback"
_MAX_DETAIL = 200

__all__ = [
    "BUILTINS",
    "ENTRY_POINT_GROUP",
    "GENERIC_DOMAIN",
    "PluginInfo",
    "PluginLoadError",
    "PluginRegistry",
    "api_problem",
    "generic_spec",
    "load_plugins",
    "result_problem",
]


class PluginLoadError(ConfigurationError):
    """Start-up cannot continue with the installed plugins; the message says which and why."""

    error_type = "plugin_load_error"


@dataclass(frozen=True, slots=True)
class PluginInfo:
    name: str
    distribution: str
    version: str
    record_types: tuple[str, ...] = ()
    builtin: bool = False

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}"


def api_problem(declared: object) -> str | None:
    """Why a plugin module declaring ``ETL_PLUGIN_API = declared`` cannot run on this core, or
    ``None`` when it can.

    The semantic: ``ETL_PLUGIN_API`` is a string ``"MAJOR"`` or ``"MAJOR.MINOR"``. The major
    must equal this core's (:data:`etl_core.PLUGIN_API_VERSION`): majors break the contract.
    A minor only adds optional things, so a plugin written for ``"1.0"`` runs on every 1.x
    core, while one written for a newer minor than this core offers (``"1.9"`` on core 1.0)
    may rely on something this core lacks and is refused.
    """
    if declared is None:
        return (
            "does not declare ETL_PLUGIN_API; set ETL_PLUGIN_API = "
            f'"{PLUGIN_API_VERSION.split(".")[0]}" in its hook module (the plugin API major it '
            "is written for)"
        )
    match = _API_VERSION.fullmatch(declared) if isinstance(declared, str) else None
    if match is None:
        return (
            f'declares ETL_PLUGIN_API = {declared!r}, but it must be a string "MAJOR" or '
            f'"MAJOR.MINOR", such as "{PLUGIN_API_VERSION.split(".")[0]}"'
        )
    core_major, _, core_minor = PLUGIN_API_VERSION.partition(".")
    if int(match.group(1)) != int(core_major):
        return (
            f"targets plugin API {declared!r}, but this etl-core provides {PLUGIN_API_VERSION}; "
            f"install a version of the plugin made for plugin API {core_major}"
        )
    if match.group(2) is not None and int(match.group(2)) > int(core_minor or 0):
        return (
            f"needs plugin API {declared}, newer than this etl-core's {PLUGIN_API_VERSION}; "
            "upgrade etl-core"
        )
    return None


def _plugin_raised(plugin: str, hook: str, exc: Exception, doing: str) -> ProcessorError:
    """A plugin's exception as one line naming the plugin and the hook. Figures in the
    exception's own message are redacted (it may quote a health value); the traceback stays
    on ``__cause__`` for DEBUG logs."""
    detail = " ".join(redact_figures(str(exc)).split())
    if len(detail) > _MAX_DETAIL:
        detail = detail[: _MAX_DETAIL - 3] + "..."
    text = f"plugin {plugin!r} raised {type(exc).__name__} in {hook} while {doing}"
    if detail:
        text += f": {detail}"
    return ProcessorError(f"{text} ({DEBUG_HINT})", plugin=plugin, hook=hook)


def _plugin_broke(plugin: str, hook: str, doing: str, problem: str) -> ProcessorError:
    return ProcessorError(
        f"plugin {plugin!r} broke the plugin contract in {hook} while {doing}: {problem}",
        plugin=plugin,
        hook=hook,
    )


def result_problem(result: object, declared_counters: set[str]) -> str | None:
    """What makes an owner's ``etl_process`` result unusable (``None`` when it is fine)."""
    if not isinstance(result, ProcessResult):
        return f"returned a {type(result).__name__}, not an etl_core.ProcessResult or None"
    if result.generic:
        return "set ProcessResult.generic, which only core's fallback sets"
    for name in ("narrative", "summary"):
        text = getattr(result, name)
        if not isinstance(text, str) or not text.strip():
            return f"ProcessResult.{name} is empty"
    for name in ("insights", "events", "counters"):
        if not isinstance(getattr(result, name), Mapping):
            return f"ProcessResult.{name} is not a mapping"
    try:
        json.dumps(result.insights, allow_nan=False)
    except (TypeError, ValueError) as exc:
        kind = "NaN or infinity" if isinstance(exc, ValueError) else "a value JSON cannot hold"
        return f"ProcessResult.insights holds {kind}"
    if not all(
        isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) and v >= 0
        for k, v in result.events.items()
    ):
        return "ProcessResult.events must map event names to counts (integers >= 0)"
    unknown = sorted(set(result.counters) - declared_counters)
    if unknown:
        return f"ProcessResult.counters names counters not declared through etl_metrics: {unknown}"
    if any(not isinstance(v, int | float) or v < 0 for v in result.counters.values()):
        return "ProcessResult.counters only take increments >= 0"
    moments = [m for m in (result.data_start, result.data_end) if m is not None]
    if any(not isinstance(m, datetime) or m.tzinfo is None for m in moments):
        return "ProcessResult.data_start/data_end must be aware datetimes"
    if len(moments) == 2 and moments[0] > moments[1]:
        return "ProcessResult.data_start is after data_end"
    return None


HookCaller = Callable[..., Any]


@dataclass
class PluginRegistry:
    """The loaded plugins and their record types. Read-only after :func:`load_plugins`."""

    manager: pluggy.PluginManager
    plugins: dict[str, PluginInfo]
    specs: dict[str, RecordTypeSpec]
    owners: dict[str, str]
    counters: list[PluginCounter] = field(default_factory=list)
    disabled: dict[str, PluginInfo] = field(default_factory=dict)
    """Plugins that exist (core's built-ins, installed entry points) but that
    ``ETL_DISABLED_PLUGINS`` kept out, by name, for listings. Disabled entry points are never
    imported, so their record types are unknown."""
    settings: dict[str, Any] = field(default_factory=dict)
    """Each plugin's validated settings (plugins declaring none are absent), as handed to its
    ``etl_configure``."""
    _callers: dict[tuple[str, str], HookCaller] = field(default_factory=dict)
    """One caller per (hook, plugin) for the plugins that implement it, built at load time so
    that worker threads only read them."""
    window_plan: dict[str, TypePlan] = field(default_factory=dict)
    """Owned record types -> their owner's window rules and time fields (no rules: the owner
    processes each upload through ``etl_process``)."""

    def spec_for(self, record_type: str, writer_schema: Mapping[str, Any] | None) -> RecordTypeSpec:
        """The owner's spec, or a generic one derived from the file's own schema."""
        spec = self.specs.get(record_type)
        return spec if spec is not None else generic_spec(record_type, writer_schema)

    def plan_for(self, record_type: str, spec: RecordTypeSpec) -> TypePlan:
        """The window plan of a record type: its owner's, or, for a type nobody owns, core's
        fallback describing each local day."""
        plan = self.window_plan.get(record_type)
        if plan is not None:
            return plan
        return TypePlan(FALLBACK_RULES, tuple(spec.time_fields))

    def windowed(self, record_type: str, spec: RecordTypeSpec) -> bool:
        return bool(self.plan_for(record_type, spec).rules)

    def process_window(
        self, window: Window, spec: RecordTypeSpec
    ) -> tuple[ProcessResult | None, str]:
        """Ask the owner (or, for a type nobody owns, core's fallback) for a window's result;
        returns it (``None``: nothing to describe) and the processor's label."""
        generic_label = f"etl-core generic {__version__}"
        owner = self.owner_of(window.record_type)
        name = owner.name if owner else FALLBACK
        doing = f"processing {window.record_type} {window.key}"
        try:
            if owner is None:
                result = fallback.etl_process_window(window=window, spec=spec)
            else:
                caller = self._callers.get(("etl_process_window", owner.name))
                result = caller(window=window, spec=spec) if caller is not None else None
        except Exception as exc:
            raise _plugin_raised(name, "etl_process_window", exc, doing) from exc
        if result is None or owner is None:
            return result, generic_label
        problem = result_problem(result, {c.name for c in self.counters})
        if problem:
            raise _plugin_broke(name, "etl_process_window", doing, problem)
        return result, owner.label

    def review_charts(
        self, window: Window, insights: Mapping[str, Any], spec: RecordTypeSpec
    ) -> tuple[list[Chart], str]:
        """The owner's charts of a window for ``etl review``, checked; core's generic chart when
        nobody owns the type, the owner does not implement ``etl_review_charts`` or returns
        ``None``. Returns the charts and who drew them."""
        generic_label = f"etl-core generic {__version__}"
        owner = self.owner_of(window.record_type)
        caller = self._callers.get(("etl_review_charts", owner.name)) if owner else None
        from etl_core.review.generic import generic_charts
        from etl_core.review.svg import chart_problem

        if owner is None or caller is None:
            return list(generic_charts(window, spec.time_fields)), generic_label
        doing = f"drawing {window.record_type} {window.key}"
        try:
            result = caller(window=window, insights=insights, spec=spec)
        except Exception as exc:
            raise _plugin_raised(owner.name, "etl_review_charts", exc, doing) from exc
        if result is None:
            return list(generic_charts(window, spec.time_fields)), generic_label
        if isinstance(result, str | bytes | Mapping) or not isinstance(result, Iterable):
            problem = f"returned a {type(result).__name__}, not a list of charts"
            raise _plugin_broke(owner.name, "etl_review_charts", doing, problem)
        charts = list(result)
        for chart in charts:
            wrong = chart_problem(chart)
            if wrong:
                raise _plugin_broke(owner.name, "etl_review_charts", doing, wrong)
        return charts, owner.label

    def owner_of(self, record_type: str) -> PluginInfo | None:
        name = self.owners.get(record_type)
        return self.plugins[name] if name else None

    def own_hook(self, hook: str, plugin: str) -> HookCaller | None:
        """``plugin``'s own implementation of ``hook`` alone (called with keyword arguments,
        returning a list of results, or one result for a first-result hook), or ``None`` when it
        does not implement the hook. For the contract suite, which calls a plugin's hooks on
        batches core would never show it."""
        return self._callers.get((hook, plugin))

    def implementers(self, hook: str) -> list[str]:
        """The plugins implementing ``hook``, in registration order (core's built-ins first)."""
        return [name for name in self.plugins if (hook, name) in self._callers]

    def validate(self, batch: Batch, spec: RecordTypeSpec) -> list[Finding]:
        """Findings of core's generic checks and of the record type's owner (no one else),
        checked against the contract, plus ``no_valid_records`` when together they leave out
        every record."""
        from etl_core.engine.validate import with_no_valid_records

        asked = [GENERIC_CHECKS]
        if batch.record_type in self.owners:
            asked.append(self.owners[batch.record_type])
        findings: list[Finding] = []
        for name in asked:
            caller = self._callers.get(("etl_validate", name))
            if caller is None:
                continue
            doing = f"validating {batch.source.key}"
            try:
                results = caller(batch=batch, spec=spec)
            except Exception as exc:
                raise _plugin_raised(name, "etl_validate", exc, doing) from exc
            own: list[Finding] = []
            for result in results:
                if result is None:
                    continue
                if isinstance(result, str | bytes | Mapping) or not isinstance(result, Iterable):
                    problem = f"returned a {type(result).__name__}, not a list of findings"
                    raise _plugin_broke(name, "etl_validate", doing, problem)
                own.extend(result)
            if name != GENERIC_CHECKS:
                own = self._checked_findings(name, batch, spec, own)
            findings.extend(own)
        return with_no_valid_records(findings, len(batch.records))

    def _checked_findings(
        self, plugin: str, batch: Batch, spec: RecordTypeSpec, findings: list[Finding]
    ) -> list[Finding]:
        from etl_core.engine.validate import allowed_in_messages, finding_problem, quoted_values

        doing = f"validating {batch.source.key}"
        for finding in findings:
            problem = finding_problem(finding, len(batch.records))
            if problem:
                raise _plugin_broke(plugin, "etl_validate", doing, problem)
        allowed = allowed_in_messages(findings, len(batch.records), spec)
        checked = []
        for finding in findings:
            quoted = quoted_values(finding.message, batch.records, allowed)
            if quoted:
                # Never log the figures themselves: they are the health values.
                _log.warning(
                    "plugin_contract_violation",
                    plugin=plugin,
                    hook="etl_validate",
                    rule="finding_message_quotes_a_record_value",
                    finding_code=finding.code,
                    figures_redacted=len(quoted),
                    record_type=batch.record_type,
                    correlation_id=batch.correlation_id,
                    source_key=batch.source.key,
                )
                finding = replace(finding, message=redact_figures(finding.message, quoted))
            checked.append(finding)
        return checked

    def process(
        self, batch: Batch, spec: RecordTypeSpec, validation: ValidationReport
    ) -> tuple[ProcessResult, str]:
        """Ask the owner; when there is none, or it declines, core's fallback describes the
        batch. Returns the result and the processor's label."""
        generic_label = f"etl-core generic {__version__}"
        owner = self.owner_of(batch.record_type)
        caller = self._callers.get(("etl_process", owner.name)) if owner else None
        if owner is None or caller is None:
            return fallback.describe(batch, spec, declined_by=None), generic_label
        doing = f"processing {batch.source.key}"
        try:
            result = caller(batch=batch, spec=spec, validation=validation)
        except Exception as exc:
            raise _plugin_raised(owner.name, "etl_process", exc, doing) from exc
        if result is None:
            return fallback.describe(batch, spec, declined_by=owner.name), generic_label
        problem = result_problem(result, {c.name for c in self.counters})
        if problem:
            raise _plugin_broke(owner.name, "etl_process", doing, problem)
        return result, owner.label

    def emit(self, processed: ProcessedBatch) -> list[Artifact]:
        """Every plugin's artifacts, in registration order (core's training writer first)."""
        artifacts: list[Artifact] = []
        doing = f"emitting {processed.batch.source.key}"
        for name in self.implementers("etl_emit"):
            try:
                results = self._callers[("etl_emit", name)](processed=processed)
            except Exception as exc:
                raise _plugin_raised(name, "etl_emit", exc, doing) from exc
            for result in results:
                if result is None:
                    continue
                if isinstance(result, str | bytes | Mapping) or not isinstance(result, Iterable):
                    problem = f"returned a {type(result).__name__}, not a list of artifacts"
                    raise _plugin_broke(name, "etl_emit", doing, problem)
                for artifact in result:
                    wrong = _artifact_problem(artifact)
                    if wrong:
                        raise _plugin_broke(name, "etl_emit", doing, wrong)
                    artifacts.append(artifact)
        return artifacts


def _artifact_problem(artifact: object) -> str | None:
    from etl_core.stores.objects.base import UnsafeKeyError, check_key

    if not isinstance(artifact, Artifact):
        return f"returned a {type(artifact).__name__} among its artifacts, not an Artifact"
    if not isinstance(artifact.data, bytes):
        return f"artifact {artifact.key!r} holds {type(artifact.data).__name__}, not bytes"
    try:
        check_key(artifact.key) if isinstance(artifact.key, str) else check_key("")
    except UnsafeKeyError:
        return f"artifact key {artifact.key!r} is not a safe relative key under the output root"
    return None


_log = get_logger("etl.plugins")


def generic_spec(record_type: str, writer_schema: Mapping[str, Any] | None) -> RecordTypeSpec:
    fields = {
        f.get("name") for f in (writer_schema or {}).get("fields", []) if isinstance(f, Mapping)
    }
    time_fields: tuple[str, ...] = ()
    if {"startTimeEpochMillis", "endTimeEpochMillis"} <= fields:
        time_fields = ("startTimeEpochMillis", "endTimeEpochMillis")
    elif "timeEpochMillis" in fields:
        time_fields = ("timeEpochMillis",)
    return RecordTypeSpec(
        name=record_type,
        health_domain=GENERIC_DOMAIN,
        reader_schema=None,
        required_fields=("metadata.id",) if "metadata" in fields else (),
        time_fields=time_fields,
        instructions=(
            f"Describe the {record_type} data in this health export.",
            f"What does this {record_type} upload contain?",
        ),
    )


def _detail(exc: BaseException) -> str:
    """An exception's text on one line, cut to a length a start-up refusal can show."""
    return " ".join(str(exc).split())[:_MAX_DETAIL]


def _call_hook(plugin: str, hook: str, call: Callable[[], object]) -> object:
    """``call()``, a start-up hook of one plugin; what it raises refuses start-up naming both."""
    try:
        return call()
    except Exception as exc:
        raise PluginLoadError(
            f"plugin {plugin!r} raised {type(exc).__name__} in {hook}: {_detail(exc)}"
        ) from exc


def _declared(plugin: str, hook: str, call: Callable[[], object], what: str) -> list[Any]:
    """Run a discovery hook of one plugin; anything but a sequence (or ``None``) is refused."""
    result = _call_hook(plugin, hook, call)
    if result is None:
        return []
    if isinstance(result, str | bytes | Mapping) or not isinstance(result, Iterable):
        raise PluginLoadError(
            f"plugin {plugin!r}: {hook} returned a {type(result).__name__}, not a list of {what}"
        )
    return list(result)


def settings_variable(settings_class: type[Any], loc: Sequence[int | str]) -> str:
    """The environment variable behind a field (a validation error's location) of a settings
    class: for an :class:`EnvSettings`, its prefix and the field; for a pydantic-settings class,
    the field's alias if it has one, else the class's ``env_prefix`` and the field name,
    upper-cased as the environment spells it."""
    name = str(loc[0]) if loc else "?"
    if isinstance(settings_class, type) and issubclass(settings_class, EnvSettings):
        variable = settings_class.variable(name)
    else:
        field_info = settings_class.model_fields.get(name)
        alias = (field_info.validation_alias or field_info.alias) if field_info else None
        if isinstance(alias, str):
            variable = alias
        else:
            variable = f"{settings_class.model_config.get('env_prefix') or ''}{name}"
        if not settings_class.model_config.get("case_sensitive"):
            variable = variable.upper()
    rest = ".".join(str(part) for part in loc[1:])
    return f"{variable} ({rest})" if rest else variable


def _pydantic_settings_problem(settings_class: type[Any], error: Any) -> str:
    """One line about the first invalid setting of a pydantic ``ValidationError``: its variable
    and why (the exception a validator raised, by type, or pydantic's own message). The value
    itself is left out: it may be a secret."""
    errors = error.errors(include_url=False, include_input=False)
    first = errors[0]
    if first["type"] == "extra_forbidden":
        # The env file (.env) is shared with core's and other plugins' variables: a settings
        # class that forbids extra inputs refuses every variable it does not declare.
        found = ", ".join(sorted({str(e["loc"][0]).upper() for e in errors if e["loc"]}))
        return (
            f"cannot read its settings: its env_file holds variables its settings class does "
            f'not declare ({found}); set extra="ignore" in its model_config, since core and '
            "other plugins keep their variables in the same file"
        )
    cause = (first.get("ctx") or {}).get("error")
    why = f"{type(cause).__name__}: {cause}" if isinstance(cause, Exception) else first["msg"]
    return _invalid_setting(settings_variable(settings_class, first["loc"]), why, len(errors))


def _invalid_setting(variable: str, why: str, count: int) -> str:
    more = f" (and {count - 1} more)" if count > 1 else ""
    return f"has an invalid setting {variable}: {' '.join(why.split())}{more}; fix or unset it"


def _is_pydantic_settings(declared: type) -> bool:
    """Whether ``declared`` is a pydantic-settings class; pydantic is imported only when some
    other kind of class makes the question worth its import time."""
    try:
        from pydantic_settings import BaseSettings
    except ModuleNotFoundError:
        return False
    return issubclass(declared, BaseSettings)


def _plugin_settings(plugin: str, declare: Callable[[], object]) -> Any:
    """Instantiate (so read and validate) the settings class a plugin's ``etl_settings``
    declares; ``None`` when it declares none."""
    declared = _call_hook(plugin, "etl_settings", declare)
    if declared is None:
        return None
    if isinstance(declared, type) and issubclass(declared, EnvSettings):
        try:
            return declared()
        except InvalidSettings as exc:
            first = exc.problems[0]
            problem = _invalid_setting(first.variable, first.reason, len(exc.problems))
            raise PluginLoadError(f"plugin {plugin!r} {problem}") from exc
    if not (isinstance(declared, type) and _is_pydantic_settings(declared)):
        what = type(declared).__name__ if not isinstance(declared, type) else declared.__name__
        raise PluginLoadError(
            f"plugin {plugin!r}: etl_settings returned {what}, not a subclass of "
            "etl_core.EnvSettings or pydantic_settings.BaseSettings (return the class, not an "
            "instance)"
        )
    from pydantic import ValidationError

    try:
        return declared()
    except ValidationError as exc:
        raise PluginLoadError(
            f"plugin {plugin!r} {_pydantic_settings_problem(declared, exc)}"
        ) from exc
    except Exception as exc:
        # e.g. pydantic_settings.SettingsError for a complex value that is not JSON.
        raise PluginLoadError(
            f"plugin {plugin!r} cannot read its settings: {type(exc).__name__}: {_detail(exc)}"
        ) from exc


def _configure_plugins(manager: pluggy.PluginManager, names: Sequence[str]) -> dict[str, Any]:
    """Read every plugin's settings and hand each plugin its own, in registration order, before
    any other hook runs: the one place a plugin's configuration is read."""
    declaring = {impl.plugin_name: impl for impl in manager.hook.etl_settings.get_hookimpls()}
    receiving = {impl.plugin_name: impl for impl in manager.hook.etl_configure.get_hookimpls()}
    undeclared = sorted(receiving.keys() - declaring.keys())
    if undeclared:
        raise PluginLoadError(
            f"plugin {undeclared[0]!r} implements etl_configure but declares no settings "
            "through etl_settings; see docs/hooks.md"
        )
    configured: dict[str, Any] = {}
    for name in names:
        if name not in declaring:
            continue
        settings = _plugin_settings(name, declaring[name].function)
        if settings is None:
            continue
        configured[name] = settings
        receiver = receiving.get(name)
        if receiver is None:
            continue
        # Called directly, as the other start-up hooks are, so that a failure names its plugin;
        # pluggy's rule holds: only the arguments the implementation names are passed.
        arguments = {"settings": settings} if "settings" in receiver.argnames else {}
        _call_hook(name, "etl_configure", functools.partial(receiver.function, **arguments))
    return configured


def load_plugins(
    *,
    disabled: Iterable[str] = (),
    training_prefix: str = "training/",
    entry_points: Sequence[importlib.metadata.EntryPoint] | None = None,
) -> PluginRegistry:
    """Discover, check, configure and register every installed plugin but those ``disabled``
    names (entry-point names or core's :data:`BUILTINS` but the fallback); raises
    :class:`PluginLoadError` whose message is one line naming the plugin (and the record type
    and field, for a spec, or the variable, for a setting)."""
    manager = pluggy.PluginManager("etl_core")
    manager.add_hookspecs(hookspecs)
    infos: dict[str, PluginInfo] = {}

    builtins: list[tuple[str, object]] = [
        (GENERIC_CHECKS, generic_checks),
        (FALLBACK, fallback),
        (TRAINING_WRITER, TrainingJsonlWriter(training_prefix)),
    ]
    blocked = set(disabled)
    if FALLBACK in blocked:
        raise PluginLoadError(
            f"{FALLBACK} cannot be disabled: it describes the record types no plugin owns and "
            "the batches their owner declines; remove it from ETL_DISABLED_PLUGINS"
        )
    switched_off: dict[str, PluginInfo] = {}
    for name, plugin in builtins:
        info = PluginInfo(name, "etl-core", __version__, builtin=True)
        if name in blocked:
            switched_off[name] = info
            continue
        manager.register(plugin, name=name)
        infos[name] = info

    found = list(
        entry_points
        if entry_points is not None
        else importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
    )
    unknown = sorted(blocked - set(BUILTINS) - {ep.name for ep in found})
    if unknown:
        # A warning, not a refusal: one deployment's settings may serve images that install
        # different plugins. The names are configuration, not data.
        _log.warning(
            "disabled_plugins_not_found",
            names=unknown,
            hint="ETL_DISABLED_PLUGINS names no installed plugin or core built-in by these",
        )
    for entry_point in sorted(found, key=lambda ep: ep.name):
        distribution = entry_point.dist.name if entry_point.dist else "unknown"
        version = entry_point.dist.version if entry_point.dist else "unknown"
        if entry_point.name in blocked:
            switched_off[entry_point.name] = PluginInfo(entry_point.name, distribution, version)
            continue
        who = f"plugin {entry_point.name!r} from {distribution} {version}"
        if entry_point.name in infos:
            first = infos[entry_point.name].distribution
            raise PluginLoadError(
                f"two plugins are named {entry_point.name!r} ({first} and {distribution}); "
                "uninstall one or disable it with ETL_DISABLED_PLUGINS"
            )
        try:
            plugin = entry_point.load()
        except Exception as exc:
            raise PluginLoadError(
                f"{who} failed to import ({entry_point.value}): {type(exc).__name__}: {exc}. "
                f"Fix or uninstall it, or disable it with ETL_DISABLED_PLUGINS={entry_point.name}"
            ) from exc
        problem = api_problem(getattr(plugin, "ETL_PLUGIN_API", None))
        if problem:
            raise PluginLoadError(f"{who} {problem}")
        try:
            manager.register(plugin, name=entry_point.name)
        except pluggy.PluginValidationError as exc:
            # e.g. a hook implementation taking an argument its hook does not pass.
            raise PluginLoadError(
                f"{who} has a hook implementation that does not match its hook: "
                f"{' '.join(str(exc).split())}; see docs/hooks.md for the signatures"
            ) from exc
        infos[entry_point.name] = PluginInfo(entry_point.name, distribution, version)

    try:
        manager.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginLoadError(
            f"plugin {manager.get_name(exc.plugin)!r} implements a hook that does not exist "
            f"({exc}); "
            "see etl_core.contract.hookspecs for the hook names"
        ) from exc

    configured = _configure_plugins(manager, list(infos))

    specs: dict[str, RecordTypeSpec] = {}
    owners: dict[str, str] = {}
    for impl in manager.hook.etl_record_types.get_hookimpls():
        name = impl.plugin_name
        for spec in _declared(name, "etl_record_types", impl.function, "RecordTypeSpec"):
            problems = spec_problems(spec)
            if problems:
                record_type = getattr(spec, "name", "?")
                more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
                raise PluginLoadError(
                    f"plugin {name!r} declares record type {record_type!r} unusably: "
                    f"{problems[0]}{more}"
                )
            if spec.name in owners:
                raise PluginLoadError(
                    f"record type {spec.name!r} is claimed by two plugins: {owners[spec.name]!r} "
                    f"and {name!r}; disable one with ETL_DISABLED_PLUGINS"
                )
            owners[spec.name] = name
            specs[spec.name] = spec
    for record_type, owner in owners.items():
        info = infos[owner]
        infos[owner] = PluginInfo(
            info.name,
            info.distribution,
            info.version,
            (*info.record_types, record_type),
            info.builtin,
        )

    counters: dict[str, PluginCounter] = {}
    for impl in manager.hook.etl_metrics.get_hookimpls():
        name = impl.plugin_name
        for counter in _declared(name, "etl_metrics", impl.function, "PluginCounter"):
            if not isinstance(counter, PluginCounter):
                raise PluginLoadError(
                    f"plugin {name!r}: etl_metrics returned a {type(counter).__name__}, not a "
                    "PluginCounter"
                )
            if not _COUNTER_NAME.match(counter.name) or counter.name in counters:
                raise PluginLoadError(
                    f"plugin {name!r} declares metric {counter.name!r}: names must "
                    "match etl_<something>_total and be unique"
                )
            counters[counter.name] = counter

    registry = PluginRegistry(
        manager=manager,
        plugins=infos,
        specs=specs,
        owners=owners,
        counters=list(counters.values()),
        disabled=switched_off,
        settings=configured,
    )
    # One caller per plugin and hook, so that a failure is attributed to its plugin.
    everyone = [manager.get_plugin(name) for name in infos]
    for hook in (
        "etl_validate",
        "etl_process",
        "etl_process_window",
        "etl_emit",
        "etl_review_charts",
    ):
        implementing = {impl.plugin_name for impl in getattr(manager.hook, hook).get_hookimpls()}
        for name in infos:
            if name in implementing and name != FALLBACK:
                others = [p for p in everyone if p is not manager.get_plugin(name)]
                registry._callers[(hook, name)] = manager.subset_hook_caller(hook, others)

    # Each owner's windows, asked once: the plan core keeps per record type.
    for record_type, owner in owners.items():
        declared = manager.subset_hook_caller(
            "etl_windows", [p for p in everyone if p is not manager.get_plugin(owner)]
        )
        try:
            rules = sort_rules(declared(spec=specs[record_type]) or ())
        except Exception as exc:
            raise PluginLoadError(
                f"plugin {owner!r} declares unusable windows for {record_type} (etl_windows): "
                f"{type(exc).__name__}: {_detail(exc)}"
            ) from exc
        registry.window_plan[record_type] = TypePlan(rules, tuple(specs[record_type].time_fields))
    return registry
