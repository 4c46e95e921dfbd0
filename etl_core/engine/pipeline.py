"""The pipeline: one input file in, one outcome out, whatever the transport.

dedup claim -> decode -> validate -> (quarantine | content claim -> process -> emit) -> dedup
completion. ``etl run`` calls :meth:`Pipeline.run` for local files; the RabbitMQ worker calls
the same method for each message. Everything the pipeline touches arrives through its
constructor (plugin registry, object store, dedup store, settings), so it holds no global state
and one instance serves many threads.
"""

from __future__ import annotations

import contextlib
import enum
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from etl_core.contract.errors import (
    EtlError,
    InputError,
    ProcessorError,
    RecordTypeMismatchError,
    TransientError,
)
from etl_core.contract.model import (
    Batch,
    Dimension,
    Finding,
    ProcessedBatch,
    RecordTypeSpec,
    Severity,
    SourceRef,
    UserContext,
    ValidationReport,
)
from etl_core.contract.timeutil import batch_bounds, iso
from etl_core.contract.windows import TypePlan, WindowRule, window_days_of
from etl_core.engine.decode import (
    SchemaGovernor,
    decode_records,
    detect_record_type,
    read_header,
    record_type_from_filename,
    schema_fingerprint,
)
from etl_core.engine.identifiers import redact_key
from etl_core.engine.registry import PluginRegistry
from etl_core.engine.validate import schema_findings, score
from etl_core.engine.window_stage import WindowBuilder, WindowOutcome
from etl_core.observability.logs import get_logger
from etl_core.observability.metrics import EtlMetrics
from etl_core.observability.tracing import stage_span
from etl_core.settings import Settings
from etl_core.stores.dedup import (
    Claim,
    ClaimStatus,
    DedupStore,
    DedupUnavailableError,
    new_owner_token,
)
from etl_core.stores.history import SqlHistoryStore
from etl_core.stores.objects.base import (
    ObjectStore,
    UnsafeKeyError,
    check_key,
    no_space_path,
)

STAGES = ("claim", "decode", "validate", "process", "emit", "complete")
CONTENT_WAIT_SECONDS = 5.0


class Status(enum.StrEnum):
    PROCESSED = "processed"
    """New records reached the history (their windows are rebuilt), or, for a per-upload
    processor, an example was written."""
    DUPLICATE_FILE = "duplicate_file"
    """This exact input was completed before; nothing was done."""
    DUPLICATE_CONTENT = "duplicate_content"
    """The history already held every record of this input (or, per upload, another input
    with the same record set already made the example)."""
    QUARANTINED = "quarantined"
    """Below the quality threshold or blocked: kept under ``quarantine/`` with its reasons."""
    FAILED = "failed"
    """An error; ``retriable`` says whether the same input may succeed later."""


@dataclass(frozen=True, slots=True)
class Job:
    """One input file and what is known about it."""

    data: bytes
    bucket: str
    key: str
    """The object key (or relative path) of the input; it keeps the original file name. The
    pipeline carries it on only as :meth:`Pipeline.redacted_key` leaves it."""
    user_id: str
    correlation_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    idempotency_key: str | None = None
    """Defaults to one derived from the user's pseudonym and the file's sha256."""
    user: UserContext = field(default_factory=UserContext)
    expected_record_type: str | None = None
    """The record type an upload message announced; a file of another type is an error."""


@dataclass
class Outcome:
    status: Status
    key: str
    record_type: str | None = None
    health_domain: str | None = None
    records: int = 0
    quality_score: float | None = None
    examples: list[str] = field(default_factory=list)
    quarantine_key: str | None = None
    quarantine_reason: str | None = None
    """Why the input was quarantined, as a code: ``below_quality_threshold`` or
    ``too_many_days``."""
    error_type: str | None = None
    message: str = ""
    retriable: bool = False
    events: dict[str, int] = field(default_factory=dict)
    counters: dict[str, float] = field(default_factory=dict)
    finding_codes: list[str] = field(default_factory=list)
    """Codes of the warning-or-worse validation findings (for metrics)."""
    timings: dict[str, float] = field(default_factory=dict)
    windows: list[WindowOutcome] = field(default_factory=list)
    """The windows rebuilt while handling this input (none when the runner builds them at the
    end of a run)."""
    no_space: str | None = None
    """Set when the failure was a full disk or an exhausted quota: the path being written
    (``""`` if unknown). Retriable for a worker; ``etl run`` stops on it."""

    @property
    def ok(self) -> bool:
        return self.status is not Status.FAILED


def pseudonymise(user_id: str, key: bytes) -> str:
    """A stable pseudonym: HMAC-SHA256 of the user id under the deployment's secret key."""
    return "u_" + hmac.new(key, user_id.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


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


class Pipeline:
    def __init__(
        self,
        registry: PluginRegistry,
        store: ObjectStore,
        dedup: DedupStore,
        settings: Settings,
        *,
        metrics: EtlMetrics | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        history: SqlHistoryStore | None = None,
        build_windows: bool = True,
    ) -> None:
        self.metrics = metrics
        self.registry = registry
        self.store = store
        self.dedup = dedup
        self.settings = settings
        self.history = history
        self.build_windows = build_windows
        """Rebuild a person's pending windows after each input (the worker); the embedded
        runner builds them once at the end of a run instead (:meth:`rebuild_windows`)."""
        self.plans: dict[str, TypePlan] = dict(registry.window_plan)
        self.windows = (
            WindowBuilder(
                registry, history, store, settings, self.plans, metrics=metrics, clock=clock
            )
            if history is not None
            else None
        )
        self.governor = SchemaGovernor()
        self._same_schemas: dict[tuple[int, str], bool] = {}
        self._pseudonym_key, _ = settings.effective_pseudonym_key()
        self._clock = clock
        self._log = get_logger("etl.pipeline")

    # -- the whole pipeline -------------------------------------------------------------------

    def pseudonym(self, user_id: str) -> str:
        return pseudonymise(user_id, self._pseudonym_key)

    def redacted_key(self, key: str, user_id: str) -> str:
        """``key`` as outputs, logs and messages may show it: the user's id, wherever it stands
        apart in the key, and any e-mail-looking token pseudonymised."""
        return redact_key(key, user_id, self.pseudonym)

    def rebuild_windows(
        self, user_id: str, user: UserContext, correlation_id: str
    ) -> list[WindowOutcome]:
        """Rebuild every pending window of the person (the embedded runner's last step)."""
        if self.windows is None:
            return []
        return self.windows.rebuild_pending(self.pseudonym(user_id), user, correlation_id)

    def run(self, job: Job) -> Outcome:
        pseudonym = pseudonymise(job.user_id, self._pseudonym_key)
        # The bytes are in hand: from here on the key only names the input, so no example,
        # quarantine path, log line or error message can carry an identifier it held.
        job = replace(job, key=self.redacted_key(job.key, job.user_id))
        sha256 = hashlib.sha256(job.data).hexdigest()
        idempotency_key = job.idempotency_key or f"file:{pseudonym}:{sha256}"
        owner = new_owner_token()
        outcome = Outcome(Status.FAILED, job.key)
        log = self._log.bind(correlation_id=job.correlation_id, source_key=job.key)
        held: list[str] = []
        try:
            with _timed(outcome, "claim"):
                claim = self.dedup.claim(idempotency_key, owner)
            if claim.status is ClaimStatus.COMPLETED:
                outcome.status = Status.DUPLICATE_FILE
                outcome.record_type = claim.detail or record_type_from_filename(job.key)
                outcome.message = f"already completed ({claim.outcome})"
                log.info("duplicate_file", previous_outcome=claim.outcome)
                return outcome
            if claim.status is ClaimStatus.IN_PROGRESS:
                raise TransientError(f"{job.key}: another worker holds this input")
            if claim.taken_over:
                log.info("claim_taken_over", dedup_key_kind="file", reason="owner_gone")
            held.append(idempotency_key)
            self._run_claimed(job, outcome, pseudonym, sha256, idempotency_key, owner, held, log)
        except EtlError as exc:
            # Storage and dedup outages are EtlErrors too (retriable, error_type "transient").
            self._fail(job, outcome, exc, owner, held, log, no_space=no_space_path(exc))
        if self.metrics is not None:
            self.metrics.observe_outcome(
                record_type=outcome.record_type,
                health_domain=outcome.health_domain,
                status=str(outcome.status),
                quality_score=outcome.quality_score,
                finding_codes=outcome.finding_codes,
                events=outcome.events,
                counters=outcome.counters,
                examples=len(outcome.examples),
                error_type=outcome.error_type,
                timings=outcome.timings,
            )
        return outcome

    def _run_claimed(
        self,
        job: Job,
        outcome: Outcome,
        pseudonym: str,
        sha256: str,
        idempotency_key: str,
        owner: str,
        held: list[str],
        log: Any,
    ) -> None:
        with _timed(outcome, "decode"):
            try:
                writer_schema = read_header(job.data, self.settings.max_file_size_bytes, job.key)
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
            spec = self.registry.spec_for(record_type, writer_schema)
            outcome.health_domain = spec.health_domain
            schema_found = schema_findings(self.governor, spec, writer_schema)
            compatible = not any(f.severity is Severity.BLOCKING for f in schema_found)
            records = decode_records(job.data, job.key, spec.reader_schema if compatible else None)
            outcome.records = len(records)
        batch = Batch(
            record_type=record_type,
            records=records,
            source=SourceRef(job.bucket, job.key, len(job.data), sha256),
            correlation_id=job.correlation_id,
            user=job.user,
            writer_schema=writer_schema,
        )
        log = log.bind(record_type=record_type)
        log.info("decoded", records=len(records))

        with _timed(outcome, "validate"):
            findings = schema_found + (self.registry.validate(batch, spec) if compatible else [])
            report = score(findings, len(records), self.settings.quality_threshold)
        outcome.quality_score = report.quality_score
        outcome.finding_codes = [f.code for f in report.findings if f.severity is not Severity.INFO]
        log.info("validated", quality_score=report.quality_score, findings=len(findings))
        if not report.passed:
            self._quarantine(job, outcome, record_type, report, pseudonym)
            self._complete(idempotency_key, owner, "quarantined", held, detail=record_type)
            outcome.status = Status.QUARANTINED
            outcome.quarantine_reason = "below_quality_threshold"
            outcome.message = "; ".join(f.message for f in report.findings if f.severity != "info")
            log.info("quarantined", quality_score=report.quality_score)
            return

        clean = batch.without(report.excluded_indices)
        if self.history is not None:
            plan = self._plan(record_type, spec)
            if plan.rules:
                self._merge_into_history(job, outcome, clean, plan, report, pseudonym, log)
                with _timed(outcome, "complete"):
                    self._complete(
                        idempotency_key, owner, str(outcome.status), held, detail=record_type
                    )
                return
            # A per-upload processor's records still join the history: their offsets tell the
            # local time of the person's records that carry none.
            with _timed(outcome, "merge"):
                self.history.merge(
                    pseudonym, record_type, clean.records, self.plans, job.user.timezone
                )

        fingerprint = content_fingerprint(records)
        content_key = f"content:{pseudonym}:{record_type}:{fingerprint}"
        content_claim = self._claim_content(content_key, owner)
        if content_claim.status is ClaimStatus.COMPLETED:
            self._complete(idempotency_key, owner, "duplicate_content", held, detail=record_type)
            outcome.status = Status.DUPLICATE_CONTENT
            outcome.message = "the same record set already made an example"
            log.info("duplicate_content")
            return
        if content_claim.status is ClaimStatus.IN_PROGRESS:
            raise TransientError(f"{job.key}: another worker is processing the same record set")
        if content_claim.taken_over:
            log.info("claim_taken_over", dedup_key_kind="content", reason="owner_gone")
        held.append(content_key)

        with _timed(outcome, "process"):
            result, processor = self.registry.process(clean, spec, report)
        outcome.events = dict(result.events)
        outcome.counters = dict(result.counters)
        log.info("processed", processor=processor, events=dict(result.events))

        with _timed(outcome, "emit"):
            processed_at = self._clock()
            start, end = self._bounds(clean, spec, result.data_start, result.data_end, processed_at)
            processed = ProcessedBatch(
                batch=clean,
                spec=spec,
                validation=report,
                result=result,
                processor=processor,
                user_pseudonym=pseudonym,
                content_fingerprint=fingerprint,
                idempotency_key=idempotency_key,
                data_start=start,
                data_end=end,
                processed_at=processed_at,
                include_metadata=self.settings.include_metadata,
            )
            for artifact in self.registry.emit(processed):
                # The first write of a content-derived key is final: a worker that takes over
                # an expired claim finds the example there and does not rewrite it.
                self.store.put(artifact.key, artifact.data, if_absent=True)
                outcome.examples.append(artifact.key)
        log.info("emitted", artifacts=len(outcome.examples))

        with _timed(outcome, "complete"):
            self._complete(content_key, owner, "processed", held, detail=",".join(outcome.examples))
            self._complete(idempotency_key, owner, "processed", held, detail=record_type)
        outcome.status = Status.PROCESSED
        log.info("completed")

    def _plan(self, record_type: str, spec: RecordTypeSpec) -> TypePlan:
        plan = self.plans.get(record_type)
        if plan is None:
            # A type nobody owns: core's fallback describes each local day. Remembered so that
            # later merges know its windows too (a dict insert is atomic under the GIL).
            plan = self.plans.setdefault(record_type, self.registry.plan_for(record_type, spec))
        return plan

    def _merge_into_history(
        self,
        job: Job,
        outcome: Outcome,
        clean: Batch,
        plan: TypePlan,
        report: ValidationReport,
        pseudonym: str,
        log: Any,
    ) -> None:
        """Merge the input's valid records into the person's history; with ``build_windows``,
        rebuild the person's pending windows."""
        assert self.history is not None and self.windows is not None
        days = {
            day
            for record in clean.records
            for day in window_days_of(WindowRule.day(), record, plan.time_fields, job.user.timezone)
        }
        limit = self.settings.max_window_days_per_file
        if len(days) > limit:
            blocking = Finding(
                Dimension.TEMPORAL,
                Severity.BLOCKING,
                "too_many_days",
                f"the records span {len(days)} local days; one file may span at most {limit} "
                "(ETL_MAX_WINDOW_DAYS_PER_FILE)",
            )
            blocked = score([*report.findings, blocking], len(clean.records), report.threshold)
            self._quarantine(job, outcome, clean.record_type, blocked, pseudonym)
            outcome.status = Status.QUARANTINED
            outcome.quarantine_reason = "too_many_days"
            outcome.message = blocking.message
            log.info("quarantined", reason="too_many_days")
            return
        with _timed(outcome, "merge"):
            merged = self.history.merge(
                pseudonym, clean.record_type, clean.records, self.plans, job.user.timezone
            )
        log.info(
            "merged",
            added=merged.added,
            replaced=merged.replaced,
            unchanged=merged.unchanged,
            windows=len(merged.windows),
        )
        if self.build_windows:
            with _timed(outcome, "windows"):
                outcome.windows = self.windows.rebuild_pending(
                    pseudonym, job.user, job.correlation_id
                )
            outcome.examples = [key for built in outcome.windows for key in built.examples]
        outcome.status = Status.PROCESSED if merged.changed else Status.DUPLICATE_CONTENT
        if not merged.changed:
            outcome.message = "the history already held every record of this input"

    # -- helpers ------------------------------------------------------------------------------

    def _claim_content(self, content_key: str, owner: str) -> Claim:
        """Claim a record set. Another worker holding the same set is usually milliseconds from
        done (snapshots of one sync arrive together), so wait a little for its outcome before
        handing the message to a retry queue."""
        deadline = time.monotonic() + CONTENT_WAIT_SECONDS
        delay = 0.01
        claim = self.dedup.claim(content_key, owner)
        while claim.status is ClaimStatus.IN_PROGRESS and time.monotonic() < deadline:
            time.sleep(delay)
            delay = min(delay * 2, 0.2)
            claim = self.dedup.claim(content_key, owner)
        return claim

    def _resolution_schema(
        self, spec: RecordTypeSpec, writer_schema: Mapping[str, Any], compatible: bool
    ) -> Mapping[str, Any] | None:
        """The reader schema to resolve records into, or ``None`` when decoding with the
        writer schema gives the same records (resolution costs about three times the decode)."""
        if not compatible or spec.reader_schema is None:
            return None
        if self._same_schema(spec.reader_schema, writer_schema):
            return None
        return spec.reader_schema

    def _same_schema(self, reader: Mapping[str, Any], writer: Mapping[str, Any]) -> bool:
        key = (id(reader), json.dumps(writer, sort_keys=True))
        same = self._same_schemas.get(key)
        if same is None:
            same = schema_fingerprint(reader) == schema_fingerprint(writer)
            self._same_schemas[key] = same
        return same

    @staticmethod
    def _bounds(
        batch: Batch,
        spec: RecordTypeSpec,
        start: datetime | None,
        end: datetime | None,
        fallback: datetime,
    ) -> tuple[datetime, datetime]:
        if start is not None and end is not None:
            return start, end
        bounds = batch_bounds(batch.records, spec.time_fields, batch.user.timezone)
        if bounds is None:
            return fallback, fallback
        return start or bounds[0], end or bounds[1]

    def _complete(
        self, key: str, owner: str, outcome: str, held: list[str], detail: str | None = None
    ) -> None:
        if not self.dedup.complete(key, owner, outcome, detail):
            # Our lease ran out and someone else took the key over: their outcome stands, and
            # our writes were content-addressed, so nothing is duplicated.
            self._log.warning("lease_lost", dedup_key_kind=key.split(":", 1)[0])
        if key in held:
            held.remove(key)

    def _fail(
        self,
        job: Job,
        outcome: Outcome,
        error: EtlError,
        owner: str,
        held: list[str],
        log: Any,
        *,
        no_space: str | None = None,
    ) -> None:
        outcome.status = Status.FAILED
        outcome.error_type = error.error_type
        outcome.retriable = error.retriable
        outcome.message = str(error)
        if no_space is not None:
            outcome.error_type = "no_space"
            outcome.retriable = True
            outcome.no_space = no_space
        if isinstance(error, InputError) and not outcome.quarantine_key:
            self._quarantine_unreadable(job, outcome, error)
        for key in list(held):
            # If the store is down (or its disk full) the claim stays: its lease expires, or a
            # process on the same host sees its recorded holder is gone and takes it over.
            with contextlib.suppress(DedupUnavailableError):
                self.dedup.fail(key, owner, outcome.error_type or error.error_type)
        log.warning("failed", error_type=outcome.error_type, retriable=outcome.retriable)
        if isinstance(error, ProcessorError) and error.__cause__ is not None:
            # DEBUG only: a plugin's traceback and exception text may quote a health value.
            log.debug(
                "plugin_traceback",
                plugin=error.plugin,
                hook=error.hook,
                traceback=error.traceback_text(),
            )

    def _quarantine_keys(self, record_type: str | None, source_key: str) -> tuple[str, str]:
        prefix = self.settings.quarantine_prefix
        try:
            relative = check_key(source_key)
        except UnsafeKeyError:
            relative = hashlib.sha256(source_key.encode("utf-8", "replace")).hexdigest() + ".avro"
        key = f"{prefix}{record_type or 'unknown'}/{relative}"
        return key, f"{key}.metadata.json"

    def _write_quarantine(self, data: bytes, key: str, metadata: dict[str, Any]) -> None:
        meta_key = f"{key}.metadata.json"
        body = json.dumps(metadata, indent=2, ensure_ascii=False).encode("utf-8")
        # The bytes first: a metadata object never points at a file that is not there.
        self.store.put(key, data, if_absent=True)
        self.store.put(meta_key, body, if_absent=True)

    def _quarantine(
        self,
        job: Job,
        outcome: Outcome,
        record_type: str,
        report: ValidationReport,
        pseudonym: str,
    ) -> None:
        if not self.settings.enable_quarantine:
            return
        key, _ = self._quarantine_keys(record_type, job.key)
        self._write_quarantine(
            job.data,
            key,
            {
                "source_bucket": job.bucket,
                "source_key": job.key,
                "record_type": record_type,
                "user": pseudonym,
                "correlation_id": job.correlation_id,
                "quarantined_at": iso(self._clock()),
                "quality_score": report.quality_score,
                "threshold": report.threshold,
                "scores": {str(d): round(s, 4) for d, s in report.scores.items()},
                "reasons": [f.message for f in report.findings if f.severity != "info"],
                "findings": [
                    {
                        "dimension": str(f.dimension),
                        "severity": str(f.severity),
                        "code": f.code,
                        "message": f.message,
                        "affected": f.affected,
                    }
                    for f in report.findings
                ],
            },
        )
        outcome.quarantine_key = key

    def _quarantine_unreadable(self, job: Job, outcome: Outcome, error: EtlError) -> None:
        """Keep a copy of a file that could not be decoded, with the reason, so that a bad
        upload is never lost even when its source is cleaned up."""
        if not self.settings.enable_quarantine:
            return
        key, _ = self._quarantine_keys(outcome.record_type, outcome.key)
        try:
            self._write_quarantine(
                job.data,
                key,
                {
                    "source_key": outcome.key,
                    "record_type": outcome.record_type,
                    "quarantined_at": iso(self._clock()),
                    "error_type": error.error_type,
                    "reasons": [str(error)],
                },
            )
            outcome.quarantine_key = key
        except EtlError as exc:
            # The copy must exist before the failure is final: let the caller try again.
            outcome.retriable = True
            outcome.error_type = "storage_unavailable"
            outcome.no_space = no_space_path(exc)
            if outcome.no_space is not None:
                outcome.error_type = "no_space"


@contextmanager
def _timed(outcome: Outcome, stage: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        with stage_span(stage):
            yield
    finally:
        outcome.timings[stage] = outcome.timings.get(stage, 0.0) + time.perf_counter() - started
