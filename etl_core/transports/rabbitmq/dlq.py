"""``etl dlq``: see why messages were dead-lettered, and send them back.

A message can sit in the dead-letter queue more than once: a worker that loses its connection
after the broker confirmed the copy but before its ack of the original reached the broker gets
the original again, and dead-letters it again. No broker-and-store protocol closes that window
(the confirm itself can be lost), so the reader makes it harmless: copies are grouped by message
id, listed once with their count, and replayed once (every copy is acknowledged).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

import pika
import pika.exceptions
from pika.adapters.blocking_connection import BlockingChannel

from etl_core.contract.errors import RequestError
from etl_core.settings import Settings
from etl_core.transports.messages import ROUTING_PREFIX
from etl_core.transports.rabbitmq.topology import NOT_FOUND, Topology, open_connection


@dataclass(frozen=True, slots=True)
class DeadLetter:
    message_id: str
    error_type: str
    error_message: str
    attempts: int
    routing_key: str
    delivery_tags: tuple[int, ...]
    """One per copy in the dead-letter queue, the first one's first."""

    @property
    def copies(self) -> int:
        return len(self.delivery_tags)


def _describe(method: Any, properties: pika.BasicProperties, body: bytes) -> DeadLetter:
    headers: dict[str, Any] = dict(properties.headers or {})
    deaths = headers.get("x-death") or []
    error_type = headers.get("x-error-type")
    error_message = headers.get("x-error-message")
    if error_type is None and deaths:
        # Dead-lettered by the broker itself, e.g. a poison message over the delivery limit.
        error_type = f"broker_{deaths[0].get('reason', 'dead_lettered')}"
        error_message = f"dead-lettered by the broker from {deaths[0].get('queue', '?')}"
    message_id = properties.message_id
    if not message_id:
        try:
            message_id = str(json.loads(body).get("message_id", ""))
        except (ValueError, AttributeError):
            message_id = ""
    original = headers.get("x-original-routing-key")
    if not isinstance(original, str):
        original = f"{ROUTING_PREFIX}.replay"
    return DeadLetter(
        message_id=message_id or f"delivery-{method.delivery_tag}",
        error_type=str(error_type or "unknown"),
        error_message=str(error_message or ""),
        attempts=int(headers.get("x-attempts") or (deaths[0].get("count", 1) if deaths else 1)),
        routing_key=original,
        delivery_tags=(method.delivery_tag,),
    )


def _drain(channel: BlockingChannel, queue: str) -> list[tuple[DeadLetter, Any, bytes]]:
    """Every message of the queue, unacknowledged (closing the channel returns them), one entry
    per message id: the first copy's properties and body, every copy's delivery tag."""
    first: dict[str, tuple[DeadLetter, Any, bytes]] = {}
    tags: dict[str, list[int]] = {}
    while True:
        method, properties, body = channel.basic_get(queue, auto_ack=False)
        if method is None:
            break
        letter = _describe(method, properties, body)
        first.setdefault(letter.message_id, (letter, properties, body))
        tags.setdefault(letter.message_id, []).append(method.delivery_tag)
    return [
        (replace(letter, delivery_tags=tuple(tags[message_id])), properties, body)
        for message_id, (letter, properties, body) in first.items()
    ]


def list_dead_letters(settings: Settings, queue: str | None = None) -> list[DeadLetter]:
    """Each dead-lettered message once, in queue order, with how many copies it has.

    ``queue`` reads another dead-letter queue than ``ETL_FAILED_QUEUE_NAME`` (e.g. the upstream
    platform's ``health_data_dlq``); it must exist, and nothing is declared for it."""
    topology = Topology.from_settings(settings)
    connection = open_connection(settings.rabbitmq_url)
    try:
        channel = connection.channel()
        if queue is None:
            topology.declare(channel)
        else:
            _require_queue(channel, queue)
        return [letter for letter, _, _ in _drain(channel, queue or topology.failed_queue)]
    finally:
        if connection.is_open:
            connection.close()


class NoSuchQueueError(RequestError):
    """A queue named on the command line does not exist on the broker."""

    error_type = "no_such_queue"


def _require_queue(channel: BlockingChannel, queue: str) -> None:
    try:
        channel.queue_declare(queue, passive=True)
    except pika.exceptions.ChannelClosedByBroker as exc:
        if exc.reply_code == NOT_FOUND:
            raise NoSuchQueueError(f"there is no queue '{queue}' on the broker") from exc
        raise


def replay(
    settings: Settings,
    message_ids: Iterable[str] | None,
    error_types: Iterable[str] | None = None,
    queue: str | None = None,
) -> list[DeadLetter]:
    """Send dead letters back to the work exchange with a fresh retry count, once per message
    id: those named by ``message_ids`` (``None``: any) whose error type is one of
    ``error_types`` (``None``: any), read from ``queue`` (``None``: ``ETL_FAILED_QUEUE_NAME``).
    A message's copies are acknowledged in the dead-letter queue only after the broker
    confirmed its replay."""
    wanted = None if message_ids is None else set(message_ids)
    types = None if error_types is None else set(error_types)
    topology = Topology.from_settings(settings)
    connection = open_connection(settings.rabbitmq_url)
    replayed: list[DeadLetter] = []
    try:
        channel = connection.channel()
        topology.declare(channel)
        if queue is not None:
            _require_queue(channel, queue)
        publisher = connection.channel()
        publisher.confirm_delivery()
        for letter, properties, body in _drain(channel, queue or topology.failed_queue):
            if wanted is not None and letter.message_id not in wanted:
                continue
            if types is not None and letter.error_type not in types:
                continue
            try:
                document = json.loads(body)
                document["retry_count"] = 0
                body = json.dumps(document).encode("utf-8")
            except (ValueError, TypeError):
                pass  # replayed as it is; it will be dead-lettered again with its reason
            headers = {
                k: v
                for k, v in dict(properties.headers or {}).items()
                if k not in ("x-death", "x-error-type", "x-error-message", "x-attempts")
            }
            publisher.basic_publish(
                exchange=topology.exchange,
                routing_key=letter.routing_key,
                body=body,
                properties=pika.BasicProperties(
                    content_type="application/json",
                    delivery_mode=pika.DeliveryMode.Persistent,
                    message_id=properties.message_id,
                    correlation_id=properties.correlation_id,
                    headers=headers,
                ),
                mandatory=True,
            )
            for tag in letter.delivery_tags:
                channel.basic_ack(tag)
            replayed.append(letter)
    finally:
        if connection.is_open:
            connection.close()
    return replayed
