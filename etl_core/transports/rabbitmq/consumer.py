"""``etl consume``: the RabbitMQ transport, settling the decisions of
:class:`~etl_core.transports.handler.MessageHandler`.

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
import functools
import json
import signal
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from types import FrameType
from typing import Any

import pika
import pika.exceptions
from pika.adapters.blocking_connection import BlockingChannel, BlockingConnection
from pika.spec import Basic, BasicProperties

from etl_core.observability.logs import get_logger
from etl_core.observability.metrics import EtlMetrics
from etl_core.observability.tracing import inject, tracer
from etl_core.settings import Settings
from etl_core.transports.handler import Action, Decision, MessageHandler
from etl_core.transports.rabbitmq.topology import Topology

CONNECTION_ERRORS = (
    pika.exceptions.AMQPConnectionError,
    pika.exceptions.AMQPChannelError,
    pika.exceptions.StreamLostError,
    pika.exceptions.ConnectionWrongStateError,
    pika.exceptions.ChannelWrongStateError,
)


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
            try:
                decision = self.handler.handle(
                    body,
                    properties.headers,
                    message_id=properties.message_id,
                    correlation_id=properties.correlation_id,
                )
            except Exception as exc:
                # A handler must decide, never raise; if one does anyway, the message still
                # gets settled (an exception lost in the thread pool would leave it unacked
                # and the worker unable to stop), and kept with its reason.
                self._log.error("handler_raised", error_type=type(exc).__name__)
                decision = Decision(
                    Action.DEAD_LETTER,
                    "failed",
                    "internal_error",
                    f"the message handler raised {type(exc).__name__}",
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


_ROUTING_HEADERS = frozenset({"x-original-routing-key", "x-death"})
"""Headers that ``etl dlq replay`` and the broker route by; they name no person."""


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
