"""The pipeline: one input file in, one outcome out, whatever the transport.

dedup claim -> the stages of :mod:`etl_core.engine.stages` (decode -> validate -> history ->
content claim -> process -> emit, until one settles the input) -> the quarantine copy, when a
stage quarantined it -> dedup completion. ``etl run`` calls :meth:`Pipeline.run` for local
files; the RabbitMQ worker calls the same method for each message. Everything the pipeline
touches arrives through its constructor (plugin registry, object store, dedup store, settings),
so it holds no global state and one instance serves many threads.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from etl_core.contract.errors import EtlError, InputError, ProcessorError, TransientError
from etl_core.contract.model import UserContext, ValidationReport
from etl_core.contract.timeutil import iso
from etl_core.contract.windows import TypePlan
from etl_core.engine.decode import SchemaGovernor, record_type_from_filename
from etl_core.engine.identifiers import redact_key
from etl_core.engine.job import Job, Outcome, Status
from etl_core.engine.registry import PluginRegistry
from etl_core.engine.stages import (
    CONTENT_WAIT_SECONDS,
    STAGES,
    FileRun,
    content_fingerprint,
    run_stages,
    timed,
)
from etl_core.engine.window_queue import WindowQueue, WindowScheduler
from etl_core.engine.window_stage import WindowBuilder, WindowOutcome
from etl_core.observability.logs import get_logger
from etl_core.settings import Settings
from etl_core.stores.dedup import ClaimStatus, DedupStore, DedupUnavailableError, new_owner_token
from etl_core.stores.history.base import HistoryStore
from etl_core.stores.objects.base import (
    ObjectStore,
    UnsafeKeyError,
    check_key,
    no_space_path,
)

if TYPE_CHECKING:
    from etl_core.observability.metrics import EtlMetrics

__all__ = [
    "CONTENT_WAIT_SECONDS",
    "STAGES",
    "Job",
    "Outcome",
    "Pipeline",
    "Status",
    "content_fingerprint",
    "pseudonymise",
]


def pseudonymise(user_id: str, key: bytes) -> str:
    """A stable pseudonym: HMAC-SHA256 of the user id under the deployment's secret key."""
    return "u_" + hmac.new(key, user_id.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


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
        history: HistoryStore | None = None,
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
        self.window_queue: WindowScheduler | None = None
        self.governor = SchemaGovernor()
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

    def defer_windows(
        self,
        threads: int,
        default_person: UserContext | None = None,
        *,
        sweep_seconds: float = 60.0,
    ) -> WindowQueue | None:
        """From now on, settle a windowed input once it is merged and leave its person's
        windows to ``threads`` builder threads (``etl consume``); the caller starts and stops
        the queue returned. With no history or no threads, windows stay on the message path
        and this returns ``None``."""
        if self.windows is None or self.history is None or threads < 1:
            return None
        queue = WindowQueue(
            self.windows,
            self.history,
            threads=threads,
            default_person=default_person,
            sweep_seconds=sweep_seconds,
        )
        self.window_queue = queue
        return queue

    def defer_windows_to(self, scheduler: WindowScheduler) -> bool:
        """Like :meth:`defer_windows`, with the rebuilds left to ``scheduler`` (builder
        processes, say); returns ``False``, and keeps windows on the message path, when there
        is no history to build from."""
        if self.windows is None or self.history is None:
            return False
        self.window_queue = scheduler
        return True

    def run(self, job: Job) -> Outcome:
        pseudonym = pseudonymise(job.user_id, self._pseudonym_key)
        # The bytes are in hand: from here on the key only names the input, so no example,
        # quarantine path, log line or error message can carry an identifier it held.
        job = replace(job, key=self.redacted_key(job.key, job.user_id))
        sha256 = hashlib.sha256(job.data).hexdigest()
        run = FileRun(
            job=job,
            registry=self.registry,
            settings=self.settings,
            governor=self.governor,
            pseudonym=pseudonym,
            sha256=sha256,
            idempotency_key=job.idempotency_key or f"file:{pseudonym}:{sha256}",
            owner=new_owner_token(),
            store=self.store,
            dedup=self.dedup,
            history=self.history,
            windows=self.windows,
            plans=self.plans,
            build_windows=self.build_windows,
            window_queue=self.window_queue,
            clock=self._clock,
            log=self._log.bind(correlation_id=job.correlation_id, source_key=job.key),
        )
        outcome = run.outcome
        try:
            with timed(outcome, "claim"):
                claim = self.dedup.claim(run.idempotency_key, run.owner)
            if claim.status is ClaimStatus.COMPLETED:
                outcome.status = Status.DUPLICATE_FILE
                outcome.record_type = claim.detail or record_type_from_filename(job.key)
                outcome.message = f"already completed ({claim.outcome})"
                run.log.info("duplicate_file", previous_outcome=claim.outcome)
                return outcome
            if claim.status is ClaimStatus.IN_PROGRESS:
                raise TransientError(f"{job.key}: another worker holds this input")
            if claim.taken_over:
                run.log.info("claim_taken_over", dedup_key_kind="file", reason="owner_gone")
            run.held.append(run.idempotency_key)
            finished = run_stages(run)
            self._settle(run, finished)
        except EtlError as exc:
            # Storage and dedup outages are EtlErrors too (retriable, error_type "transient").
            self._fail(run, exc, no_space=no_space_path(exc))
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

    def _settle(self, run: FileRun, finished: bool) -> None:
        """Close an input the stages are done with: keep the quarantine copy a stage asked for,
        then complete the dedup keys with the outcome (the record set's first, so that a crash
        between the two leaves the file to be retried, not the example to be made twice)."""
        outcome, verdict = run.outcome, run.quarantine
        if finished:
            outcome.status = Status.PROCESSED
        if verdict is not None:
            self._quarantine(run, verdict.report)
        with timed(outcome, "complete"):
            if run.content_key is not None and run.content_key in run.held:
                self._complete(run, run.content_key, "processed", ",".join(outcome.examples))
            result = Status.QUARANTINED if verdict is not None else outcome.status
            self._complete(run, run.idempotency_key, str(result), outcome.record_type)
        if verdict is not None:
            outcome.status = Status.QUARANTINED
            outcome.quarantine_reason = verdict.reason
            outcome.message = verdict.message
            run.log.info(
                "quarantined", reason=verdict.reason, quality_score=verdict.report.quality_score
            )
        elif finished:
            run.log.info("completed")

    # -- helpers ------------------------------------------------------------------------------

    def _complete(self, run: FileRun, key: str, outcome: str, detail: str | None) -> None:
        if not self.dedup.complete(key, run.owner, outcome, detail):
            # Our lease ran out and someone else took the key over: their outcome stands, and
            # our writes were content-addressed, so nothing is duplicated.
            self._log.warning("lease_lost", dedup_key_kind=key.split(":", 1)[0])
        if key in run.held:
            run.held.remove(key)

    def _fail(self, run: FileRun, error: EtlError, *, no_space: str | None = None) -> None:
        outcome = run.outcome
        outcome.status = Status.FAILED
        outcome.error_type = error.error_type
        outcome.retriable = error.retriable
        outcome.message = str(error)
        if no_space is not None:
            outcome.error_type = "no_space"
            outcome.retriable = True
            outcome.no_space = no_space
        if isinstance(error, InputError) and not outcome.quarantine_key:
            self._quarantine_unreadable(run.job, outcome, error)
        for key in list(run.held):
            # If the store is down (or its disk full) the claim stays: its lease expires, or a
            # process on the same host sees its recorded holder is gone and takes it over.
            with contextlib.suppress(DedupUnavailableError):
                self.dedup.fail(key, run.owner, outcome.error_type or error.error_type)
        run.log.warning("failed", error_type=outcome.error_type, retriable=outcome.retriable)
        if isinstance(error, ProcessorError) and error.__cause__ is not None:
            # DEBUG only: a plugin's traceback and exception text may quote a health value.
            run.log.debug(
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

    def _quarantine(self, run: FileRun, report: ValidationReport) -> None:
        if not self.settings.enable_quarantine:
            return
        job, record_type = run.job, run.outcome.record_type
        key, _ = self._quarantine_keys(record_type, job.key)
        self._write_quarantine(
            job.data,
            key,
            {
                "source_bucket": job.bucket,
                "source_key": job.key,
                "record_type": record_type,
                "user": run.pseudonym,
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
        run.outcome.quarantine_key = key

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
