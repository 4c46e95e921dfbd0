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

import importlib.metadata
import json
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any, ClassVar

from etl_core import PLUGIN_API_VERSION
from etl_core.decode import SchemaGovernor, decode_records, detect_record_type, read_header
from etl_core.figures import unsupported_figures
from etl_core.model import (
    Artifact,
    Batch,
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
from etl_core.pipeline import content_fingerprint, pseudonymise
from etl_core.plugins import ENTRY_POINT_GROUP, PluginRegistry, generic_spec, load_plugins
from etl_core.storage import check_key
from etl_core.testing.fixtures import write_avro
from etl_core.timeutil import batch_bounds
from etl_core.validate import schema_findings, score

Sample = bytes | Sequence[Record]
"""Records as the exporter's decoder yields them, or a whole Avro object-container file."""

FOREIGN_RECORD_TYPE = "ContractForeignRecord"
QUALITY_THRESHOLD = 0.7
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
        return self.batch.without(self.report.excluded_indices)


def validate_sample(
    registry: PluginRegistry, record_type: str, sample: Sample, user: UserContext
) -> Validated:
    """Decode (for file bytes) and validate a sample through core's validation path."""
    key = f"contract/{record_type}_sample.avro"
    findings: list[Finding] = []
    if isinstance(sample, bytes):
        writer_schema = read_header(sample, len(sample), key)
        detected, _ = detect_record_type(writer_schema, key)
        assert detected == record_type, f"the {record_type} sample file holds {detected} records"
        spec = registry.spec_for(record_type, writer_schema)
        findings = schema_findings(SchemaGovernor(), spec, writer_schema)
        readable = not any(f.severity is Severity.BLOCKING for f in findings)
        records: Sequence[Record] = decode_records(
            sample, key, spec.reader_schema if readable else None
        )
    else:
        spec = registry.spec_for(record_type, None)
        records = list(sample)
    batch = Batch(
        record_type=record_type,
        records=records,
        source=SourceRef("contract", key, 0, "0" * 64),
        correlation_id="contract-test",
        user=user,
    )
    if not any(f.severity is Severity.BLOCKING for f in findings):
        findings = [*findings, *registry.validate(batch, spec)]
    return Validated(batch, spec, score(findings, len(records), QUALITY_THRESHOLD))


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


class PluginContract:
    """Subclass this (as ``TestContract``) in a plugin's tests and set the attributes below."""

    entry_point: ClassVar[str]
    """The plugin's name under ``[project.entry-points."etl_core.plugins"]``."""
    record_types: ClassVar[Sequence[str]]
    """Every record type the plugin owns, no more, no fewer."""
    user: ClassVar[UserContext] = UserContext()
    """What is known about the person (time zone, age) for every sample."""
    threads: ClassVar[int] = 8

    def valid_sample(self, record_type: str) -> Sample:
        """A clean sample of ``record_type`` that the plugin interprets: records as the
        exporter's decoder yields them, or Avro file bytes (see :func:`write_plugin_avro`)."""
        raise NotImplementedError(f"{type(self).__name__} must define valid_sample()")

    def invalid_sample(self, record_type: str) -> Sample:
        """A sample of ``record_type`` that validation must flag (a value out of range, a
        missing required field, a check of the plugin's own ``etl_validate``)."""
        raise NotImplementedError(f"{type(self).__name__} must define invalid_sample()")

    # -- helpers ------------------------------------------------------------------------------

    @property
    def registry(self) -> PluginRegistry:
        return plugin_registry(self.entry_point)

    def validated(self, record_type: str, sample: Sample | None = None) -> Validated:
        chosen = sample if sample is not None else self.valid_sample(record_type)
        return validate_sample(self.registry, record_type, chosen, self.user)

    def process(self, validated: Validated) -> tuple[ProcessResult, str]:
        return self.registry.process(validated.clean, validated.spec, validated.report)

    def training_example(self, artifacts: Sequence[Artifact]) -> dict[str, Any]:
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

    # -- the contract -------------------------------------------------------------------------

    def test_entry_point_is_installed_and_loads(self) -> None:
        module = installed_entry_point(self.entry_point).load()
        declared = getattr(module, "ETL_PLUGIN_API", None)
        assert declared is not None, "the plugin module must set ETL_PLUGIN_API = '1'"
        assert str(declared).split(".")[0] == PLUGIN_API_VERSION.split(".")[0], (
            f"ETL_PLUGIN_API = {declared!r}, but etl-core provides {PLUGIN_API_VERSION}"
        )

    def test_registration_matches_the_declared_record_types(self) -> None:
        info = self.registry.plugins[self.entry_point]
        assert sorted(info.record_types) == sorted(self.record_types)
        assert info.version not in {"", "unknown"}
        for record_type in self.record_types:
            spec = self.registry.specs[record_type]
            assert spec.health_domain, f"{record_type}: health_domain is empty"
            assert spec.instructions, f"{record_type}: give at least one instruction phrasing"
            assert len(spec.time_fields) in {1, 2}, f"{record_type}: time_fields takes 1 or 2"
            if spec.reader_schema is not None:
                name = str(spec.reader_schema.get("name", ""))
                assert name.rsplit(".", 1)[-1] == f"Avro{record_type}", (
                    f"{record_type}: the reader schema must be named Avro{record_type}, like the "
                    f"exporter's writer schema, not {name!r}"
                )

    def test_valid_samples_pass_validation(self) -> None:
        for record_type in self.record_types:
            validated = self.validated(record_type)
            assert validated.report.passed, (
                f"{record_type}: the valid sample scored {validated.report.quality_score}: "
                f"{validated.report.warnings}"
            )
            assert validated.clean.records, f"{record_type}: validation excluded every record"

    def test_invalid_samples_produce_findings(self) -> None:
        for record_type in self.record_types:
            report = self.validated(record_type, self.invalid_sample(record_type)).report
            assert _problems(report.findings), (
                f"{record_type}: the invalid sample produced no warning, error or blocking "
                "finding; declare required_fields and ranges in its RecordTypeSpec or add an "
                "etl_validate check"
            )

    def test_foreign_record_types_are_ignored(self) -> None:
        manager = self.registry.manager
        others = [p for name, p in manager.list_name_plugin() if name != self.entry_point]
        own_validate = manager.subset_hook_caller("etl_validate", others)
        own_process = manager.subset_hook_caller("etl_process", others)
        for record_type in self.record_types:
            records = self.validated(record_type).batch.records
            foreign = Batch(
                record_type=FOREIGN_RECORD_TYPE,
                records=records,
                source=SourceRef("contract", f"{FOREIGN_RECORD_TYPE}_1.avro", 0, "0" * 64),
                correlation_id="contract-foreign",
                user=self.user,
            )
            spec = generic_spec(FOREIGN_RECORD_TYPE, None)
            results = own_validate(batch=foreign, spec=spec)
            findings = [f for result in results for f in result or ()]
            assert not findings, "etl_validate must return None for a record type it does not own"
            report = score([], len(records), QUALITY_THRESHOLD)
            result = own_process(batch=foreign, spec=spec, validation=report)
            assert result is None, "etl_process must return None for a record type it does not own"

    def test_processing_returns_insights_and_a_supported_narrative(self) -> None:
        for record_type in self.record_types:
            result, processor = self.process(self.validated(record_type))
            assert not result.generic, f"{record_type}: the generic fallback answered"
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
        for record_type in self.record_types:
            validated = self.validated(record_type)
            result, processor = self.process(validated)
            processed = processed_batch(validated, result, processor)
            artifacts = self.registry.emit(processed)
            for artifact in artifacts:
                check_key(artifact.key)
            example = self.training_example(artifacts)
            assert example["instruction"] in validated.spec.instructions
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

    def test_concurrent_processing_gives_identical_results(self) -> None:
        for record_type in self.record_types:
            sample = self.valid_sample(record_type)
            expected = self.run_once(record_type, sample)
            outputs = self.run_together(record_type, sample)
            differing = sum(output != expected for output in outputs)
            assert differing == 0, (
                f"{record_type}: {differing} of {self.threads} concurrent runs differ from a "
                "sequential run; hooks must not keep mutable state"
            )
