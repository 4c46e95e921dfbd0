"""Prometheus metrics of one process (``etl consume``, or ``etl run --metrics``).

Labels carry record types, health domains, statuses, stages and error types only: never a user
id, a file name or a health value. Record types that no plugin declared are labelled ``other``
so that a hostile upload cannot grow the label set.

Plugins contribute metrics through the ``etl_metrics`` hook (declare counters) and
``ProcessResult.counters`` (increments for one batch); core owns the registry.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from etl_core.contract.model import PluginCounter

STATUS_LABEL = {
    "processed": "success",
    "duplicate_file": "duplicate",
    "duplicate_content": "duplicate",
    "quarantined": "quarantined",
    "failed": "failed",
}
STAGE_LABELS = ("download", "decode", "validate", "merge", "windows", "process", "emit")
"""Per input: download, decode, validate, merge (into the history), windows (rebuilding the
person's changed windows); per window: process and emit (per upload for owners without
windows)."""
OTHER = "other"

_SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
_SCORES = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0)


class EtlMetrics:
    def __init__(
        self,
        registry: CollectorRegistry | None = None,
        *,
        record_types: Iterable[str] = (),
        plugin_counters: Sequence[PluginCounter] = (),
    ) -> None:
        self.registry = registry or CollectorRegistry()
        self._record_types = frozenset(record_types)
        r = self.registry
        self.messages_consumed = Counter(
            "etl_messages_consumed", "Messages taken from the queue", ["queue_name"], registry=r
        )
        self.messages_processed = Counter(
            "etl_messages_processed",
            "Inputs finished, by outcome",
            ["record_type", "status"],
            registry=r,
        )
        self.processing_duration = Histogram(
            "etl_processing_duration_seconds",
            "Time through the pipeline per input",
            ["record_type"],
            buckets=_SECONDS,
            registry=r,
        )
        self.stage_duration = Histogram(
            "etl_stage_duration_seconds",
            "Time per pipeline stage",
            ["stage"],
            buckets=_SECONDS,
            registry=r,
        )
        self.validation_failures = Counter(
            "etl_validation_failures",
            "Validation findings (warnings and worse), by finding code",
            ["record_type", "failure_reason"],
            registry=r,
        )
        self.quality_score = Histogram(
            "etl_quality_score",
            "Quality score per input",
            ["record_type"],
            buckets=_SCORES,
            registry=r,
        )
        self.clinical_events = Counter(
            "etl_clinical_events_detected",
            "Clinical events processors reported",
            ["record_type", "event_type"],
            registry=r,
        )
        self.training_examples = Counter(
            "etl_training_examples_generated",
            "Training examples written",
            ["health_domain"],
            registry=r,
        )
        self.errors = Counter(
            "etl_errors", "Errors, by type and component", ["error_type", "component"], registry=r
        )
        self.duplicates_skipped = Counter(
            "etl_duplicate_messages_skipped",
            "Inputs skipped as already done or duplicate content",
            ["record_type"],
            registry=r,
        )
        self.retries = Counter("etl_retries", "Messages sent to a retry queue", registry=r)
        self.dead_lettered = Counter("etl_dead_lettered", "Messages dead-lettered", registry=r)
        self.active_consumers = Gauge(
            "etl_active_consumers", "Worker threads consuming from a live connection", registry=r
        )
        self.queue_depth = Gauge(
            "etl_rabbitmq_queue_depth", "Ready messages per queue", ["queue_name"], registry=r
        )
        self.inflight_file_bytes = Gauge(
            "etl_inflight_file_bytes",
            "Bytes of the uploads in progress (at most ETL_WORKER_INFLIGHT_FILE_MB)",
            registry=r,
        )
        self.broker_disconnections = Counter(
            "etl_broker_disconnections", "Broker connections lost", registry=r
        )
        self.windows_built = Counter(
            "etl_windows_built",
            "Calendar windows rebuilt from the record history, by outcome",
            ["record_type", "status"],
            registry=r,
        )
        self.s3_requests = Counter(
            "etl_s3_requests", "Object-store requests", ["operation", "outcome"], registry=r
        )
        self.plugin_counters = {
            spec.name: Counter(
                spec.name.removesuffix("_total"), spec.documentation, ["record_type"], registry=r
            )
            for spec in plugin_counters
        }

    def record_type_label(self, record_type: str | None) -> str:
        return record_type if record_type in self._record_types else OTHER

    def observe_outcome(
        self,
        *,
        record_type: str | None,
        health_domain: str | None,
        status: str,
        quality_score: float | None,
        finding_codes: Iterable[str],
        events: Mapping[str, int],
        counters: Mapping[str, float],
        examples: int,
        error_type: str | None,
        timings: Mapping[str, float],
    ) -> None:
        label = self.record_type_label(record_type)
        self.messages_processed.labels(label, STATUS_LABEL.get(status, status)).inc()
        self.processing_duration.labels(label).observe(sum(timings.values()))
        for stage, seconds in timings.items():
            if stage in STAGE_LABELS:
                self.stage_duration.labels(stage).observe(seconds)
        if quality_score is not None:
            self.quality_score.labels(label).observe(quality_score)
        for code in finding_codes:
            self.validation_failures.labels(label, code).inc()
        for event_type, count in events.items():
            self.clinical_events.labels(label, event_type).inc(count)
        for name, value in counters.items():
            counter = self.plugin_counters.get(name)
            if counter is not None and value >= 0:
                counter.labels(label).inc(value)
        if examples and health_domain:
            self.training_examples.labels(health_domain).inc(examples)
        if STATUS_LABEL.get(status) == "duplicate":
            self.duplicates_skipped.labels(label).inc()
        if error_type:
            self.errors.labels(error_type, "pipeline").inc()

    def observe_window(
        self,
        *,
        record_type: str,
        health_domain: str | None,
        status: str,
        events: Mapping[str, int],
        counters: Mapping[str, float],
        examples: int,
        error_type: str | None,
        timings: Mapping[str, float],
    ) -> None:
        label = self.record_type_label(record_type)
        self.windows_built.labels(label, status).inc()
        for stage, seconds in timings.items():
            if stage in STAGE_LABELS:
                self.stage_duration.labels(stage).observe(seconds)
        for event_type, count in events.items():
            self.clinical_events.labels(label, event_type).inc(count)
        for name, value in counters.items():
            counter = self.plugin_counters.get(name)
            if counter is not None and value >= 0:
                counter.labels(label).inc(value)
        if examples and health_domain:
            self.training_examples.labels(health_domain).inc(examples)
        if error_type:
            self.errors.labels(error_type, "windows").inc()
