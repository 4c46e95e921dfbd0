"""The RabbitMQ topology, declared idempotently by every worker and publisher at start-up.

- ``<exchange>`` (topic): uploads are published with ``health.processing.<RecordType>.<priority>``.
- ``<queue>`` (quorum, bound with ``health.processing.#``): the work queue. Its delivery limit
  makes the broker dead-letter a message that keeps killing workers (a poison message) to
  ``<exchange>.dlx``.
- ``<queue>.retry.<delay>ms`` (classic, one per delay): a retried copy waits there for the
  queue's fixed TTL, then is dead-lettered back to ``<exchange>`` with the routing key
  ``health.processing.retry`` (the record type and priority travel in the body).
- ``<failed queue>`` bound to the dead-letter exchange (``<exchange>.dlx``, direct, unless
  settings name another, e.g. the upstream platform's topic exchange ``health_data_dlx``) with
  the dead-letter routing key: dead letters, with ``x-error-type``, ``x-error-message`` and
  ``x-attempts`` headers when the worker put them there.

A broker that already holds one of these with other arguments (the upstream platform's classic
work queue, or a queue declared with another ``ETL_DELIVERY_LIMIT``) refuses the declaration
with ``406 PRECONDITION_FAILED``; :meth:`Topology.declare` turns that into a
:class:`TopologyConflictError` that names the object, the argument, both values and the way
out, because reconnecting cannot help.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

import pika
import pika.exceptions
from pika.adapters.blocking_connection import BlockingChannel, BlockingConnection

from etl_core.contract.errors import ConfigurationError
from etl_core.settings import Settings
from etl_core.transports.messages import ROUTING_PREFIX

RETRY_ROUTING_KEY = f"{ROUTING_PREFIX}.retry"
DEFAULT_DEAD_LETTER_ROUTING_KEY = "failed"
PRECONDITION_FAILED = 406
NOT_FOUND = 404
MIGRATION_GUIDE = "README: Moving from the upstream platform's queues"

_INEQUIVALENT = re.compile(
    r"inequivalent arg '(?P<argument>[^']*)' for (?P<kind>queue|exchange) '(?P<name>[^']*)'"
    r".*?: received (?P<ours>.*?) but current is (?P<theirs>.*)$"
)


def _broker_value(text: str) -> str:
    """A value as the broker's reply quotes it: ``none``, ``'5'``, or ``the value '5' of type
    'signedint'``."""
    text = text.strip()
    if text.startswith("none"):
        return "none"
    quoted = re.search(r"'([^']*)'", text)
    return quoted.group(1) if quoted else text


class TopologyConflictError(ConfigurationError):
    """The broker holds a queue or exchange of ours with other arguments (``406
    PRECONDITION_FAILED``): a configuration error that reconnecting cannot cure."""

    error_type = "topology_conflict"

    def __init__(
        self,
        reply_text: str,
        *,
        kind: str = "",
        name: str = "",
        argument: str = "",
        ours: str = "",
        theirs: str = "",
        way_out: str = "",
    ) -> None:
        self.reply_text = reply_text
        self.kind = kind
        self.name = name
        self.argument = argument
        self.ours = ours
        self.theirs = theirs
        self.way_out = way_out
        super().__init__(self.describe())

    @classmethod
    def from_reply(cls, reply_text: str, topology: Topology | None = None) -> TopologyConflictError:
        found = _INEQUIVALENT.search(reply_text)
        if found is None:
            return cls(reply_text, way_out=f"see `etl topology check` and the {MIGRATION_GUIDE}")
        kind, name, argument = found["kind"], found["name"], found["argument"]
        ours, theirs = _broker_value(found["ours"]), _broker_value(found["theirs"])
        return cls(
            reply_text,
            kind=kind,
            name=name,
            argument=argument,
            ours=ours,
            theirs=theirs,
            way_out=_way_out(kind, name, argument, theirs, topology),
        )

    def describe(self) -> str:
        if not self.argument:
            return f"the broker refused our topology: {self.reply_text}; {self.way_out}"
        return (
            f"{self.kind} '{self.name}' on the broker differs in {self.argument}: the broker's "
            f"{self.theirs}, ours {self.ours}; {self.way_out}"
        )


def _way_out(kind: str, name: str, argument: str, theirs: str, topology: Topology | None) -> str:
    if kind == "exchange":
        if topology is not None and name == topology.dead_letter_exchange and argument == "type":
            return f"set ETL_DEAD_LETTER_EXCHANGE_TYPE={theirs}, or name another exchange"
        return f"name another exchange in settings, or delete '{name}' if nothing else uses it"
    if argument == "x-delivery-limit" and theirs.isdigit():
        return (
            f"set ETL_DELIVERY_LIMIT={theirs} as before, or set ETL_QUEUE_NAME to a new queue and "
            f"run `etl topology migrate --from {name}` ({MIGRATION_GUIDE})"
        )
    return (
        f"set ETL_QUEUE_NAME to a new queue and move its messages with "
        f"`etl topology migrate --from {name}` ({MIGRATION_GUIDE})"
    )


def conflict_or_raise(exc: pika.exceptions.ChannelClosedByBroker, topology: Topology) -> NoReturn:
    """Raise the :class:`TopologyConflictError` a 406 reply stands for, else ``exc``."""
    if exc.reply_code == PRECONDITION_FAILED:
        raise TopologyConflictError.from_reply(str(exc.reply_text), topology) from exc
    raise exc


@dataclass(frozen=True, slots=True)
class Declaration:
    """One exchange or queue of the topology, as :meth:`Topology.declare` declares it."""

    kind: str
    """``exchange`` or ``queue``."""
    name: str
    arguments: dict[str, Any]
    exchange_type: str = ""
    bindings: tuple[tuple[str, str], ...] = ()
    """(exchange, routing key) pairs a queue is bound with."""

    def declare(self, channel: BlockingChannel, *, passive: bool = False) -> None:
        if self.kind == "exchange":
            channel.exchange_declare(
                self.name, exchange_type=self.exchange_type, durable=True, passive=passive
            )
        else:
            channel.queue_declare(
                self.name, durable=True, arguments=self.arguments or None, passive=passive
            )

    def describe(self) -> str:
        if self.kind == "exchange":
            return f"exchange {self.name} ({self.exchange_type}, durable)"
        arguments = ", ".join(f"{k}={v}" for k, v in self.arguments.items()) or "no arguments"
        bound = "; ".join(f"bound to {e} with {key}" for e, key in self.bindings)
        return f"queue {self.name} (durable, {arguments}){'; ' + bound if bound else ''}"


@dataclass(frozen=True, slots=True)
class CheckResult:
    declaration: Declaration
    state: str
    """``ok`` (present, same arguments), ``missing`` (would be created) or ``conflict``."""
    conflict: TopologyConflictError | None = None


@dataclass(frozen=True, slots=True)
class Topology:
    exchange: str
    queue: str
    dead_letter_exchange: str
    failed_queue: str
    dead_letter_exchange_type: str
    dead_letter_routing_key: str
    retry_queues: tuple[tuple[str, int], ...]
    """(queue name, delay in ms), shortest first."""
    delivery_limit: int

    @classmethod
    def from_settings(cls, settings: Settings) -> Topology:
        return cls(
            exchange=settings.exchange_name,
            queue=settings.queue_name,
            dead_letter_exchange=settings.dead_letter_exchange_name,
            failed_queue=settings.failed_queue_name,
            dead_letter_exchange_type=settings.dead_letter_exchange_type,
            dead_letter_routing_key=settings.dead_letter_routing_key,
            retry_queues=tuple(
                (f"{settings.queue_name}.retry.{delay}ms", delay)
                for delay in settings.retry_delays_ms
            ),
            delivery_limit=settings.delivery_limit,
        )

    def retry_queue_for(self, attempt: int) -> str:
        """The retry queue for the ``attempt``-th retry (1-based); the last one repeats."""
        index = min(max(attempt, 1), len(self.retry_queues)) - 1
        return self.retry_queues[index][0]

    def declarations(self) -> list[Declaration]:
        """Everything :meth:`declare` declares, in its order."""
        return [
            Declaration("exchange", self.exchange, {}, "topic"),
            Declaration("exchange", self.dead_letter_exchange, {}, self.dead_letter_exchange_type),
            Declaration(
                "queue",
                self.queue,
                {
                    "x-queue-type": "quorum",
                    "x-delivery-limit": self.delivery_limit,
                    "x-dead-letter-exchange": self.dead_letter_exchange,
                    "x-dead-letter-routing-key": self.dead_letter_routing_key,
                },
                bindings=((self.exchange, f"{ROUTING_PREFIX}.#"),),
            ),
            Declaration(
                "queue",
                self.failed_queue,
                {},
                bindings=((self.dead_letter_exchange, self.dead_letter_routing_key),),
            ),
            *(
                Declaration(
                    "queue",
                    name,
                    {
                        "x-message-ttl": delay,
                        "x-dead-letter-exchange": self.exchange,
                        "x-dead-letter-routing-key": RETRY_ROUTING_KEY,
                    },
                )
                for name, delay in self.retry_queues
            ),
        ]

    def declare(self, channel: BlockingChannel) -> None:
        """Declare and bind everything; raises :class:`TopologyConflictError` when the broker
        holds one of them with other arguments (the channel is then closed)."""
        try:
            for item in self.declarations():
                item.declare(channel)
                for exchange, routing_key in item.bindings:
                    channel.queue_bind(item.name, exchange, routing_key=routing_key)
        except pika.exceptions.ChannelClosedByBroker as exc:
            conflict_or_raise(exc, self)

    def check(self, connection: BlockingConnection) -> list[CheckResult]:
        """Each declaration compared with the broker, creating nothing: a passive declare says
        whether it exists, and, when it does, declaring it with our arguments either changes
        nothing (the same arguments) or is refused with the first argument that differs. Each
        try has a channel of its own, since a refusal closes the channel."""
        results = []
        for item in self.declarations():
            try:
                item.declare(connection.channel(), passive=True)
            except pika.exceptions.ChannelClosedByBroker as exc:
                if exc.reply_code != NOT_FOUND:
                    raise
                results.append(CheckResult(item, "missing"))
                continue
            try:
                item.declare(connection.channel())
            except pika.exceptions.ChannelClosedByBroker as exc:
                if exc.reply_code != PRECONDITION_FAILED:
                    raise
                conflict = TopologyConflictError.from_reply(str(exc.reply_text), self)
                results.append(CheckResult(item, "conflict", conflict))
                continue
            results.append(CheckResult(item, "ok"))
        return results

    def delete(self, channel: BlockingChannel) -> None:
        """Remove everything :meth:`declare` made (tests use their own names and clean up)."""
        for name in (self.queue, self.failed_queue, *(q for q, _ in self.retry_queues)):
            channel.queue_delete(name)
        channel.exchange_delete(self.exchange)
        channel.exchange_delete(self.dead_letter_exchange)


def open_connection(url: str) -> BlockingConnection:
    """A connection for the command-line tools: one attempt, so that a broker that is down is
    reported at once."""
    parameters = pika.URLParameters(url)
    parameters.connection_attempts = 1
    return pika.BlockingConnection(parameters)


def migrate(
    connection: BlockingConnection,
    topology: Topology,
    source: str,
    *,
    delete_source: bool = False,
    on_moved: Callable[[int], None] | None = None,
) -> int:
    """Move every message of the queue ``source`` into the work queue; returns how many.

    Each message is published straight to the work queue (default exchange, its name as the
    routing key) on a confirm-mode channel, with its body and properties as they were, and is
    acknowledged in ``source`` only once the broker confirmed the copy: a crash in between
    leaves the message in both queues (the dedup store makes the second delivery harmless),
    never in neither. With ``delete_source``, ``source`` is deleted once empty; a message that
    arrives meanwhile makes the broker refuse the deletion, and the move goes on.
    """
    if source == topology.queue:
        raise ValueError(
            f"--from {source} is the queue this engine consumes: set ETL_QUEUE_NAME to the new "
            f"queue first"
        )
    probe = connection.channel()
    try:
        probe.queue_declare(source, passive=True)
    except pika.exceptions.ChannelClosedByBroker as exc:
        if exc.reply_code == NOT_FOUND:
            raise ValueError(f"there is no queue '{source}' on the broker") from exc
        raise
    probe.close()
    topology.declare(connection.channel())
    reader = connection.channel()
    publisher = connection.channel()
    publisher.confirm_delivery()
    moved = 0
    while True:
        method, properties, body = reader.basic_get(source, auto_ack=False)
        if method is None:
            if not delete_source:
                break
            try:
                connection.channel().queue_delete(source, if_empty=True)
                break
            except pika.exceptions.ChannelClosedByBroker as exc:
                if exc.reply_code != PRECONDITION_FAILED:
                    raise
                continue  # not empty after all: a producer is still publishing to it
        headers = dict(properties.headers or {})
        # The work queue's own consumers and `etl dlq replay` find the original key here.
        headers.setdefault("x-original-routing-key", method.routing_key)
        properties.headers = headers
        properties.delivery_mode = pika.DeliveryMode.Persistent.value
        publisher.basic_publish("", topology.queue, body, properties, mandatory=True)
        reader.basic_ack(method.delivery_tag)
        moved += 1
        if on_moved is not None:
            on_moved(moved)
    return moved
