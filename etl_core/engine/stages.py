"""The stages one input file goes through, in order (:data:`STAGES`):

decode -> validate -> history (merge; windows) -> content claim -> process -> emit

Each stage is a function of one :class:`FileRun`, the per-input context: the job and what the
pipeline gives every stage (registry, settings, stores), plus what each stage leaves for the
next (writer schema, spec, batch, findings, report, result). A stage returns ``True`` to go on,
``False`` when the input's outcome is settled (quarantined, a duplicate, or merged into the
history); :class:`~etl_core.engine.pipeline.Pipeline` runs them in sequence and settles the
outcome (dedup completion, quarantine copy). A plugin's failure surfaces as the registry's
:class:`~etl_core.contract.errors.ProcessorError`, which names the plugin and the hook.

The work of each stage lives in its own module (:mod:`~etl_core.engine.decode`,
:mod:`~etl_core.engine.validate`, :mod:`~etl_core.engine.window_stage`); the contract suite
(:mod:`etl_core.testing.contract`) runs :func:`decode_stage` and :func:`validate_stage` on a
plugin's samples, so its verdicts are the pipeline's.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from etl_core.contract.errors import InputError, RecordTypeMismatchError, TransientError
from etl_core.contract.model import (
    Batch,
    Dimension,
    Finding,
    ProcessedBatch,
    ProcessResult,
    Record,
    RecordTypeSpec,
    Severity,
    SourceRef,
    ValidationReport,
)
from etl_core.contract.timeutil import (
    batch_bounds,
    offset_field_for,
    readable_offset,
    resolve_tz,
)
from etl_core.contract.windows import TypePlan, WindowRule
from etl_core.engine.decode import (
    SchemaGovernor,
    decode_records,
    detect_record_type,
    read_header,
    record_type_from_filename,
)
from etl_core.engine.job import Job, Outcome, Status
from etl_core.engine.registry import PluginRegistry
from etl_core.engine.validate import schema_findings, score
from etl_core.engine.window_queue import WindowScheduler
from etl_core.engine.window_stage import WindowBuilder
from etl_core.observability.logs import get_logger
from etl_core.observability.tracing import stage_span
from etl_core.settings import Settings
from etl_core.stores.dedup import Claim, ClaimStatus, DedupStore
from etl_core.stores.history.base import HistoryStore
from etl_core.stores.objects.base import ObjectStore

CONTENT_WAIT_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class Quarantine:
    """A stage's verdict that the input goes to quarantine instead of on."""

    report: ValidationReport
    """What the quarantine copy records (scores, findings, threshold)."""
    reason: str
    """``below_quality_threshold`` or ``too_many_days``."""
    message: str


@dataclass
class FileRun:
    """One input on its way through :data:`STAGES`. Made per input and never shared between
    threads; the services it holds (registry, stores, governor) are shared and thread-safe."""

    job: Job
    registry: PluginRegistry
    settings: Settings
    governor: SchemaGovernor
    pseudonym: str = ""
    sha256: str = ""
    idempotency_key: str = ""
    owner: str = ""
    """The dedup owner token of this attempt."""
    store: ObjectStore | None = None
    dedup: DedupStore | None = None
    history: HistoryStore | None = None
    windows: WindowBuilder | None = None
    plans: MutableMapping[str, TypePlan] = field(default_factory=dict)
    """The window plan per record type (the pipeline's, shared: a type nobody owns is added
    the first time it is met)."""
    build_windows: bool = True
    window_queue: WindowScheduler | None = None
    """Where a windowed input leaves its person for the builders (instead of building her
    windows before it settles)."""
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    log: Any = field(default_factory=lambda: get_logger("etl.pipeline"))
    held: list[str] = field(default_factory=list)
    """Dedup keys claimed and not yet completed (failed on an error)."""
    outcome: Outcome = field(init=False)

    # Left by the stages for the next ones.
    spec: RecordTypeSpec | None = None
    schema_findings: list[Finding] = field(default_factory=list)
    batch: Batch | None = None
    report: ValidationReport | None = None
    clean: Batch | None = None
    """The batch without the records validation left out: what is merged and processed."""
    quarantine: Quarantine | None = None
    content_key: str | None = None
    fingerprint: str = ""
    result: ProcessResult | None = None
    processor: str = ""

    def __post_init__(self) -> None:
        self.outcome = Outcome(Status.FAILED, self.job.key)

    @property
    def readable(self) -> bool:
        """Whether the owner's reader schema can read the file (no blocking schema finding):
        otherwise its records are decoded with the writer schema and not validated further."""
        return not any(f.severity is Severity.BLOCKING for f in self.schema_findings)

    def decoded(self) -> tuple[Batch, RecordTypeSpec]:
        assert self.batch is not None and self.spec is not None, "decode_stage has not run"
        return self.batch, self.spec

    def validated(self) -> tuple[Batch, RecordTypeSpec, ValidationReport]:
        assert self.clean is not None and self.spec is not None and self.report is not None, (
            "validate_stage has not passed"
        )
        return self.clean, self.spec, self.report


Stage = Callable[[FileRun], bool]


def decode_stage(run: FileRun) -> bool:
    """Read the header, tell the record type, check the writer schema against the owner's
    reader schema and decode the records (resolving them into the reader schema only when the
    two differ)."""
    job, outcome = run.job, run.outcome
    with timed(outcome, "decode"):
        try:
            writer_schema = read_header(job.data, run.settings.max_file_size_bytes, job.key)
            record_type, _ = detect_record_type(writer_schema, job.key)
        except InputError:
            outcome.record_type = record_type_from_filename(job.key)
            raise
        outcome.record_type = record_type
        if job.expected_record_type and job.expected_record_type != record_type:
            raise RecordTypeMismatchError(
                f"{job.key}: the message says {job.expected_record_type} but the file holds "
                f"{record_type}"
            )
        spec = run.registry.spec_for(record_type, writer_schema)
        outcome.health_domain = spec.health_domain
        run.spec = spec
        run.schema_findings = schema_findings(run.governor, spec, writer_schema)
        reader = (
            run.governor.resolution_schema(spec.reader_schema, writer_schema)
            if run.readable
            else None
        )
        records = decode_records(job.data, job.key, reader)
        outcome.records = len(records)
    run.batch = Batch(
        record_type=record_type,
        records=records,
        source=SourceRef(job.bucket, job.key, len(job.data), run.sha256),
        correlation_id=job.correlation_id,
        user=job.user,
        writer_schema=writer_schema,
    )
    run.log = run.log.bind(record_type=record_type)
    run.log.info("decoded", records=len(records))
    return True


def validate_stage(run: FileRun) -> bool:
    """Score the schema findings, core's generic checks and the owner's ``etl_validate``
    against ``ETL_QUALITY_THRESHOLD``; below it (or blocked) the input is quarantined."""
    batch, spec = run.decoded()
    outcome = run.outcome
    with timed(outcome, "validate"):
        findings = run.schema_findings + (
            run.registry.validate(batch, spec) if run.readable else []
        )
        report = score(findings, len(batch.records), run.settings.quality_threshold)
    run.report = report
    outcome.quality_score = report.quality_score
    outcome.finding_codes = [f.code for f in report.findings if f.severity is not Severity.INFO]
    run.log.info(
        "validated",
        quality_score=report.quality_score,
        findings=len(findings),
        excluded_records=len(report.excluded_indices),
    )
    if not report.passed:
        message = "; ".join(f.message for f in report.findings if f.severity != "info")
        run.quarantine = Quarantine(report, "below_quality_threshold", message)
        return False
    # A file that passes loses its excluded records silently unless the outcome says so.
    outcome.excluded_records = len(report.excluded_indices)
    for finding in report.findings:
        if finding.severity is Severity.ERROR and finding.record_indices:
            count = outcome.exclusions.get(finding.code, 0) + len(finding.record_indices)
            outcome.exclusions[finding.code] = count
    run.clean = batch.without(report.excluded_indices)
    return True


def history_stage(run: FileRun) -> bool:
    """Merge the valid records into the person's history (when the pipeline keeps one). For
    a windowed record type this settles the input: the windows its records touch are rebuilt
    (with ``build_windows``) and their examples are its outcome. A per-upload processor's
    records join the history too (their offsets tell the local time of the person's records
    that carry none), and the input goes on to be processed on its own."""
    if run.history is None:
        return True
    clean, spec, _ = run.validated()
    plan = plan_of(run, clean.record_type, spec)
    if plan.rules:
        _merge_windowed(run, plan)
        return False
    with timed(run.outcome, "merge"):
        run.history.merge(
            run.pseudonym,
            clean.record_type,
            clean.records,
            run.plans,
            run.job.user.timezone,
            person=run.job.user,
        )
    return True


def plan_of(run: FileRun, record_type: str, spec: RecordTypeSpec) -> TypePlan:
    plan = run.plans.get(record_type)
    if plan is None:
        # A type nobody owns: core's fallback describes each local day. Remembered so that
        # later merges know its windows too (a dict insert is atomic under the GIL).
        plan = run.plans.setdefault(record_type, run.registry.plan_for(record_type, spec))
    return plan


def _merge_windowed(run: FileRun, plan: TypePlan) -> None:
    assert run.history is not None and run.windows is not None
    clean, _, report = run.validated()
    outcome, job = run.outcome, run.job
    days = local_days(clean.records, plan.time_fields, job.user.timezone)
    limit = run.settings.max_window_days_per_file
    if len(days) > limit:
        blocking = Finding(
            Dimension.TEMPORAL,
            Severity.BLOCKING,
            "too_many_days",
            f"the records span {len(days)} local days; one file may span at most {limit} "
            "(ETL_MAX_WINDOW_DAYS_PER_FILE)",
        )
        blocked = score([*report.findings, blocking], len(clean.records), report.threshold)
        run.quarantine = Quarantine(blocked, "too_many_days", blocking.message)
        return
    with timed(outcome, "merge"):
        merged = run.history.merge(
            run.pseudonym,
            clean.record_type,
            clean.records,
            run.plans,
            job.user.timezone,
            person=job.user,
        )
    run.log.info(
        "merged",
        added=merged.added,
        replaced=merged.replaced,
        unchanged=merged.unchanged,
        windows=len(merged.windows),
    )
    if run.window_queue is not None:
        # Also when nothing changed: a redelivered upload may find the windows its first
        # delivery merged still pending.
        run.window_queue.add(run.pseudonym, job.correlation_id)
    elif run.build_windows:
        with timed(outcome, "windows"):
            outcome.windows = run.windows.rebuild_pending(
                run.pseudonym, job.user, job.correlation_id
            )
        outcome.examples = [key for built in outcome.windows for key in built.examples]
    outcome.status = Status.PROCESSED if merged.changed else Status.DUPLICATE_CONTENT
    if not merged.changed:
        outcome.message = "the history already held every record of this input"


def local_days(
    records: Iterable[Record], time_fields: Sequence[str], zone: tzinfo | None
) -> set[date]:
    """The local days ``records`` touch: the union of
    :func:`~etl_core.contract.windows.window_days_of` under the day rule
    for each record, with each offset id's clock resolved once and each (first, last) day pair
    expanded once, since a file holds up to hundreds of thousands of records."""
    if not time_fields:
        return set()
    rule = WindowRule.day()
    start_field, end_field = time_fields[0], time_fields[-1]
    start_offset, end_offset = offset_field_for(start_field), offset_field_for(end_field)
    clocks: dict[str | None, tzinfo] = {}

    def local_day(epoch_ms: int, offset_id: object) -> date:
        key = offset_id if isinstance(offset_id, str) else None
        clock = clocks.get(key)
        if clock is None:
            clock = clocks[key] = resolve_tz(readable_offset(key), zone)
        # The day rule's window day is the local calendar date (windows.record_span's clock).
        return datetime.fromtimestamp(epoch_ms / 1000, tz=clock).date()

    days: set[date] = set()
    spans: set[tuple[date, date]] = set()
    for record in records:
        start = record.get(start_field)
        if not isinstance(start, int) or isinstance(start, bool):
            continue
        end = record.get(end_field)
        if not isinstance(end, int) or isinstance(end, bool) or end < start:
            end = start
        first = local_day(start, record.get(start_offset))
        if end == start and end_offset == start_offset:
            last = first
        else:
            last = local_day(end, record.get(end_offset))
        if (first, last) not in spans:
            spans.add((first, last))
            days.update(rule.first_days_overlapping(first, max(first, last)))
    return days


def content_claim_stage(run: FileRun) -> bool:
    """Claim the input's record set: one made the example already (another file of the same
    sync) settles this input as a duplicate."""
    assert run.dedup is not None
    batch, _ = run.decoded()
    run.fingerprint = content_fingerprint(batch.records)
    content_key = f"content:{run.pseudonym}:{batch.record_type}:{run.fingerprint}"
    claim = claim_content(run.dedup, content_key, run.owner)
    if claim.status is ClaimStatus.COMPLETED:
        run.outcome.status = Status.DUPLICATE_CONTENT
        run.outcome.message = "the same record set already made an example"
        run.log.info("duplicate_content")
        return False
    if claim.status is ClaimStatus.IN_PROGRESS:
        raise TransientError(f"{run.job.key}: another worker is processing the same record set")
    if claim.taken_over:
        run.log.info("claim_taken_over", dedup_key_kind="content", reason="owner_gone")
    run.held.append(content_key)
    run.content_key = content_key
    return True


def process_stage(run: FileRun) -> bool:
    """The owner's ``etl_process`` (core's fallback when there is none or it declines)."""
    clean, spec, report = run.validated()
    with timed(run.outcome, "process"):
        result, processor = run.registry.process(clean, spec, report)
    run.result, run.processor = result, processor
    run.outcome.events = dict(result.events)
    run.outcome.counters = dict(result.counters)
    run.log.info("processed", processor=processor, events=dict(result.events))
    return True


def emit_stage(run: FileRun) -> bool:
    """Every plugin's ``etl_emit`` artifacts, written to the object store."""
    assert run.store is not None and run.result is not None
    clean, spec, report = run.validated()
    result = run.result
    with timed(run.outcome, "emit"):
        processed_at = run.clock()
        start, end = bounds(clean, spec, result.data_start, result.data_end, processed_at)
        processed = ProcessedBatch(
            batch=clean,
            spec=spec,
            validation=report,
            result=result,
            processor=run.processor,
            user_pseudonym=run.pseudonym,
            content_fingerprint=run.fingerprint,
            idempotency_key=run.idempotency_key,
            data_start=start,
            data_end=end,
            processed_at=processed_at,
            include_metadata=run.settings.include_metadata,
        )
        for artifact in run.registry.emit(processed):
            # The first write of a content-derived key is final: a worker that takes over an
            # expired claim finds the example there and does not rewrite it.
            run.store.put(artifact.key, artifact.data, if_absent=True)
            run.outcome.examples.append(artifact.key)
    run.log.info("emitted", artifacts=len(run.outcome.examples))
    return True


STAGES: tuple[Stage, ...] = (
    decode_stage,
    validate_stage,
    history_stage,
    content_claim_stage,
    process_stage,
    emit_stage,
)
"""The stages of one input, in the order the pipeline runs them."""


def run_stages(run: FileRun, stages: Sequence[Stage] = STAGES) -> bool:
    """Run ``stages`` in order until one settles the input; ``True`` when all of them ran."""
    return all(stage(run) for stage in stages)


def content_fingerprint(records: Sequence[Mapping[str, Any]]) -> str:
    """Identifies a record set regardless of fetch time and file bytes: the sorted
    (metadata.id, lastModifiedTimeEpochMillis) pairs; records without metadata count by value."""
    items = []
    for record in records:
        metadata = record.get("metadata")
        if isinstance(metadata, Mapping) and metadata.get("id"):
            items.append(f"{metadata['id']}\x1f{metadata.get('lastModifiedTimeEpochMillis')}")
        else:
            items.append(json.dumps(record, sort_keys=True, default=str))
    digest = hashlib.sha256()
    for item in sorted(items):
        digest.update(item.encode("utf-8"))
        digest.update(b"\x1e")
    return digest.hexdigest()


def claim_content(dedup: DedupStore, content_key: str, owner: str) -> Claim:
    """Claim a record set. Another worker holding the same set is usually milliseconds from
    done (snapshots of one sync arrive together), so wait a little for its outcome before
    handing the message to a retry queue."""
    deadline = time.monotonic() + CONTENT_WAIT_SECONDS
    delay = 0.01
    claim = dedup.claim(content_key, owner)
    while claim.status is ClaimStatus.IN_PROGRESS and time.monotonic() < deadline:
        time.sleep(delay)
        delay = min(delay * 2, 0.2)
        claim = dedup.claim(content_key, owner)
    return claim


def bounds(
    batch: Batch,
    spec: RecordTypeSpec,
    start: datetime | None,
    end: datetime | None,
    fallback: datetime,
) -> tuple[datetime, datetime]:
    """An example's data_start/data_end: the processor's own when it gives both, else the
    records' span (``fallback``, the processing time, when they carry no time)."""
    if start is not None and end is not None:
        return start, end
    span = batch_bounds(batch.records, spec.time_fields, batch.user.timezone)
    if span is None:
        return fallback, fallback
    return start or span[0], end or span[1]


@contextmanager
def timed(outcome: Outcome, stage: str) -> Iterator[None]:
    """Time a stage into ``outcome.timings`` (added up when a stage runs twice) and trace it."""
    started = time.perf_counter()
    try:
        with stage_span(stage):
            yield
    finally:
        outcome.timings[stage] = outcome.timings.get(stage, 0.0) + time.perf_counter() - started
