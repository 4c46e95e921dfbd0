"""``etl consume``: the RabbitMQ worker.

One pika ``BlockingConnection`` per worker process, driven by one I/O thread (the main thread),
plus a pool of worker threads that run the pipeline. pika objects are touched only on the I/O
thread: workers hand their decision back with ``connection.add_callback_threadsafe``, and the
I/O thread publishes any retry or dead-letter copy on a confirm-mode channel, waits for the
broker's confirmation, and only then acknowledges the original. A decision for a channel that
died meanwhile is dropped: the broker redelivers the message, and the dedup store makes the
second delivery harmless.
"""

from __future__ import annotations

import contextlib
import enum
import functools
import hashlib
import json
import signal
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from types import FrameType
from typing import Any
from zoneinfo import ZoneInfo

import pika
import pika.exceptions
from opentelemetry import context as otel_context
from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanKind
from pika.adapters.blocking_connection import BlockingChannel, BlockingConnection
from pika.spec import Basic, BasicProperties

from etl_core.contract.errors import EtlError
from etl_core.contract.model import UserContext
from etl_core.contract.timeutil import UnknownZoneError, load_zone
from etl_core.engine.budget import ByteBudget
from etl_core.engine.identifiers import redact_key
from etl_core.engine.pipeline import Job, Pipeline, Status
from etl_core.observability.logs import get_logger
from etl_core.observability.metrics import EtlMetrics
from etl_core.observability.tracing import extract, inject, stage_span, tracer
from etl_core.settings import Settings
from etl_core.stores.objects.base import (
    ObjectNotFoundError,
    ObjectStore,
    StorageError,
    UnsafeKeyError,
    check_key,
)
from etl_core.transports.rabbitmq.messages import (
    InvalidMessageError,
    UploadMessage,
    claimed_user_id,
    parse_message,
)
from etl_core.transports.rabbitmq.topology import Topology

CONNECTION_ERRORS = (
    pika.exceptions.AMQPConnectionError,
    pika.exceptions.AMQPChannelError,
    pika.exceptions.StreamLostError,
    pika.exceptions.ConnectionWrongStateError,
    pika.exceptions.ChannelWrongStateError,
)


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


class _Session:
    """What belongs to one broker connection: the deliveries handed to workers and not yet
    finished on it. A lost connection's session is abandoned with it."""

    def __init__(self, connection: BlockingConnection, publisher: BlockingChannel) -> None:
        self.connection = connection
        self.publisher = publisher
        self._inflight = 0
        self._lock = threading.Lock()

    def started(self) -> None:
        with self._lock:
            self._inflight += 1

    def finished(self) -> None:
        with self._lock:
            self._inflight -= 1

    @property
    def inflight(self) -> int:
        with self._lock:
            return self._inflight


class MessageHandler:
    """Turns one message body into a decision. Runs on worker threads; holds no pika object."""

    def __init__(
        self,
        pipeline: Pipeline,
        source_store: StoreFactory,
        settings: Settings,
        metrics: EtlMetrics | None = None,
    ) -> None:
        self.pipeline = pipeline
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
            "messaging.system": "rabbitmq",
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


class Consumer:
    """Consumes the work queue until :meth:`stop`; reconnects with backoff when the broker or
    the network drops the connection."""

    def __init__(
        self,
        handler: MessageHandler,
        settings: Settings,
        threads: int | None = None,
        metrics: EtlMetrics | None = None,
    ) -> None:
        self.handler = handler
        self.metrics = metrics
        self.settings = settings
        self.topology = Topology.from_settings(settings)
        self.threads = threads or settings.worker_threads
        self._executor = ThreadPoolExecutor(self.threads, thread_name_prefix="etl-worker")
        self._stop = threading.Event()
        self.connected = threading.Event()
        self.handled = 0
        self.decisions: Counter[str] = Counter()
        """Finished deliveries by action (ack, retry, dead_letter), since start."""
        self.connection_name = f"etl-consume:{settings.queue_name}:{uuid.uuid4().hex[:8]}"
        self._log = get_logger("etl.consumer")

    # -- control ----------------------------------------------------------------------------

    def stop(self) -> None:
        """Stop taking messages, finish the ones in progress, acknowledge them, then return."""
        self._stop.set()

    def install_signal_handlers(self) -> None:
        def on_signal(signum: int, _frame: FrameType | None) -> None:
            self._log.info("stopping", signal=signal.Signals(signum).name)
            self.stop()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)

    def run(self) -> None:
        """Consume until :meth:`stop`. Raises
        :class:`~etl_core.transports.rabbitmq.topology.TopologyConflictError`
        when the broker holds the topology with other arguments: no reconnection can cure it."""
        delay = 0.5
        try:
            while not self._stop.is_set():
                try:
                    self._consume_once()
                    delay = 0.5
                except CONNECTION_ERRORS as exc:
                    self.connected.clear()
                    if self.metrics:
                        self.metrics.broker_disconnections.inc()
                        self.metrics.active_consumers.set(0)
                    self._log.warning(
                        "broker_connection_lost",
                        error_type=type(exc).__name__,
                        # The broker's reason (e.g. 403 ACCESS_REFUSED), when it closed us.
                        reply=getattr(exc, "reply_text", None),
                        retry_in=delay,
                    )
                    self._stop.wait(delay)
                    delay = min(delay * 2, 15.0)
        finally:
            self.connected.clear()
            self._executor.shutdown(wait=True)

    # -- I/O thread --------------------------------------------------------------------------

    def _consume_once(self) -> None:
        parameters = pika.URLParameters(self.settings.rabbitmq_url)
        parameters.connection_attempts = 1
        parameters.blocked_connection_timeout = 60
        parameters.client_properties = {"connection_name": self.connection_name}
        connection = pika.BlockingConnection(parameters)
        try:
            channel = connection.channel()
            self.topology.declare(channel)
            channel.basic_qos(prefetch_count=self.threads * self.settings.prefetch_per_thread)
            publisher = connection.channel()
            publisher.confirm_delivery()
            session = _Session(connection, publisher)
            on_message = functools.partial(self._on_message, session)
            tag = channel.basic_consume(self.topology.queue, on_message_callback=on_message)
            self.connected.set()
            if self.metrics:
                self.metrics.active_consumers.set(self.threads)
            self._log.info("consuming", queue=self.topology.queue, threads=self.threads)
            next_depth_check = 0.0
            while not self._stop.is_set():
                connection.process_data_events(time_limit=0.2)
                if self.metrics and time.monotonic() >= next_depth_check:
                    self._record_queue_depths(channel)
                    next_depth_check = time.monotonic() + 5.0
            channel.basic_cancel(tag)
            while session.inflight > 0:  # drain: workers hand back their acks
                connection.process_data_events(time_limit=0.1)
        finally:
            self.connected.clear()
            if self.metrics:
                self.metrics.active_consumers.set(0)
            if connection.is_open:
                with contextlib.suppress(*CONNECTION_ERRORS):
                    connection.close()

    def _record_queue_depths(self, channel: BlockingChannel) -> None:
        assert self.metrics is not None
        topology = self.topology
        for name in (topology.queue, topology.failed_queue, *(q for q, _ in topology.retry_queues)):
            depth = channel.queue_declare(name, passive=True).method.message_count
            self.metrics.queue_depth.labels(name).set(depth)

    def _on_message(
        self,
        session: _Session,
        channel: BlockingChannel,
        method: Basic.Deliver,
        properties: BasicProperties,
        body: bytes,
    ) -> None:
        session.started()
        if self.metrics:
            self.metrics.messages_consumed.labels(self.topology.queue).inc()
        self._executor.submit(self._work, session, channel, method, properties, body)

    # -- worker threads ----------------------------------------------------------------------

    def _work(
        self,
        session: _Session,
        channel: BlockingChannel,
        method: Basic.Deliver,
        properties: BasicProperties,
        body: bytes,
    ) -> None:
        if self._stop.is_set():
            decision = Decision(Action.REQUEUE, "not_started")
        else:
            decision = self.handler.handle(
                body,
                properties.headers,
                message_id=properties.message_id,
                correlation_id=properties.correlation_id,
            )
        finish = functools.partial(
            self._finish, session, channel, method, properties, body, decision
        )
        try:
            session.connection.add_callback_threadsafe(finish)
        except CONNECTION_ERRORS:
            # The connection is gone; the broker will redeliver the message.
            session.finished()

    # -- back on the I/O thread --------------------------------------------------------------

    def _finish(
        self,
        session: _Session,
        channel: BlockingChannel,
        method: Basic.Deliver,
        properties: BasicProperties,
        body: bytes,
        decision: Decision,
    ) -> None:
        try:
            with tracer.start_as_current_span("ack", context=decision.trace):
                self._settle(session, channel, method, properties, body, decision)
        except (pika.exceptions.UnroutableError, pika.exceptions.NackError):
            # The copy was not confirmed: keep the original, let the broker deliver it again.
            self._log.warning("copy_not_confirmed", action=str(decision.action))
            if channel.is_open:
                channel.basic_nack(method.delivery_tag, requeue=True)
        finally:
            session.finished()

    def _settle(
        self,
        session: _Session,
        channel: BlockingChannel,
        method: Basic.Deliver,
        properties: BasicProperties,
        body: bytes,
        decision: Decision,
    ) -> None:
        if not channel.is_open:
            self._log.warning("ack_dropped", reason="channel closed; broker will redeliver")
            return
        if decision.action is Action.REQUEUE:
            channel.basic_nack(method.delivery_tag, requeue=True)
            return
        if decision.action is Action.RETRY:
            self._publish_copy(session.publisher, properties, body, decision, retry=True)
            if self.metrics:
                self.metrics.retries.inc()
        elif decision.action is Action.DEAD_LETTER:
            self._publish_copy(session.publisher, properties, body, decision, retry=False)
            if self.metrics:
                self.metrics.dead_lettered.inc()
        channel.basic_ack(method.delivery_tag)
        self.handled += 1
        self.decisions[str(decision.action)] += 1

    def _publish_copy(
        self,
        publisher: BlockingChannel,
        properties: BasicProperties,
        body: bytes,
        decision: Decision,
        *,
        retry: bool,
    ) -> None:
        headers: dict[str, Any] = dict(properties.headers or {})
        if not retry and decision.redact is not None:
            headers = {
                name: value if name in _ROUTING_HEADERS else _redacted(value, decision.redact)
                for name, value in headers.items()
            }
        headers["x-attempts"] = decision.attempts
        headers["x-error-type"] = decision.error_type or "unknown"
        # The text names keys only as redacted (a short id such as "1" would make redacting
        # free text mangle its numbers).
        headers["x-error-message"] = (decision.error_message or "")[:1000]
        inject(headers, decision.trace)  # the next attempt continues this message's trace
        if retry:
            exchange, routing_key = "", self.topology.retry_queue_for(decision.attempts)
            body = _with_retry_count(body, decision.attempts)
        else:
            exchange = self.topology.dead_letter_exchange
            routing_key = self.topology.dead_letter_routing_key
        publisher.basic_publish(
            exchange=exchange,
            routing_key=routing_key,
            body=body,
            properties=BasicProperties(
                content_type="application/json",
                delivery_mode=pika.DeliveryMode.Persistent,
                message_id=properties.message_id,
                correlation_id=properties.correlation_id,
                headers=headers,
            ),
            mandatory=True,
        )


def _failed(
    message: UploadMessage, attempts: int, action: Action, error_type: str, text: str
) -> Decision:
    return Decision(action, "failed", error_type, text, message.record_type, attempts)


_ROUTING_HEADERS = frozenset({"x-original-routing-key", "x-death"})
"""Headers that ``etl dlq replay`` and the broker route by; they name no person."""


def _without(text: str, message: UploadMessage, shown: str) -> str:
    """An error text from a store with the raw key replaced by the shown one."""
    return text.replace(message.key, shown)


def _redacted(value: Any, redact: Callable[[str], str]) -> Any:
    if isinstance(value, bytes):
        return redact(value.decode("utf-8", "replace"))
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [_redacted(item, redact) for item in value]
    if isinstance(value, dict):
        return {name: _redacted(item, redact) for name, item in value.items()}
    return value


def _with_retry_count(body: bytes, retry_count: int) -> bytes:
    document = json.loads(body)
    document["retry_count"] = retry_count
    return json.dumps(document).encode("utf-8")


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    """Poll ``predicate`` until it holds or ``timeout`` seconds pass (for tests and tools)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()
