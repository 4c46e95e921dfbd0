"""The plugin contract as a reusable pytest suite.

A plugin's tests hold one subclass that names the plugin and gives it samples; pytest then runs
every ``test_*`` method below against the installed plugin::

    from etl_core.testing import PluginContract

    class TestContract(PluginContract):
        entry_point = "bloodpressure"
        record_types = ("BloodPressureRecord",)

        def valid_sample(self, record_type: str) -> Sample:
            return write_plugin_avro("bloodpressure", record_type, clean_records())

        def invalid_sample(self, record_type: str) -> Sample:
            return [record_with_systolic_900, record_without_an_id]

Everything goes through the same functions the pipeline uses (entry-point discovery, the plugin
registry, core's validation and scoring, the built-in training-example writer), so a plugin that
passes here behaves the same way under ``etl run``. The suite needs no pytest import: failures are
plain assertions with messages that say what the plugin should change.
"""

from __future__ import annotations

import copy
import importlib.metadata
import json
import logging
import random
import threading
from collections.abc import Collection, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any, ClassVar, cast

from structlog.testing import capture_logs

from etl_core.builtin.generic_checks import iter_path
from etl_core.builtin.training_jsonl import instructions_for
from etl_core.contract.errors import ProcessorError, RecordTypeMismatchError
from etl_core.contract.figures import (
    figure_value,
    figures_in,
    supported_values,
    unsupported_figures,
)
from etl_core.contract.model import (
    Artifact,
    Batch,
    ExampleKind,
    Finding,
    ProcessedBatch,
    ProcessResult,
    Record,
    RecordTypeSpec,
    Severity,
    SourceRef,
    UserContext,
    ValidationReport,
)
from etl_core.contract.timeutil import batch_bounds
from etl_core.contract.windows import (
    FALLBACK_RULES,
    MAX_WINDOW_DAYS,
    Window,
    WindowRule,
    build_window,
    record_span,
    window_days_of,
)
from etl_core.engine.decode import SchemaGovernor
from etl_core.engine.job import Job
from etl_core.engine.pipeline import pseudonymise
from etl_core.engine.registry import (
    ENTRY_POINT_GROUP,
    PluginRegistry,
    api_problem,
    generic_spec,
    load_plugins,
    result_problem,
)
from etl_core.engine.spec_checks import spec_problems
from etl_core.engine.stages import FileRun, content_fingerprint, decode_stage, validate_stage
from etl_core.engine.validate import (
    allowed_in_messages,
    finding_problem,
    quoted_values,
    score,
)
from etl_core.engine.window_stage import check_grounded
from etl_core.settings import Settings
from etl_core.stores.objects.base import check_key
from etl_core.testing.fixtures import (
    HEALTH_CONNECT_TYPES,
    export_records,
    health_connect_schema,
    real_samples,
    write_avro,
)
from etl_core.testing.windows import windows_of_records

Sample = bytes | Sequence[Record]
"""Records as the exporter's decoder yields them, or a whole Avro object-container file."""

FOREIGN_RECORD_TYPE = "ContractForeignRecord"
EXAMPLE_METADATA_FIELDS = frozenset(
    {
        "record_type",
        "health_domain",
        "user",
        "correlation_id",
        "source_bucket",
        "source_key",
        "data_start",
        "data_end",
        "processed_at",
        "processor",
        "quality_score",
        "validation_warnings",
        "record_count",
        "clinical_insights",
        "idempotency_key",
        "content_fingerprint",
    }
)
_PROCESSED_AT = datetime(2025, 1, 1, tzinfo=UTC)
_SPAN_TOLERANCE = timedelta(days=1)
"""How far a plugin's own data_start/data_end may reach beyond its records (a local day)."""


def installed_entry_point(name: str) -> importlib.metadata.EntryPoint:
    """The installed ``etl_core.plugins`` entry point called ``name``."""
    installed = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
    found = [ep for ep in installed if ep.name == name]
    assert found, (
        f"no {ENTRY_POINT_GROUP!r} entry point named {name!r} is installed; install the plugin "
        f'(pip install -e .) and check [project.entry-points."{ENTRY_POINT_GROUP}"] in its '
        "pyproject.toml"
    )
    assert len(found) == 1, f"{len(found)} installed distributions declare the entry point {name!r}"
    return found[0]


@cache
def plugin_registry(entry_point: str) -> PluginRegistry:
    """Core's registry with this one plugin (plus core's built-ins), loaded as ``etl`` loads it.
    Cached: the registry is read-only once loaded."""
    return load_plugins(entry_points=[installed_entry_point(entry_point)])


def write_plugin_avro(entry_point: str, record_type: str, records: Sequence[Record]) -> bytes:
    """An Avro file of ``records`` written with the plugin's own reader schema for
    ``record_type``: a quick way to make sample files that the plugin can read."""
    spec = plugin_registry(entry_point).specs[record_type]
    assert spec.reader_schema is not None, f"{record_type} declares no reader schema"
    return write_avro(spec.reader_schema, records)


@dataclass(frozen=True, slots=True)
class Validated:
    """A sample after decode and validation, as the pipeline holds it before processing."""

    batch: Batch
    spec: RecordTypeSpec
    report: ValidationReport

    @property
    def clean(self) -> Batch:
        """The batch without the records validation left out: what ``etl_process`` gets."""
        return self.batch.without(self.report.excluded_indices)


@cache
def pipeline_settings() -> Settings:
    """The settings ``etl run`` and the worker would run with here (``ETL_*`` variables, a
    ``.env`` file): the contract holds samples to the same quality threshold. Read once."""
    return Settings()


_GOVERNOR = SchemaGovernor()
"""One schema governor for every contract run, as the pipeline keeps one (verdicts cached)."""


def _decoded_run(
    registry: PluginRegistry,
    record_type: str,
    sample: Sample,
    user: UserContext,
    settings: Settings | None,
) -> FileRun:
    """A pipeline run of ``sample`` past the decode stage: file bytes through the pipeline's
    own :func:`~etl_core.engine.stages.decode_stage`, records taken as decoded."""
    key = f"contract/{record_type}_sample.avro"
    data = sample if isinstance(sample, bytes) else b""
    job = Job(
        data=data,
        bucket="contract",
        key=key,
        user_id="contract-user",
        correlation_id="contract-test",
        user=user,
        expected_record_type=record_type,
    )
    chosen = settings if settings is not None else pipeline_settings()
    run = FileRun(job, registry, chosen, _GOVERNOR, sha256="0" * 64)
    if isinstance(sample, bytes):
        try:
            decode_stage(run)
        except RecordTypeMismatchError as exc:
            raise AssertionError(
                f"the {record_type} sample file holds {run.outcome.record_type} records"
            ) from exc
        return run
    run.spec = registry.spec_for(record_type, None)
    run.batch = Batch(
        record_type=record_type,
        # Fresh records, as a decoded file gives: a sample's own records are shared by every
        # test, and one that a plugin changed would hide the change from the next test.
        records=copy.deepcopy(list(sample)),
        source=SourceRef("contract", key, 0, "0" * 64),
        correlation_id=job.correlation_id,
        user=user,
    )
    return run


def decode_sample(
    registry: PluginRegistry,
    record_type: str,
    sample: Sample,
    user: UserContext,
    *,
    settings: Settings | None = None,
) -> tuple[Batch, RecordTypeSpec, list[Finding]]:
    """A sample as the pipeline holds it after decoding: file bytes go through the pipeline's
    own decode stage (:func:`etl_core.engine.stages.decode_stage`, reading with the owner's
    reader schema as ``etl run`` reads them); records are taken as decoded. Returns the batch,
    the spec and the schema findings."""
    run = _decoded_run(registry, record_type, sample, user, settings)
    batch, spec = run.decoded()
    return batch, spec, list(run.schema_findings)


def validate_sample(
    registry: PluginRegistry,
    record_type: str,
    sample: Sample,
    user: UserContext,
    *,
    settings: Settings | None = None,
) -> Validated:
    """Decode (for file bytes) and validate a sample through the pipeline's own stages
    (:func:`etl_core.engine.stages.validate_stage`), against the quality threshold of
    ``settings`` (default: :func:`pipeline_settings`, what ``etl run`` would use)."""
    run = _decoded_run(registry, record_type, sample, user, settings)
    validate_stage(run)
    batch, spec = run.decoded()
    assert run.report is not None
    return Validated(batch, spec, run.report)


def processed_batch(validated: Validated, result: ProcessResult, processor: str) -> ProcessedBatch:
    """What the pipeline hands to ``etl_emit``, with a fixed user and processing time."""
    clean = validated.clean
    bounds = batch_bounds(clean.records, validated.spec.time_fields, clean.user.timezone)
    start = result.data_start or (bounds[0] if bounds else _PROCESSED_AT)
    end = result.data_end or (bounds[1] if bounds else _PROCESSED_AT)
    pseudonym = pseudonymise("contract-user", b"contract-key")
    fingerprint = content_fingerprint(clean.records)
    return ProcessedBatch(
        batch=clean,
        spec=validated.spec,
        validation=validated.report,
        result=result,
        processor=processor,
        user_pseudonym=pseudonym,
        content_fingerprint=fingerprint,
        idempotency_key=f"file:{pseudonym}:{clean.source.sha256}",
        data_start=start,
        data_end=end,
        processed_at=_PROCESSED_AT,
    )


def _problems(findings: Sequence[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity is not Severity.INFO]


def _listed(findings: Sequence[Finding]) -> str:
    return "; ".join(f"{f.code}: {f.message}" for f in findings) or "no findings"


def _flatten(results: object, hook: str, where: str) -> list[Any]:
    """A collected hook's list of per-plugin results as one list; a result that is not a
    sequence fails with a message."""
    collected: list[Any] = []
    for result in cast(list[Any], results):
        if result is None:
            continue
        assert isinstance(result, Sequence) and not isinstance(result, str | bytes), (
            f"{hook} returned a {type(result).__name__} {where}; return a list, or None"
        )
        collected.extend(result)
    return collected


def _epoch_ms(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _result_form(result: ProcessResult | None) -> str:
    """A window result as comparable text: everything an example is made of."""
    if result is None:
        return "None"
    material = {
        "narrative": result.narrative,
        "summary": result.summary,
        "insights": result.insights,
        "events": dict(result.events),
        "counters": dict(result.counters),
        "methods": dict(result.methods),
        "examples": [[str(e.kind), e.output, e.question] for e in result.examples],
        "start": result.data_start.isoformat() if result.data_start else None,
        "end": result.data_end.isoformat() if result.data_end else None,
    }
    return json.dumps(material, sort_keys=True, default=str)


def _differing(expected: Mapping[str, str], got: Mapping[str, str]) -> list[str]:
    return sorted(key for key in expected.keys() | got.keys() if expected.get(key) != got.get(key))


def _start_seconds(record: Record, time_fields: Sequence[str], user: UserContext) -> float:
    span = record_span(record, time_fields, user.timezone)
    return span[0].timestamp() if span is not None else 0.0


def _answered(record_type: str, results: Mapping[str, str]) -> None:
    """No windows at all is test_window_rules_are_well_formed's to report."""
    assert not results or any(form != "None" for form in results.values()), (
        f"{record_type}: etl_process_window returned None for all {len(results)} windows of the "
        "valid sample; if it answered them before (test_windows_give_grounded_examples), it "
        "keeps state between calls (e.g. the records it has already seen)"
    )


class _Collected(logging.Handler):
    """Every stdlib log line emitted while it is attached, as text."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


class PluginContract:
    """Subclass this (as ``TestContract``) in a plugin's tests and set the attributes below.
    Every ``test_*`` method is one rule of the contract; a failure says what to change."""

    entry_point: ClassVar[str]
    """The plugin's name under ``[project.entry-points."etl_core.plugins"]``."""
    record_types: ClassVar[Sequence[str]]
    """Every record type the plugin owns, no more, no fewer."""
    user: ClassVar[UserContext] = UserContext()
    """What is known about the person (time zone, age) for every sample."""
    threads: ClassVar[int] = 8
    """How many threads process the same batch at once in the concurrency test."""
    small_batch_sizes: ClassVar[Sequence[int]] = (1, 2, 10)
    """Batch sizes (the first records of the valid sample) that must process without a crash."""
    window_shuffles: ClassVar[int] = 3
    """How many shuffled orders of the valid sample's records (and of its windows) must give
    the same window results as the records in their own order."""

    def valid_sample(self, record_type: str) -> Sample:
        """A clean sample of ``record_type`` that the plugin interprets: records as the
        exporter's decoder yields them, or Avro file bytes (see :func:`write_plugin_avro`)."""
        raise NotImplementedError(f"{type(self).__name__} must define valid_sample()")

    def invalid_sample(self, record_type: str) -> Sample:
        """A sample of ``record_type`` that validation must flag (a value out of range, a
        missing required field, a check of the plugin's own ``etl_validate``)."""
        raise NotImplementedError(f"{type(self).__name__} must define invalid_sample()")

    def valid_sample_exclusions(self, record_type: str) -> Collection[int]:
        """Positions of the valid sample's records that validation is meant to leave out.
        A valid sample keeps every record unless this names it (default: none)."""
        return frozenset()

    # -- helpers ------------------------------------------------------------------------------

    @property
    def settings(self) -> Settings:
        """The settings the pipeline would run with (:func:`pipeline_settings`): samples are
        held to its ``quality_threshold``."""
        return pipeline_settings()

    @property
    def registry(self) -> PluginRegistry:
        """Core's registry with this plugin and core's built-ins, loaded as ``etl`` loads it."""
        return plugin_registry(self.entry_point)

    def validated(self, record_type: str, sample: Sample | None = None) -> Validated:
        """The sample (default: the valid one) decoded and validated by core."""
        chosen = sample if sample is not None else self.valid_sample(record_type)
        return validate_sample(
            self.registry, record_type, chosen, self.user, settings=self.settings
        )

    def spec(self, record_type: str) -> RecordTypeSpec:
        """The plugin's declared spec for ``record_type``."""
        spec = self.registry.specs.get(record_type)
        assert spec is not None, (
            f"the plugin declares no {record_type} (it declares "
            f"{sorted(self.registry.plugins[self.entry_point].record_types)})"
        )
        return spec

    def decoded(self, record_type: str, sample: Sample | None = None) -> Batch:
        """The sample (default: the valid one) as a decoded batch, before validation."""
        chosen = sample if sample is not None else self.valid_sample(record_type)
        return decode_sample(self.registry, record_type, chosen, self.user, settings=self.settings)[
            0
        ]

    def process(self, validated: Validated) -> tuple[ProcessResult, str]:
        """Core's process step on a validated sample: the result and the processor's label."""
        return self.registry.process(validated.clean, validated.spec, validated.report)

    def own_findings(self, batch: Batch, spec: RecordTypeSpec, where: str) -> list[Finding]:
        """The plugin's own ``etl_validate`` findings for ``batch`` (core's not included)."""
        own = self.registry.own_hook("etl_validate", self.entry_point)
        if own is None:
            return []
        return _flatten(own(batch=batch, spec=spec), "etl_validate", where)

    def samples_to_check(self, record_type: str) -> list[tuple[str, Batch]]:
        """The valid and the invalid sample, decoded, with a label for messages."""
        return [
            ("valid sample", self.decoded(record_type, self.valid_sample(record_type))),
            ("invalid sample", self.decoded(record_type, self.invalid_sample(record_type))),
        ]

    def training_example(self, artifacts: Sequence[Artifact]) -> dict[str, Any]:
        """The one training example among ``artifacts``, parsed."""
        examples = [a for a in artifacts if a.kind == "training_example"]
        assert len(examples) == 1, f"expected one training example, got {len(examples)}"
        example: dict[str, Any] = json.loads(examples[0].data)
        return example

    def run_once(self, record_type: str, sample: Sample) -> tuple[bytes, ...]:
        """Validate, process and emit ``sample``; the key and bytes of every artifact."""
        validated = self.validated(record_type, sample)
        result, processor = self.process(validated)
        artifacts = self.registry.emit(processed_batch(validated, result, processor))
        return tuple(a.key.encode() + b"\0" + a.data for a in artifacts)

    def run_together(self, record_type: str, sample: Sample) -> list[tuple[bytes, ...]]:
        """:meth:`run_once` from :attr:`threads` threads released at the same moment."""
        barrier = threading.Barrier(self.threads)

        def run(_: int) -> tuple[bytes, ...]:
            barrier.wait()
            return self.run_once(record_type, sample)

        with ThreadPoolExecutor(max_workers=self.threads) as pool:
            return list(pool.map(run, range(self.threads)))

    def window_rules(self, record_type: str) -> tuple[WindowRule, ...]:
        """The rules the plugin declared for ``record_type`` through ``etl_windows``, as core
        holds them (sorted by name)."""
        plan = self.registry.window_plan.get(record_type)
        return plan.rules if plan is not None else ()

    def windowed_types(self) -> list[str]:
        """The record types whose examples are windows: the plugin declares rules for them
        and implements ``etl_process_window`` (the window tests run for these)."""
        if self.registry.own_hook("etl_process_window", self.entry_point) is None:
            return []
        return [rt for rt in self.record_types if self.window_rules(rt)]

    def windows_of(self, record_type: str, records: Sequence[Record]) -> list[Window]:
        """Every window of every declared rule that ``records`` touch, built the way core
        builds them from a person's history (newest version of each record, ordered by start,
        lookback in ``earlier``), rule by rule in date order."""
        spec = self.spec(record_type)
        return [
            window
            for rule in self.window_rules(record_type)
            for window in windows_of_records(spec, rule, records, user=self.user)
        ]

    def window_sample(self, record_type: str) -> list[Record]:
        """The valid sample's records that core keeps in the history (those validation
        passes): what the windows are built from."""
        return list(self.validated(record_type).clean.records)

    def process_window(self, window: Window) -> tuple[ProcessResult | None, str]:
        """Core's window step: the owner's result for ``window`` (``None``: no example) and
        the processor's label; a plugin error fails with the window named."""
        try:
            return self.registry.process_window(window, self.spec(window.record_type))
        except ProcessorError as exc:
            raise AssertionError(f"{window.record_type} window {window.key}: {exc}") from exc

    def window_results(self, windows: Sequence[Window]) -> dict[str, str]:
        """Each window's result in comparable form, by rule and window key, processed in the
        order given."""
        return {
            f"{window.record_type} {window.key}": _result_form(self.process_window(window)[0])
            for window in windows
        }

    # -- the contract -------------------------------------------------------------------------

    def test_entry_point_is_installed_and_loads(self) -> None:
        """The entry point is installed, imports, and declares a plugin API this core runs
        (``ETL_PLUGIN_API``, a string "MAJOR" or "MAJOR.MINOR")."""
        module = installed_entry_point(self.entry_point).load()
        problem = api_problem(getattr(module, "ETL_PLUGIN_API", None))
        assert problem is None, f"the plugin module {problem}"

    def test_registration_matches_the_declared_record_types(self) -> None:
        """It registers exactly :attr:`record_types`, each with a health domain, instructions,
        one or two time fields, and a reader schema named ``Avro<RecordType>``."""
        info = self.registry.plugins[self.entry_point]
        assert sorted(info.record_types) == sorted(self.record_types), (
            f"the plugin registers {sorted(info.record_types)}, the test declares "
            f"{sorted(self.record_types)}"
        )
        assert info.version not in {"", "unknown"}
        for record_type in self.record_types:
            spec = self.spec(record_type)
            problems = spec_problems(spec)
            assert not problems, f"{record_type}: {'; '.join(problems)}"
            assert spec.instructions, f"{record_type}: give at least one instruction phrasing"
            if spec.reader_schema is not None:
                name = str(spec.reader_schema.get("name", ""))
                assert name.rsplit(".", 1)[-1] == f"Avro{record_type}", (
                    f"{record_type}: the reader schema must be named Avro{record_type}, like the "
                    f"exporter's writer schema, not {name!r}"
                )

    def test_declared_fields_are_in_the_records(self) -> None:
        """Every record of the valid sample holds the spec's time fields (epoch milliseconds)
        and required fields, and some record holds each range field: a field that is not
        there checks nothing and, for time fields, dates examples by processing time."""
        for record_type in self.record_types:
            spec = self.spec(record_type)
            records = self.decoded(record_type).records
            total = len(records)
            assert total, f"{record_type}: the valid sample holds no records"
            for name in spec.time_fields:
                missing = sum(1 for record in records if not _epoch_ms(record.get(name)))
                assert not missing, (
                    f"{record_type}: time field {name!r} holds no epoch-millisecond integer in "
                    f"{missing} of {total} records of the valid sample; time_fields must name "
                    "the record's own time fields (timeEpochMillis, or startTimeEpochMillis and "
                    "endTimeEpochMillis), or examples are dated and filed by processing time"
                )
            for path in spec.required_fields:
                missing = sum(
                    1
                    for record in records
                    if not [v for v in iter_path(record, path) if v is not None]
                )
                assert not missing, (
                    f"{record_type}: required field {path!r} is missing from {missing} of "
                    f"{total} records of the valid sample (check its spelling)"
                )
            for path in spec.ranges:
                assert any(True for record in records for _ in iter_path(record, path)), (
                    f"{record_type}: range field {path!r} is in none of the valid sample's "
                    "records, so its range checks nothing (check its spelling and the [] of "
                    "array paths)"
                )

    def test_valid_samples_pass_validation(self) -> None:
        """The valid sample reaches the quality threshold through core's real validation."""
        for record_type in self.record_types:
            validated = self.validated(record_type)
            assert validated.report.passed, (
                f"{record_type}: the valid sample scored {validated.report.quality_score}: "
                f"{validated.report.warnings}"
            )
            assert validated.clean.records, f"{record_type}: validation excluded every record"

    def test_valid_samples_keep_every_record(self) -> None:
        """Validation leaves no record of the valid sample out of processing, except those
        :meth:`valid_sample_exclusions` names: a range narrower than real readings drops real
        data silently."""
        for record_type in self.record_types:
            validated = self.validated(record_type)
            expected = frozenset(self.valid_sample_exclusions(record_type))
            excluded = validated.report.excluded_indices
            total = len(validated.batch.records)
            unexpected = excluded - expected
            causes = [
                f
                for f in validated.report.findings
                if f.severity is Severity.ERROR and f.record_indices & unexpected
            ]
            assert not unexpected, (
                f"{record_type}: validation left out {len(unexpected)} of {total} records of the "
                f"valid sample ({_listed(causes)}). Widen the spec's ranges to every value the "
                "body and the devices produce (Health Connect's own limits where in doubt) or fix "
                "the check; if those records are meant to go, return their positions from "
                "valid_sample_exclusions()"
            )
            kept = expected - excluded
            assert not kept, (
                f"{record_type}: valid_sample_exclusions() names {len(kept)} records that "
                "validation keeps"
            )
            out_of_range = [
                f
                for f in validated.report.findings
                if f.code == "value_out_of_range" and f.severity is not Severity.ERROR
            ]
            assert expected or not out_of_range, (
                f"{record_type}: the valid sample has array values outside the spec's ranges "
                f"({_listed(out_of_range)}); widen the range or clean the sample"
            )

    def test_invalid_samples_produce_findings(self) -> None:
        """The invalid sample produces a warning, error or blocking finding."""
        for record_type in self.record_types:
            report = self.validated(record_type, self.invalid_sample(record_type)).report
            assert _problems(report.findings), (
                f"{record_type}: the invalid sample produced no warning, error or blocking "
                "finding; declare required_fields and ranges in its RecordTypeSpec or add an "
                "etl_validate check"
            )

    def test_findings_are_well_formed(self) -> None:
        """The plugin's own findings are :class:`~etl_core.Finding` values with a message,
        counts >= 0 and record indices inside the batch; an ``ERROR`` names at least one
        record (it is what leaves records out of processing)."""
        for record_type in self.record_types:
            for label, batch in self.samples_to_check(record_type):
                spec = self.registry.spec_for(record_type, None)
                where = f"for the {label}"
                for finding in self.own_findings(batch, spec, where):
                    problem = finding_problem(finding, len(batch.records))
                    assert problem is None, f"{record_type}: etl_validate {where}: {problem}"

    def test_findings_never_quote_record_values(self) -> None:
        """No figure of a finding message is a value of the records (besides the finding's own
        counts and the spec's limits): messages say what is wrong and how many, never which
        reading. Core redacts such figures at run time and logs a contract violation."""
        for record_type in self.record_types:
            for label, batch in self.samples_to_check(record_type):
                spec = self.registry.spec_for(record_type, None)
                findings = self.own_findings(batch, spec, f"for the {label}")
                well_formed = [
                    f for f in findings if finding_problem(f, len(batch.records)) is None
                ]
                allowed = allowed_in_messages(well_formed, len(batch.records), spec)
                for finding in well_formed:
                    quoted = quoted_values(finding.message, batch.records, allowed)
                    assert not quoted, (
                        f"{record_type}: finding {finding.code!r} for the {label} quotes "
                        f"{quoted} from the records ({finding.message!r}); say how many records "
                        "and which rule, never which value"
                    )

    def test_foreign_record_types_are_ignored(self) -> None:
        """The plugin's own ``etl_validate`` and ``etl_process``, shown real records of every
        Health Connect type it does not own (a real export when the samples are at hand, else
        synthetic ones), return ``None``: a hook without a record-type guard would exclude or
        misread another plugin's data the day core shows it more than its own."""
        validate = self.registry.own_hook("etl_validate", self.entry_point)
        process = self.registry.own_hook("etl_process", self.entry_point)
        owned = set(self.registry.plugins[self.entry_point].record_types)
        batches: list[tuple[str, Sequence[Record], Mapping[str, Any] | None]] = [
            (foreign, export_records(foreign), health_connect_schema(foreign))
            for foreign in HEALTH_CONNECT_TYPES
            if foreign not in owned
        ]
        for record_type in self.record_types:
            own_records = list(self.decoded(record_type).records)
            batches.append((FOREIGN_RECORD_TYPE, own_records, None))
        for foreign, records, writer_schema in batches:
            batch = Batch(
                record_type=foreign,
                records=records,
                source=SourceRef("contract", f"{foreign}_foreign.avro", 0, "0" * 64),
                correlation_id="contract-foreign",
                user=self.user,
            )
            spec = generic_spec(foreign, writer_schema)
            origin = "a real export" if real_samples(foreign) else "synthetic records"
            if foreign == FOREIGN_RECORD_TYPE:
                origin = "its own valid sample relabelled"
            count = f"{len(records)} record{'' if len(records) == 1 else 's'}"
            shown = f"a batch of {foreign} ({count} from {origin}; a type the plugin does not own)"
            guard = "start the hook with `if batch.record_type not in <your types>: return None`"
            if validate is not None:
                try:
                    results = validate(batch=batch, spec=spec)
                except Exception as exc:
                    raise AssertionError(
                        f"etl_validate raised {type(exc).__name__} on {shown}; {guard}"
                    ) from exc
                findings = _flatten(results, "etl_validate", f"for {shown}")
                assert not findings, (
                    f"etl_validate returned {len(findings)} findings for {shown} "
                    f"({', '.join(sorted({f.code for f in findings}))}); {guard}"
                )
            if process is not None:
                report = score([], len(records), self.settings.quality_threshold)
                try:
                    result = process(batch=batch, spec=spec, validation=report)
                except Exception as exc:
                    raise AssertionError(
                        f"etl_process raised {type(exc).__name__} on {shown}; {guard}"
                    ) from exc
                assert result is None, f"etl_process returned a result for {shown}; {guard}"

    def test_small_batches_do_not_crash(self) -> None:
        """Batches of the first 1, 2 and 10 records of the valid sample go through validate,
        process and emit; the plugin's own hooks take an empty batch (a calendar window with no
        records of the type) without raising."""
        for record_type in self.record_types:
            records = list(self.decoded(record_type).records)
            for size in self.small_batch_sizes:
                if size > len(records):
                    continue
                where = f"{record_type}, a batch of the first {size} record(s) of the valid sample"
                try:
                    validated = validate_sample(
                        self.registry,
                        record_type,
                        records[:size],
                        self.user,
                        settings=self.settings,
                    )
                    if not (validated.report.passed and validated.clean.records):
                        continue  # the pipeline would quarantine it
                    result, processor = self.process(validated)
                    self.registry.emit(processed_batch(validated, result, processor))
                except ProcessorError as exc:
                    raise AssertionError(f"{where}: {exc}") from exc
            empty = Batch(
                record_type=record_type,
                records=[],
                source=SourceRef("contract", f"{record_type}_empty.avro", 0, "0" * 64),
                correlation_id="contract-empty",
                user=self.user,
            )
            spec = self.spec(record_type)
            where = f"{record_type}: an empty batch (a window with no {record_type} records)"
            try:
                self.own_findings(empty, spec, "for an empty batch")
            except AssertionError:
                raise
            except Exception as exc:
                raise AssertionError(
                    f"{where}: etl_validate raised {type(exc).__name__}; return [] or None"
                ) from exc
            process = self.registry.own_hook("etl_process", self.entry_point)
            if process is None:
                continue
            try:
                validation = score([], 0, self.settings.quality_threshold)
                result = process(batch=empty, spec=spec, validation=validation)
            except Exception as exc:
                raise AssertionError(
                    f"{where}: etl_process raised {type(exc).__name__}; return None (core's "
                    "fallback then describes the batch)"
                ) from exc
            if result is not None:
                declared = {counter.name for counter in self.registry.counters}
                problem = result_problem(result, declared)
                assert problem is None, f"{where}: etl_process {problem}"

    def test_review_charts_are_well_formed(self) -> None:
        """``etl_review_charts`` (optional) draws a window of the valid sample into charts core
        accepts (an ``<svg>`` without script or link, a title, a text alternative and exactly
        the marks it declares), and answers ``None`` for a record type it does not own. The
        window is one of the plugin's own rules, or a local day for a plugin without windows."""
        draw = self.registry.own_hook("etl_review_charts", self.entry_point)
        if draw is None:
            return
        for record_type in self.record_types:
            records = list(self.validated(record_type).clean.records)
            spec = self.spec(record_type)
            plan = self.registry.window_plan.get(record_type)
            rule = plan.rules[0] if plan is not None and plan.rules else FALLBACK_RULES[0]
            days = window_days_of(rule, records[0], spec.time_fields, self.user.timezone)
            assert days, f"{record_type}: the valid sample's first record has no time"
            window = build_window(
                record_type, rule, days[0], records, time_fields=spec.time_fields, user=self.user
            )
            where = f"{record_type} window {window.key} of the valid sample"
            try:
                charts, _ = self.registry.review_charts(window, {}, spec)
            except ProcessorError as exc:
                raise AssertionError(f"{where}: {exc}") from exc
            assert charts, f"{where}: no chart drawn"
            foreign = (
                "SkinTemperatureRecord"
                if record_type != "SkinTemperatureRecord"
                else ("BodyFatRecord")
            )
            other = build_window(foreign, rule, days[0], [], time_fields=spec.time_fields)
            answer = draw(window=other, insights={}, spec=spec)
            assert answer is None, (
                f"etl_review_charts answered for {foreign}, which the plugin does not own; "
                "return None for other record types"
            )

    def test_processing_returns_insights_and_a_supported_narrative(self) -> None:
        """The owner answers (not the fallback) with JSON-serialisable insights, a narrative
        and a summary; every figure of the narrative is a value in the insights
        (:func:`etl_core.contract.figures.unsupported_figures`), and counters were declared."""
        for record_type in self.record_types:
            result, processor = self.process(self.validated(record_type))
            assert not result.generic, (
                f"{record_type}: the plugin declined the valid sample (etl_process returned "
                "None), so core's generic fallback answered"
            )
            assert processor == self.registry.plugins[self.entry_point].label
            assert result.insights, f"{record_type}: no insights"
            json.dumps(result.insights, allow_nan=False)  # raises when not JSON-serialisable
            assert result.narrative.strip(), f"{record_type}: empty narrative"
            assert result.summary.strip(), f"{record_type}: empty summary"
            missing = unsupported_figures(result.narrative, result.insights)
            assert missing == [], f"{record_type}: narrative figures not in the insights: {missing}"
            declared = {counter.name for counter in self.registry.counters}
            undeclared = sorted(set(result.counters) - declared)
            assert not undeclared, f"{record_type}: counters missing from etl_metrics: {undeclared}"
            assert all(amount >= 0 for amount in result.counters.values()), "counters only grow"

    def test_emit_produces_a_valid_training_example(self) -> None:
        """Emitting gives one training example with the instruction, input, output and every
        metadata field etl-core documents, dated within the records' own time span."""
        for record_type in self.record_types:
            validated = self.validated(record_type)
            result, processor = self.process(validated)
            processed = processed_batch(validated, result, processor)
            artifacts = self.registry.emit(processed)
            for artifact in artifacts:
                check_key(artifact.key)
            example = self.training_example(artifacts)
            phrasings = instructions_for(validated.spec, ExampleKind.SUMMARY)
            assert example["instruction"] in phrasings
            assert example["input"] == result.summary
            assert example["output"] == result.narrative
            metadata = example["metadata"]
            assert set(metadata) >= EXAMPLE_METADATA_FIELDS, (
                f"missing metadata: {sorted(EXAMPLE_METADATA_FIELDS - set(metadata))}"
            )
            assert metadata["record_type"] == record_type
            assert metadata["health_domain"] == validated.spec.health_domain
            assert metadata["processor"] == processor
            assert metadata["record_count"] == len(validated.clean.records)
            assert metadata["clinical_insights"] == json.loads(json.dumps(result.insights))
            start = datetime.fromisoformat(metadata["data_start"])
            end = datetime.fromisoformat(metadata["data_end"])
            assert start.tzinfo is not None and start <= end, "data_start/data_end out of order"
            bounds = batch_bounds(
                validated.clean.records, validated.spec.time_fields, self.user.timezone
            )
            if bounds is not None:
                assert (
                    bounds[0] - _SPAN_TOLERANCE <= start and end <= bounds[1] + _SPAN_TOLERANCE
                ), (
                    f"{record_type}: the example is dated {metadata['data_start']} to "
                    f"{metadata['data_end']}, outside the records' own span (examples are filed "
                    "by the month data_start falls in); check ProcessResult.data_start/data_end"
                )

    def test_concurrent_processing_gives_identical_results(self) -> None:
        """The same batch processed from :attr:`threads` threads at once gives output identical
        to a sequential run: hooks keep no mutable state."""
        for record_type in self.record_types:
            sample = self.valid_sample(record_type)
            expected = self.run_once(record_type, sample)
            outputs = self.run_together(record_type, sample)
            differing = sum(output != expected for output in outputs)
            assert differing == 0, (
                f"{record_type}: {differing} of {self.threads} concurrent runs differ from a "
                "sequential run; hooks must not keep mutable state"
            )

    # -- windows ------------------------------------------------------------------------------

    def test_window_hooks_come_together(self) -> None:
        """A plugin whose examples are windows declares them (``etl_windows``) and processes
        them (``etl_process_window``): rules without the hook leave the record type with no
        example at all, the hook without rules is never called."""
        processes = self.registry.own_hook("etl_process_window", self.entry_point) is not None
        declared = [rt for rt in self.record_types if self.window_rules(rt)]
        assert processes or not declared, (
            f"etl_windows declares windows for {', '.join(declared)} but the plugin does not "
            "implement etl_process_window: core would build those windows and get no example "
            "for any of them; implement etl_process_window, or return None from etl_windows "
            "to keep processing each upload with etl_process"
        )
        assert declared or not processes, (
            "the plugin implements etl_process_window but etl_windows declares no windows for "
            f"{', '.join(self.record_types)}, so core never calls it; return the record "
            "type's WindowRules from etl_windows (e.g. [WindowRule.day()])"
        )

    def test_window_rules_are_well_formed(self) -> None:
        """Each windowed record type's rules have distinct names, a length and a lookback of
        1-366 days (whole ISO weeks when a rule ends on a weekday), time fields to place
        records in them, and the valid sample makes at least one window of each rule."""
        for record_type in self.windowed_types():
            rules = self.window_rules(record_type)
            names = [rule.name for rule in rules]
            assert len(set(names)) == len(names), f"{record_type}: window rules named twice"
            for rule in rules:
                assert isinstance(rule, WindowRule), f"{record_type}: {rule!r} is no WindowRule"
                assert 1 <= rule.days <= MAX_WINDOW_DAYS, f"{record_type}: {rule.name} days"
                assert 0 <= rule.lookback_days <= MAX_WINDOW_DAYS, (
                    f"{record_type}: rule {rule.name!r} looks back {rule.lookback_days} days"
                )
            spec = self.spec(record_type)
            assert spec.time_fields, (
                f"{record_type}: windows need the record's time; declare time_fields"
            )
            records = self.window_sample(record_type)
            placed = sum(
                record_span(r, spec.time_fields, self.user.timezone) is not None for r in records
            )
            assert placed == len(records), (
                f"{record_type}: {len(records) - placed} of {len(records)} valid records have no "
                f"time in {list(spec.time_fields)}, so they belong to no window"
            )
            made = {window.rule.name for window in self.windows_of(record_type, records)}
            missing = sorted(set(names) - made)
            assert not missing, (
                f"{record_type}: the valid sample makes no window of rule(s) {missing}"
            )

    def test_windows_give_grounded_examples(self) -> None:
        """The owner answers for the valid sample's windows (not all of them ``None``), and
        every result passes the check core makes before publishing one: each figure an
        example states is in its input (``summary``) or a declared reference value, and each
        figure of the input is an insight."""
        for record_type in self.windowed_types():
            spec = self.spec(record_type)
            windows = self.windows_of(record_type, self.window_sample(record_type))
            if not windows:
                continue  # test_window_rules_are_well_formed says why
            answered = 0
            for window in windows:
                result, processor = self.process_window(window)
                if result is None:
                    continue
                answered += 1
                assert processor == self.registry.plugins[self.entry_point].label
                assert result.summary.strip(), f"{record_type} {window.key}: empty summary"
                try:
                    check_grounded(result, spec, processor)
                except ProcessorError as exc:
                    raise AssertionError(
                        f"{record_type} window {window.key}: {exc}; state only figures the "
                        "input holds (or declare thresholds in RecordTypeSpec.reference_values)"
                    ) from exc
            assert answered, (
                f"{record_type}: etl_process_window returned None for all {len(windows)} "
                "windows of the valid sample"
            )

    def test_window_examples_have_phrasings_for_their_kind(self) -> None:
        """Every example kind a window result holds has its own instruction phrasings in
        ``RecordTypeSpec.instructions_by_kind`` (a summary may use ``instructions``), and a
        ``QUESTION`` example carries its question: core picks an example's instruction from
        its kind's phrasings, so a note would otherwise be asked for as a clinician summary."""
        for record_type in self.windowed_types():
            spec = self.spec(record_type)
            for window in self.windows_of(record_type, self.window_sample(record_type)):
                result, _ = self.process_window(window)
                if result is None:
                    continue
                for example in result.examples:
                    where = f"{record_type} window {window.key}: a {example.kind} example"
                    assert isinstance(example.kind, ExampleKind), f"{where}: kind is no ExampleKind"
                    assert example.output.strip(), f"{where} has no output"
                    if example.kind is ExampleKind.QUESTION:
                        assert example.question and example.question.strip(), (
                            f"{where} has no question (ExampleText.question is its instruction)"
                        )
                        continue
                    own = spec.instructions_by_kind.get(example.kind, ())
                    if example.kind is ExampleKind.SUMMARY:
                        own = own or spec.instructions
                    assert own, (
                        f"{where}, but the spec declares no phrasings for it; add "
                        f"instructions_by_kind[ExampleKind.{example.kind.name}]"
                    )
                    assert instructions_for(spec, example.kind) == list(own)

    def test_small_windows_do_not_crash(self) -> None:
        """Windows made of only the first 1, 2 and 10 valid records (a day with a single
        reading, a week with two) process without raising, and what the owner returns passes
        the checks core makes at run time, grounding included (a one-reading window takes
        branches of a narrative the full sample never reaches)."""
        for record_type in self.windowed_types():
            spec = self.spec(record_type)
            records = self.window_sample(record_type)
            for size in self.small_batch_sizes:
                if size > len(records):
                    continue
                for window in self.windows_of(record_type, records[:size]):
                    where = f"{record_type}, window {window.key} of the first {size} record(s)"
                    try:
                        result, processor = self.registry.process_window(window, spec)
                        if result is not None:
                            check_grounded(result, spec, processor)
                    except ProcessorError as exc:
                        raise AssertionError(f"{where}: {exc}") from exc

    def test_window_results_do_not_depend_on_record_order(self) -> None:
        """The valid sample's records in shuffled order, their windows processed in another
        order, give the same results: ``etl_process_window`` is a pure function of the window
        (no state kept between calls, no "previous window" remembered; use the rule's
        ``lookback_days`` and ``window.earlier`` instead)."""
        for record_type in self.windowed_types():
            records = self.window_sample(record_type)
            expected = self.window_results(self.windows_of(record_type, records))
            _answered(record_type, expected)
            for seed in range(self.window_shuffles):
                shuffler = random.Random(seed)
                shuffled = list(records)
                shuffler.shuffle(shuffled)
                windows = self.windows_of(record_type, shuffled)
                shuffler.shuffle(windows)
                got = self.window_results(windows)
                differing = _differing(expected, got)
                assert not differing, (
                    f"{record_type}: shuffled records processed in another window order give "
                    f"other results for {differing}; etl_process_window must not keep state "
                    "between calls"
                )

    def test_window_results_do_not_depend_on_which_file_brought_a_record(self) -> None:
        """The valid sample split into two overlapping files (the overlap in both, as rolling
        exports overlap) gives, once both are in, the same window results as the sample alone,
        even after the first file's windows were processed on their own (core rebuilds a
        window when a later file adds records to it)."""
        for record_type in self.windowed_types():
            spec = self.spec(record_type)
            records = self.window_sample(record_type)
            if len(records) < 2:
                continue
            # Rolling exports: the first file holds the earlier two thirds, the second the later.
            starts = [
                (_start_seconds(record, spec.time_fields, self.user), index, record)
                for index, record in enumerate(records)
            ]
            ordered = [record for _, _, record in sorted(starts, key=lambda item: item[:2])]
            third = max(1, len(ordered) // 3)
            first_file, second_file = ordered[: len(ordered) - third], ordered[third:]
            self.window_results(self.windows_of(record_type, first_file))
            both = self.window_results(self.windows_of(record_type, [*first_file, *second_file]))
            alone = self.window_results(self.windows_of(record_type, records))
            _answered(record_type, alone)
            differing = _differing(alone, both)
            assert not differing, (
                f"{record_type}: two overlapping files holding the valid sample give other "
                f"results than the sample for {differing}; a window's result depends only on "
                "its records, so etl_process_window must not keep state between calls"
            )

    def test_windows_leave_their_records_unchanged(self) -> None:
        """Processing and validating each window of the valid sample leaves every record of
        the window and of its lookback as it was: core hands the same decoded record to every
        window of a rebuild pass (and to every plugin of a batch), so a record changed in place
        would change the windows built after it. Records are read-only
        (:data:`~etl_core.contract.model.Record` is a ``Mapping``); copy what you need to
        change."""
        for record_type in self.windowed_types():
            spec = self.spec(record_type)
            records = self.window_sample(record_type)
            for window in self.windows_of(record_type, records):
                held = [*window.records, *window.earlier]
                before = [_canonical_json(record) for record in held]
                self.process_window(window)
                batch = _window_batch(window)
                self.registry.validate(batch, spec)
                changed = sum(
                    1
                    for record, text in zip(held, before, strict=True)
                    if _canonical_json(record) != text
                )
                assert not changed, (
                    f"{record_type} window {window.key}: processing and validating it changed "
                    f"{changed} of its {len(held)} records in place; records are shared with "
                    "the other windows of a rebuild pass and must be left as they are (copy "
                    "what you need to change)"
                )

    def test_window_messages_never_quote_health_values(self) -> None:
        """No log line (stdlib logging or structlog) and no finding of processing and
        validating the valid sample's windows quotes a value of the window's records or a
        value computed from them (a decimal of the result's insights, such as a mean): log
        lines and findings say what happened and how many, never which reading."""
        for record_type in self.windowed_types():
            spec = self.spec(record_type)
            for window in self.windows_of(record_type, self.window_sample(record_type)):
                records = [*window.records, *window.earlier]
                batch = _window_batch(window)
                collected = _Collected()
                root = logging.getLogger()
                level = root.level
                root.addHandler(collected)
                root.setLevel(logging.DEBUG)
                try:
                    with capture_logs() as events:
                        result, _ = self.process_window(window)
                        findings = self.own_findings(batch, spec, f"for window {window.key}")
                finally:
                    root.removeHandler(collected)
                    root.setLevel(level)
                well_formed = [
                    f for f in findings if finding_problem(f, len(window.records)) is None
                ]
                allowed = allowed_in_messages(well_formed, len(window.records), spec)
                lines = [*collected.lines, *(json.dumps(e, default=str) for e in events)]
                texts = [("a log line", line) for line in lines]
                texts += [(f"finding {f.code!r}", f.message) for f in well_formed]
                computed = (
                    {v for v in supported_values(result.insights) if v != v.to_integral_value()}
                    - allowed
                    if result is not None
                    else set()
                )
                for what, text in texts:
                    quoted = quoted_values(text, records, allowed)
                    quoted += [
                        token
                        for token in figures_in(text)
                        if token not in quoted and figure_value(token) in computed
                    ]
                    assert not quoted, (
                        f"{record_type} window {window.key}: {what} quotes {quoted} from the "
                        f"records or their insights ({text!r}); say how many and which rule, "
                        "never which value"
                    )


def _canonical_json(record: Mapping[str, Any]) -> str:
    return json.dumps(record, sort_keys=True, default=str, allow_nan=True)


def _window_batch(window: Window) -> Batch:
    """The batch core validates a window as (its records, not its lookback)."""
    return Batch(
        record_type=window.record_type,
        records=window.records,
        source=SourceRef("history", window.key, 0, "0" * 64),
        correlation_id="contract-window",
        user=window.user,
    )
