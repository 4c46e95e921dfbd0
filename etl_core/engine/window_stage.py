"""The window stage: rebuild a person's pending windows from the record history.

For each window whose records changed since it was last built: read a snapshot (its version,
its records and the person's offsets around it, in one transaction), assemble the
:class:`~etl_core.contract.windows.Window` exactly as plugins are promised, ask the owner
(``etl_process_window``), check that every example is grounded, and publish the examples as
revision ``version`` with a compare-and-set on the window's built version. A result identical
to the published one (a record re-sent, an offset confirmed) is not published again; a window
its owner no longer describes is withdrawn with an empty revision.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING, Any

from etl_core.builtin.training_jsonl import window_example_key, window_id
from etl_core.contract.errors import EtlError, ProcessorError
from etl_core.contract.figures import figures_outside, grounding_values, unsupported_figures
from etl_core.contract.memo import forget_every_memo
from etl_core.contract.model import (
    Batch,
    ExampleKind,
    ExampleText,
    ProcessedBatch,
    ProcessResult,
    Record,
    RecordTypeSpec,
    SourceRef,
    UserContext,
)
from etl_core.contract.timeutil import PersonZone, batch_bounds
from etl_core.contract.windows import (
    FALLBACK_RULES,
    TypePlan,
    Window,
    build_window,
    last_modified,
    record_key,
)
from etl_core.engine.registry import PluginRegistry, generic_spec
from etl_core.engine.validate import score
from etl_core.observability.logs import get_logger
from etl_core.observability.tracing import stage_span
from etl_core.settings import Settings
from etl_core.stores.history.base import (
    DecodedRecords,
    HistoryStore,
    PendingWindow,
    WindowRef,
    WindowSnapshot,
)
from etl_core.stores.objects.base import ObjectStore

if TYPE_CHECKING:
    from etl_core.observability.metrics import EtlMetrics

WITHDRAWN = "withdrawn"
"""The content hash of a window whose owner no longer describes it."""


@dataclass
class WindowOutcome:
    ref: WindowRef
    version: int
    status: str = "failed"
    """``published``, ``unchanged`` (same result as published), ``withdrawn``, ``empty``
    (nothing to describe, nothing published before), ``superseded`` (a newer version was built
    meanwhile) or ``failed``."""
    health_domain: str | None = None
    processor: str | None = None
    examples: list[str] = field(default_factory=list)
    """Keys of the objects written (a revision holds all of the window's examples)."""
    example_count: int = 0
    events: dict[str, int] = field(default_factory=dict)
    counters: dict[str, float] = field(default_factory=dict)
    error_type: str | None = None
    message: str = ""
    timings: dict[str, float] = field(default_factory=dict)


def record_set_fingerprint(window: Window) -> str:
    """Identifies the window's record set: its (record key, last modified) pairs."""
    # One digest of the joined pairs: the same hash as feeding them one by one, without a
    # hashing call per record (a report window holds thousands).
    pairs = sorted(map(_identity, window.records))
    text = "".join([f"{key}\x1f{modified}\x1e" for key, modified in pairs])
    return hashlib.sha256(text.encode()).hexdigest()


def _identity(record: Record) -> tuple[str, int]:
    """``(record_key(record), last_modified(record))``, read from one metadata lookup for the
    usual record (a Health Connect id and an integer modification time)."""
    metadata = record.get("metadata")
    if type(metadata) is dict:
        identifier = metadata.get("id")
        modified = metadata.get("lastModifiedTimeEpochMillis")
        if type(identifier) is str and identifier and type(modified) is int:
            return identifier, modified
    return record_key(record), last_modified(record)


class PassClocks:
    """One :class:`PersonZone` per person for all the windows of a rebuild pass.

    Each snapshot brings the person's offset observations around its window, and a zone made
    of them answers for the window's instants exactly as a zone made of all the person's
    observations does (inference and fold detection only look that far). Sharing one zone made
    of every observation the pass has seen therefore changes no answer, while its memos (offset
    per hour, offsets per day) are filled once per pass instead of once per window, and plugins'
    per-record memos keyed by the zone (:class:`~etl_core.contract.memo.RecordMemo`) find the
    records read in the window before. A snapshot bringing an observation the pass has not seen
    (merged meanwhile) makes a new zone. One instance serves one thread."""

    __slots__ = ("_people",)

    def __init__(self) -> None:
        self._people: dict[str, tuple[set[tuple[int, int]], tzinfo | None, PersonZone]] = {}

    def zone(
        self, user: str, observations: list[tuple[int, int]], fallback: tzinfo | None
    ) -> PersonZone:
        known = self._people.get(user)
        if known is not None and known[1] is fallback and known[0].issuperset(observations):
            return known[2]
        seen = set(observations) if known is None or known[1] is not fallback else known[0]
        seen.update(observations)
        zone = PersonZone(seen, fallback)
        self._people[user] = (seen, fallback, zone)
        return zone


class WindowBuilder:
    """Rebuilds pending windows; one instance serves many threads."""

    def __init__(
        self,
        registry: PluginRegistry,
        history: HistoryStore,
        store: ObjectStore,
        settings: Settings,
        plans: MutableMapping[str, TypePlan],
        *,
        metrics: EtlMetrics | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.registry = registry
        self.history = history
        self.store = store
        self.settings = settings
        self.plans = plans
        self.metrics = metrics
        self._clock = clock
        self._log = get_logger("etl.windows")

    def spec_for(self, record_type: str) -> RecordTypeSpec:
        spec = self.registry.specs.get(record_type)
        if spec is not None:
            return spec
        plan = self.plans.get(record_type, TypePlan())
        return dataclasses.replace(generic_spec(record_type, None), time_fields=plan.time_fields)

    def rebuild_pending(
        self,
        user: str | None,
        person: UserContext,
        correlation_id: str,
        *,
        stop: threading.Event | None = None,
    ) -> list[WindowOutcome]:
        """Rebuild every pending window of ``user`` (of everyone with ``None``) until none is
        left, or until ``stop`` is set (the rest stay pending); a window whose build fails is
        set aside until its records change.

        One builder per person at a time: when another thread or process already has
        ``user``'s turn (:meth:`HistoryStore.rebuild_turn`), this returns at once and leaves
        the windows to it, which looks for pending windows again after letting go of its
        turn, so none is left behind."""
        outcomes: list[WindowOutcome] = []
        if user is None:
            self._drain(None, person, correlation_id, outcomes, stop)
            return outcomes
        while True:
            with self.history.rebuild_turn(user) as mine:
                if not mine:
                    self._log.debug("windows_left_to_their_builder", correlation_id=correlation_id)
                    return outcomes
                self._drain(user, person, correlation_id, outcomes, stop)
            if stop is not None and stop.is_set():
                return outcomes
            # A builder that found the turn taken while this one was finishing left its
            # windows pending: look again now that the turn is free.
            if not self.history.pending(user, limit=1):
                return outcomes

    def _drain(
        self,
        user: str | None,
        person: UserContext,
        correlation_id: str,
        outcomes: list[WindowOutcome],
        stop: threading.Event | None = None,
    ) -> None:
        decoded, clocks = DecodedRecords(), PassClocks()
        try:
            while True:
                pending = self.history.pending(user)
                if not pending:
                    return
                # In calendar order across rules, so that the windows sharing records come
                # together and find them decoded (the order of independent windows is free).
                pending.sort(key=_calendar_order)
                series: tuple[str, str] | None = None
                for item in pending:
                    if stop is not None and stop.is_set():
                        return
                    if (item.ref.user, item.ref.record_type) != series:
                        # The plugins' memos hold the last series' records: let them go.
                        series = (item.ref.user, item.ref.record_type)
                        forget_every_memo()
                    outcomes.append(self.rebuild(item, person, correlation_id, decoded, clocks))
        finally:
            forget_every_memo()

    def rebuild(
        self,
        pending: PendingWindow,
        person: UserContext,
        correlation_id: str,
        decoded: DecodedRecords | None = None,
        clocks: PassClocks | None = None,
    ) -> WindowOutcome:
        ref = pending.ref
        outcome = WindowOutcome(ref, pending.version)
        log = self._log.bind(
            record_type=ref.record_type, window=ref.key, correlation_id=correlation_id
        )
        spec = self.spec_for(ref.record_type)
        outcome.health_domain = spec.health_domain
        try:
            self._rebuild(
                pending, spec, person, correlation_id, outcome, decoded, clocks or PassClocks()
            )
        except EtlError as exc:
            if exc.retriable:
                raise
            outcome.status = "failed"
            outcome.error_type = exc.error_type
            outcome.message = str(exc)
            self.history.mark_failed(ref, outcome.version)
            plugin = exc.plugin if isinstance(exc, ProcessorError) else None
            log.warning("window_failed", error_type=exc.error_type, plugin=plugin)
            if isinstance(exc, ProcessorError) and exc.__cause__ is not None:
                # DEBUG only: a plugin's traceback and exception text may quote a health value.
                log.debug(
                    "plugin_traceback",
                    plugin=exc.plugin,
                    hook=exc.hook,
                    traceback=exc.traceback_text(),
                )
        if self.metrics is not None:
            self.metrics.observe_window(
                record_type=ref.record_type,
                health_domain=outcome.health_domain,
                status=outcome.status,
                events=outcome.events,
                counters=outcome.counters,
                examples=outcome.example_count,
                error_type=outcome.error_type,
                timings=outcome.timings,
            )
        log.info("window_built", status=outcome.status, version=outcome.version)
        return outcome

    def _rebuild(
        self,
        pending: PendingWindow,
        spec: RecordTypeSpec,
        person: UserContext,
        correlation_id: str,
        outcome: WindowOutcome,
        decoded: DecodedRecords | None,
        clocks: PassClocks,
    ) -> None:
        ref = pending.ref
        plan = self.plans.get(ref.record_type)
        if plan is None and self.registry.owner_of(ref.record_type) is None:
            # A type nobody owns that this process has not met yet: the fallback's windows,
            # over the time fields its records were stored with.
            plan = TypePlan(FALLBACK_RULES, ())
        rule = plan.rule(ref.rule_name) if plan is not None else None
        if plan is None or rule is None:
            # The owner no longer declares this rule (a plugin changed): nothing to rebuild.
            self.history.mark_built(ref, pending.version, WITHDRAWN, published=False)
            outcome.status = "empty"
            return
        snapshot = self.history.snapshot(ref, rule, decoded, person)
        if snapshot is None:
            outcome.status = "empty"
            return
        outcome.version = snapshot.version
        if not plan.time_fields:
            plan = TypePlan(plan.rules, snapshot.time_fields)
            spec = dataclasses.replace(spec, time_fields=plan.time_fields)
        zone = clocks.zone(ref.user, snapshot.observations, person.timezone)
        window = build_window(
            ref.record_type,
            rule,
            ref.first_day,
            snapshot.records,
            time_fields=plan.time_fields,
            user=UserContext(timezone=zone, age_years=person.age_years),
            distinct=True,
        )
        result: ProcessResult | None = None
        processor = ""
        if window.records:
            with _timed(outcome, "process"):
                result, processor = self.registry.process_window(window, spec)
        if result is None:
            self._withdraw(snapshot, spec, outcome)
            return
        outcome.processor = processor
        check_grounded(result, spec, processor)
        fingerprint = record_set_fingerprint(window)
        batch = Batch(
            record_type=ref.record_type,
            records=window.records,
            source=SourceRef("history", window.key, 0, fingerprint),
            correlation_id=correlation_id,
            user=window.user,
        )
        validation = score(
            self.registry.validate(batch, spec),
            len(window.records),
            self.settings.quality_threshold,
        )
        content_hash = _result_hash(
            result, processor, fingerprint, validation.warnings, validation.quality_score
        )
        if content_hash == snapshot.content_hash:
            won = self.history.mark_built(ref, snapshot.version, content_hash, published=False)
            outcome.status = "unchanged" if won else "superseded"
            return
        processed_at = self._clock()
        start, end = _bounds(window, spec, result, processed_at)
        processed = ProcessedBatch(
            batch=batch,
            spec=spec,
            validation=validation,
            result=result,
            processor=processor,
            user_pseudonym=ref.user,
            content_fingerprint=fingerprint,
            idempotency_key=f"window:{window_id(ref.user, ref.record_type, ref.key)}",
            data_start=start,
            data_end=end,
            processed_at=processed_at,
            include_metadata=self.settings.include_metadata,
            window=window,
            revision=snapshot.version,
        )
        with _timed(outcome, "emit"):
            for artifact in self.registry.emit(processed):
                self.store.put(artifact.key, artifact.data, if_absent=True)
                outcome.examples.append(artifact.key)
        won = self.history.mark_built(ref, snapshot.version, content_hash, published=True)
        outcome.status = "published" if won else "superseded"
        outcome.example_count = len(result.examples) or 1
        outcome.events = dict(result.events)
        outcome.counters = dict(result.counters)

    def _withdraw(
        self, snapshot: WindowSnapshot, spec: RecordTypeSpec, outcome: WindowOutcome
    ) -> None:
        ref, version = snapshot.ref, snapshot.version
        if snapshot.revision and snapshot.content_hash != WITHDRAWN:
            key = window_example_key(
                self.settings.training_data_prefix,
                spec.health_domain,
                ref.first_day,
                window_id(ref.user, ref.record_type, ref.key),
                version,
            )
            self.store.put(key, b"", if_absent=True)
            outcome.examples.append(key)
            won = self.history.mark_built(ref, version, WITHDRAWN, published=True)
            outcome.status = "withdrawn" if won else "superseded"
            return
        self.history.mark_built(ref, version, WITHDRAWN, published=False)
        outcome.status = "empty"


def _calendar_order(item: PendingWindow) -> tuple[str, str, str, str]:
    ref = item.ref
    rule, _, first_day = ref.key.partition(":")
    return ref.user, ref.record_type, first_day, rule


@contextmanager
def _timed(outcome: WindowOutcome, stage: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        with stage_span(stage):
            yield
    finally:
        outcome.timings[stage] = outcome.timings.get(stage, 0.0) + time.perf_counter() - started


def check_grounded(result: ProcessResult, spec: RecordTypeSpec, processor: str) -> None:
    """Raise :class:`~etl_core.contract.errors.ProcessorError` unless every figure each example's
    output
    states is in its input (``result.summary``) or a declared reference value, and every
    figure of the input is an insight: the check core makes on every window result before
    publishing it (the contract suite makes the same one). The message counts figures and
    never quotes them (they are health values)."""
    plugin = processor.rsplit(" ", 1)[0]
    texts = list(result.examples) or [ExampleText(ExampleKind.SUMMARY, result.narrative)]
    grounded = grounding_values(result.summary, spec.reference_values)
    for text in texts:
        missing = figures_outside(text.output, grounded)
        if missing:
            raise ProcessorError(
                f"plugin {plugin!r}: a {text.kind} example of {spec.name} states "
                f"{len(missing)} figure(s) its input does not hold (etl_process_window)"
            )
    unsupported = unsupported_figures(result.summary, result.insights)
    if unsupported:
        raise ProcessorError(
            f"plugin {plugin!r}: the input of {spec.name} examples states {len(unsupported)} "
            "figure(s) that are not insights (etl_process_window)"
        )


def _result_hash(
    result: ProcessResult, processor: str, fingerprint: str, warnings: list[str], quality: float
) -> str:
    material: dict[str, Any] = {
        "processor": processor,
        "fingerprint": fingerprint,
        "quality": quality,
        "warnings": warnings,
        "narrative": result.narrative,
        "summary": result.summary,
        "insights": result.insights,
        "methods": dict(result.methods),
        "examples": [[str(e.kind), e.output, e.question] for e in result.examples],
        "start": result.data_start.isoformat() if result.data_start else None,
        "end": result.data_end.isoformat() if result.data_end else None,
    }
    text = json.dumps(material, sort_keys=True, default=str, allow_nan=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _bounds(
    window: Window, spec: RecordTypeSpec, result: ProcessResult, fallback: datetime
) -> tuple[datetime, datetime]:
    if result.data_start is not None and result.data_end is not None:
        return result.data_start, result.data_end
    bounds = batch_bounds(window.records, spec.time_fields, window.user.timezone)
    if bounds is None:
        return fallback, fallback
    return result.data_start or bounds[0], result.data_end or bounds[1]
