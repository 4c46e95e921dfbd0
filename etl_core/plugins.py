"""Plugin discovery and the registry the pipeline calls hooks through.

Plugins are found once, at start-up, before any worker thread exists, through the
``etl_core.plugins`` entry-point group. Start-up refuses to continue when a plugin fails to
import, targets another major plugin-API version, implements a hook that does not exist, or
claims a record type another plugin owns: a silently missing clinical processor is worse than
a refusal. ``ETL_DISABLED_PLUGINS`` (comma-separated entry-point names) skips plugins.
"""

from __future__ import annotations

import importlib.metadata
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import pluggy

from etl_core import PLUGIN_API_VERSION, __version__, hookspecs
from etl_core.builtin import fallback, generic_checks
from etl_core.builtin.training_jsonl import TrainingJsonlWriter
from etl_core.errors import ProcessorError
from etl_core.model import (
    Artifact,
    Batch,
    Finding,
    PluginCounter,
    ProcessedBatch,
    ProcessResult,
    RecordTypeSpec,
    ValidationReport,
)
from etl_core.windows import FALLBACK_RULES, TypePlan, Window, sort_rules

ENTRY_POINT_GROUP = "etl_core.plugins"
_COUNTER_NAME = re.compile(r"^etl_[a-z][a-z0-9_]*_total$")
GENERIC_DOMAIN = "unclassified"


class PluginLoadError(Exception):
    """Start-up cannot continue with the installed plugins; the message says which and why."""


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


@dataclass
class PluginRegistry:
    """The loaded plugins and their record types. Read-only after :func:`load_plugins`."""

    manager: pluggy.PluginManager
    plugins: dict[str, PluginInfo]
    specs: dict[str, RecordTypeSpec]
    owners: dict[str, str]
    counters: list[PluginCounter] = field(default_factory=list)
    window_plan: dict[str, TypePlan] = field(default_factory=dict)
    """Owned record types -> their owner's window rules and time fields (no rules: the owner
    processes each upload through ``etl_process``)."""
    _process_callers: dict[str, Callable[..., ProcessResult | None]] = field(default_factory=dict)
    _window_callers: dict[str, Callable[..., ProcessResult | None]] = field(default_factory=dict)

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
        """Ask the owner (or, for a type nobody owns, the fallback) for a window's result;
        returns it (``None``: nothing to describe) and the processor's label."""
        owner = self.owner_of(window.record_type)
        caller = self._window_callers.get(window.record_type) if owner else self._window_callers[""]
        assert caller is not None
        try:
            result = caller(window=window, spec=spec)
        except Exception as exc:
            who = owner.name if owner else "etl-core.fallback"
            raise ProcessorError(
                f"plugin {who!r} raised {type(exc).__name__} in etl_process_window for "
                f"{window.record_type} {window.key}"
            ) from exc
        if result is None or result.generic or owner is None:
            return result, f"etl-core generic {__version__}"
        return result, owner.label

    def owner_of(self, record_type: str) -> PluginInfo | None:
        name = self.owners.get(record_type)
        return self.plugins[name] if name else None

    def validate(self, batch: Batch, spec: RecordTypeSpec) -> list[Finding]:
        findings: list[Finding] = []
        try:
            results = self.manager.hook.etl_validate(batch=batch, spec=spec)
        except Exception as exc:
            raise ProcessorError(
                f"a plugin raised {type(exc).__name__} while validating {batch.source.key}"
            ) from exc
        for result in results:
            if result:
                findings.extend(result)
        return findings

    def process(
        self, batch: Batch, spec: RecordTypeSpec, validation: ValidationReport
    ) -> tuple[ProcessResult, str]:
        """Ask the owner (then the fallback); returns the result and the processor's label."""
        caller = self._process_callers.get(batch.record_type)
        if caller is None:
            caller = self._process_callers[""]
        owner = self.owner_of(batch.record_type)
        try:
            result = caller(batch=batch, spec=spec, validation=validation)
        except Exception as exc:
            who = owner.name if owner else "fallback"
            raise ProcessorError(
                f"plugin {who!r} raised {type(exc).__name__} while processing {batch.source.key}"
            ) from exc
        if result is None:  # pragma: no cover - the fallback always answers
            raise ProcessorError(f"no processor answered for {batch.record_type}")
        if result.generic or owner is None:
            return result, f"etl-core generic {__version__}"
        return result, owner.label

    def emit(self, processed: ProcessedBatch) -> list[Artifact]:
        artifacts: list[Artifact] = []
        try:
            results = self.manager.hook.etl_emit(processed=processed)
        except Exception as exc:
            raise ProcessorError(
                f"a plugin raised {type(exc).__name__} while emitting {processed.batch.source.key}"
            ) from exc
        for result in reversed(results):
            if result:
                artifacts.extend(result)
        return artifacts


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


def _api_compatible(declared: object) -> bool:
    if not isinstance(declared, str | int):
        return False
    return str(declared).split(".", 1)[0] == PLUGIN_API_VERSION.split(".", 1)[0]


def load_plugins(
    *,
    disabled: Iterable[str] = (),
    training_prefix: str = "training/",
    entry_points: Sequence[importlib.metadata.EntryPoint] | None = None,
) -> PluginRegistry:
    """Discover, check and register every installed plugin; raises :class:`PluginLoadError`."""
    manager = pluggy.PluginManager("etl_core")
    manager.add_hookspecs(hookspecs)
    infos: dict[str, PluginInfo] = {}

    builtins: list[tuple[str, object]] = [
        ("etl-core.generic-checks", generic_checks),
        ("etl-core.fallback", fallback),
        ("etl-core.training-jsonl", TrainingJsonlWriter(training_prefix)),
    ]
    for name, plugin in builtins:
        manager.register(plugin, name=name)
        infos[name] = PluginInfo(name, "etl-core", __version__, builtin=True)

    blocked = set(disabled)
    found = (
        entry_points
        if entry_points is not None
        else importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
    )
    for entry_point in sorted(found, key=lambda ep: ep.name):
        if entry_point.name in blocked:
            continue
        distribution = entry_point.dist.name if entry_point.dist else "unknown"
        version = entry_point.dist.version if entry_point.dist else "unknown"
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
                f"plugin {entry_point.name!r} from {distribution} {version} failed to import "
                f"({entry_point.value}): {type(exc).__name__}: {exc}. Fix or uninstall it, or "
                f"disable it with ETL_DISABLED_PLUGINS={entry_point.name}"
            ) from exc
        declared = getattr(plugin, "ETL_PLUGIN_API", None)
        if not _api_compatible(declared):
            raise PluginLoadError(
                f"plugin {entry_point.name!r} from {distribution} {version} targets plugin API "
                f"{declared!r}, but this etl-core provides {PLUGIN_API_VERSION}; install a "
                "matching version of the plugin"
            )
        manager.register(plugin, name=entry_point.name)
        infos[entry_point.name] = PluginInfo(entry_point.name, distribution, version)

    try:
        manager.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginLoadError(
            f"plugin {manager.get_name(exc.plugin)!r} implements a hook that does not exist "
            f"({exc}); "
            "see etl_core.hookspecs for the hook names"
        ) from exc

    specs: dict[str, RecordTypeSpec] = {}
    owners: dict[str, str] = {}
    for impl in manager.hook.etl_record_types.get_hookimpls():
        owned = cast(Sequence[RecordTypeSpec] | None, impl.function())
        for spec in owned or ():
            if spec.name in owners:
                raise PluginLoadError(
                    f"record type {spec.name!r} is claimed by two plugins: {owners[spec.name]!r} "
                    f"and {impl.plugin_name!r}; disable one with ETL_DISABLED_PLUGINS"
                )
            owners[spec.name] = impl.plugin_name
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
        for counter in cast(Sequence[PluginCounter] | None, impl.function()) or ():
            if not _COUNTER_NAME.match(counter.name) or counter.name in counters:
                raise PluginLoadError(
                    f"plugin {impl.plugin_name!r} declares metric {counter.name!r}: names must "
                    "match etl_<something>_total and be unique"
                )
            counters[counter.name] = counter

    registry = PluginRegistry(
        manager=manager,
        plugins=infos,
        specs=specs,
        owners=owners,
        counters=list(counters.values()),
    )

    # Only the owner and the fallback may answer etl_process for a type; the subset callers are
    # built here, once, so that worker threads only read them.
    def all_but(*keep: str) -> list[object]:
        return [manager.get_plugin(name) for name in infos if name not in keep]

    registry._process_callers[""] = manager.subset_hook_caller(
        "etl_process", all_but("etl-core.fallback")
    )
    registry._window_callers[""] = manager.subset_hook_caller(
        "etl_process_window", all_but("etl-core.fallback")
    )
    for record_type, owner in owners.items():
        registry._process_callers[record_type] = manager.subset_hook_caller(
            "etl_process", all_but("etl-core.fallback", owner)
        )
        registry._window_callers[record_type] = manager.subset_hook_caller(
            "etl_process_window", all_but(owner)
        )
        windows_of = manager.subset_hook_caller("etl_windows", all_but(owner))
        try:
            rules = sort_rules(windows_of(spec=specs[record_type]) or ())
        except Exception as exc:
            raise PluginLoadError(
                f"plugin {owner!r} declares unusable windows for {record_type}: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        registry.window_plan[record_type] = TypePlan(rules, tuple(specs[record_type].time_fields))
    return registry
