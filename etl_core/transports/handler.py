"""The seam between a message transport and the engine: receive -> handle -> settle.

A transport receives an upload message (the JSON the upload service publishes, whatever
carries it) and hands its body to :meth:`MessageHandler.handle`, which checks it, downloads
the file, runs the pipeline and returns a :class:`Decision`: acknowledge, retry later,
dead-letter, or requeue untouched. Settling the decision is the transport's business (the
RabbitMQ consumer publishes a retry or dead-letter copy, then acknowledges). The handler holds
no connection object, so it runs on any worker thread and under any transport.
"""

from __future__ import annotations

import enum
import functools
import hashlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from opentelemetry import context as otel_context
from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanKind

from etl_core.contract.errors import EtlError
from etl_core.contract.model import UserContext
from etl_core.contract.timeutil import UnknownZoneError, load_zone
from etl_core.engine.budget import ByteBudget
from etl_core.engine.identifiers import redact_key
from etl_core.engine.pipeline import Job, Pipeline, Status
from etl_core.observability.logs import get_logger
from etl_core.observability.tracing import extract, stage_span, tracer
from etl_core.settings import Settings
from etl_core.stores.objects.base import (
    ObjectNotFoundError,
    ObjectStore,
    StorageError,
    UnsafeKeyError,
    check_key,
)
from etl_core.transports.messages import (
    InvalidMessageError,
    UploadMessage,
    claimed_user_id,
    parse_message,
)

if TYPE_CHECKING:
    from etl_core.observability.metrics import EtlMetrics

__all__ = ["Action", "Decision", "MessageHandler", "StoreFactory"]


class Action(enum.StrEnum):
    ACK = "ack"
    RETRY = "retry"
    DEAD_LETTER = "dead_letter"
    REQUEUE = "requeue"
    """Not started because the worker is stopping: back to the queue, untouched."""


@dataclass(frozen=True, slots=True)
class Decision:
    action: Action
    status: str
    """The pipeline status, or the reason the pipeline was not reached."""
    error_type: str | None = None
    error_message: str | None = None
    record_type: str | None = None
    attempts: int = 1
    trace: Context | None = None
    """The message span's context: the ack span and any retry copy continue it."""
    quarantine_reason: str | None = None
    """Why an acknowledged message's file was quarantined (a code, not a value)."""
    redact: Callable[[str], str] | None = None
    """Pseudonymises the message's user id and any e-mail in a text: applied to every header
    of a dead-letter copy, whose producer may have put the raw user id there."""


StoreFactory = Callable[[str], ObjectStore]
"""Bucket name -> the object store holding the uploads there."""


class MessageHandler:
    """Turns one message body into a decision. Runs on worker threads; holds no connection."""

    def __init__(
        self,
        pipeline: Pipeline,
        source_store: StoreFactory,
        settings: Settings,
        metrics: EtlMetrics | None = None,
        *,
        messaging_system: str = "rabbitmq",
    ) -> None:
        self.pipeline = pipeline
        self.messaging_system = messaging_system
        """The transport's name in traces (OpenTelemetry's ``messaging.system``)."""
        self.source_store = source_store
        self.settings = settings
        self.metrics = metrics
        self.budget = ByteBudget(
            round(settings.worker_inflight_file_mb * 1024 * 1024),
            metrics.inflight_file_bytes.set if metrics else None,
        )
        self._log = get_logger("etl.consumer")

    def handle(
        self,
        body: bytes,
        headers: Mapping[str, Any] | None = None,
        *,
        message_id: str | None = None,
        correlation_id: str | None = None,
    ) -> Decision:
        """Decide what to do with one message. ``message_id`` and ``correlation_id`` are the
        AMQP properties, used when the body carries none."""
        attributes = {
            "messaging.system": self.messaging_system,
            "messaging.operation": "process",
            "messaging.destination.name": self.settings.queue_name,
        }
        with tracer.start_as_current_span(
            f"{self.settings.queue_name} process",
            context=extract(headers),
            kind=SpanKind.CONSUMER,
            attributes=attributes,
        ) as span:
            decision = self._decide(body, span, message_id, correlation_id)
            if decision.error_type and decision.action is not Action.ACK and self.metrics:
                self.metrics.errors.labels(decision.error_type, "consumer").inc()
            span.set_attribute("etl.action", str(decision.action))
            return replace(decision, trace=otel_context.get_current())

    def _decide(
        self, body: bytes, span: Span, message_id: str | None, correlation_id: str | None
    ) -> Decision:
        with stage_span("receive"):
            try:
                message = parse_message(body, message_id=message_id, correlation_id=correlation_id)
            except InvalidMessageError as exc:
                decision = Decision(
                    Action.DEAD_LETTER,
                    "invalid_message",
                    "invalid_message",
                    str(exc),
                    redact=functools.partial(
                        redact_key, user_id=claimed_user_id(body), pseudonym=self._pseudonym
                    ),
                )
                self._log_settled(decision, message_id, correlation_id)
                return decision
        span.set_attribute("messaging.message.id", message.message_id)
        span.set_attribute("messaging.message.conversation_id", message.correlation_id)
        span.set_attribute("etl.record_type", message.record_type)
        attempts = message.retry_count + 1
        log = self._log.bind(correlation_id=message.correlation_id, message_id=message.message_id)
        shown = self._shown_key(message)
        try:
            decision = self._handle(message, attempts, shown)
        except Exception as exc:  # a bug in core must not kill the worker or lose the message
            log.error("unexpected_error", error_type=type(exc).__name__)
            decision = Decision(
                Action.DEAD_LETTER,
                "failed",
                "internal_error",
                f"unexpected {type(exc).__name__} while handling {shown}",
                message.record_type,
                attempts,
            )
        if decision.action is Action.RETRY and attempts > self.settings.max_retries:
            decision = Decision(
                Action.DEAD_LETTER,
                decision.status,
                decision.error_type,
                f"gave up after {attempts} attempts: {decision.error_message}",
                decision.record_type,
                attempts,
            )
        decision = replace(
            decision,
            redact=functools.partial(self.pipeline.redacted_key, user_id=message.user_id),
        )
        log.info("decided", action=str(decision.action), status=decision.status)
        self._log_settled(decision, message.message_id, message.correlation_id)
        return decision

    def _pseudonym(self, identifier: str) -> str:
        return self.pipeline.pseudonym(identifier)

    def _shown_key(self, message: UploadMessage) -> str:
        """The message's key as logs and dead-letter headers may show it."""
        try:
            return self.pipeline.redacted_key(check_key(message.key), message.user_id)
        except UnsafeKeyError:
            return "(unsafe key)"

    def _log_settled(
        self, decision: Decision, message_id: str | None, correlation_id: str | None
    ) -> None:
        """One line for every message that ends dead-lettered or quarantined: its reason code
        and ids, never the error text (it names the object key) nor any value."""
        if decision.action is Action.DEAD_LETTER:
            self._log.warning(
                "message_dead_lettered",
                reason=decision.error_type or "unknown",
                message_id=message_id,
                correlation_id=correlation_id,
                record_type=decision.record_type,
                attempts=decision.attempts,
            )
        elif decision.status == str(Status.QUARANTINED):
            self._log.warning(
                "message_quarantined",
                reason=decision.quarantine_reason or "quarantined",
                message_id=message_id,
                correlation_id=correlation_id,
                record_type=decision.record_type,
            )

    def _forbidden(self, message: UploadMessage) -> bool:
        """Whether the message names an object outside the uploads' bucket and prefix: the
        worker's own outputs, or anything else its credentials happen to reach."""
        settings = self.settings
        if message.bucket != settings.source_bucket:
            return True
        if not message.key.startswith(settings.raw_prefix):
            return True
        outputs = [p for p in (settings.training_data_prefix, settings.quarantine_prefix) if p]
        return any(message.key.startswith(prefix) for prefix in outputs)

    def _handle(self, message: UploadMessage, attempts: int, shown: str) -> Decision:
        fail = functools.partial(_failed, message, attempts)
        try:
            check_key(message.key)
        except UnsafeKeyError:
            return fail(Action.DEAD_LETTER, "invalid_message", "the object key is not a safe key")
        if self._forbidden(message):
            return fail(
                Action.DEAD_LETTER,
                "forbidden_location",
                f"s3://{message.bucket}/{shown} is outside the uploads' location "
                f"s3://{self.settings.source_bucket}/{self.settings.raw_prefix} "
                "(ETL_RAW_BUCKET_NAME, ETL_RAW_PREFIX)",
            )
        limit = self.settings.max_file_size_bytes
        if message.file_size_bytes > limit:
            return fail(
                Action.DEAD_LETTER,
                "file_too_large",
                f"{shown}: {message.file_size_bytes} bytes is over the limit of {limit}",
            )
        try:
            zone = load_zone(message.timezone or self.settings.user_timezone)
        except UnknownZoneError as exc:
            return fail(Action.DEAD_LETTER, "invalid_message", str(exc))
        with self.budget.held(message.file_size_bytes):
            return self._download_and_run(message, attempts, zone, shown)

    def _download_and_run(
        self, message: UploadMessage, attempts: int, zone: ZoneInfo | None, shown: str
    ) -> Decision:
        fail = functools.partial(_failed, message, attempts)
        limit = self.settings.max_file_size_bytes
        try:
            started = time.perf_counter()
            with stage_span("download"):
                data = self.source_store(message.bucket).get(message.key)
            if self.metrics:
                self.metrics.stage_duration.labels("download").observe(
                    time.perf_counter() - started
                )
        except ObjectNotFoundError:
            return fail(Action.DEAD_LETTER, "missing_object", f"no object at {shown}")
        except UnsafeKeyError:
            return fail(Action.DEAD_LETTER, "invalid_message", "the object key is not a safe key")
        except EtlError as exc:
            action = Action.RETRY if exc.retriable else Action.DEAD_LETTER
            # The label only: an outage of the source storage is reported as
            # "storage_unavailable", apart from the pipeline's "transient" outcomes.
            label = "storage_unavailable" if isinstance(exc, StorageError) else exc.error_type
            return fail(action, label, _without(str(exc), message, shown))
        if len(data) > limit:
            return fail(Action.DEAD_LETTER, "file_too_large", f"{shown}: over the limit")
        if hashlib.sha256(data).hexdigest() != message.content_hash:
            return fail(
                Action.DEAD_LETTER,
                "integrity_error",
                f"{shown}: sha256 of the object does not match content_hash",
            )
        outcome = self.pipeline.run(
            Job(
                data=data,
                bucket=message.bucket,
                key=message.key,
                user_id=message.user_id,
                correlation_id=message.correlation_id,
                idempotency_key=message.idempotency_key,
                user=UserContext(
                    timezone=zone,
                    age_years=message.age_years
                    if message.age_years is not None
                    else self.settings.user_age,
                ),
                expected_record_type=message.record_type,
            )
        )
        if outcome.status is not Status.FAILED:
            return Decision(
                Action.ACK,
                str(outcome.status),
                record_type=outcome.record_type,
                quarantine_reason=outcome.quarantine_reason,
            )
        action = Action.RETRY if outcome.retriable else Action.DEAD_LETTER
        return Decision(
            action,
            "failed",
            outcome.error_type,
            outcome.message,
            outcome.record_type or message.record_type,
            attempts,
        )


def _failed(
    message: UploadMessage, attempts: int, action: Action, error_type: str, text: str
) -> Decision:
    return Decision(action, "failed", error_type, text, message.record_type, attempts)


def _without(text: str, message: UploadMessage, shown: str) -> str:
    """An error text from a store with the raw key replaced by the shown one."""
    return text.replace(message.key, shown)
