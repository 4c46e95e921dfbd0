"""``etl dlq``: see why messages were dead-lettered, and send them back."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pika
from pika.adapters.blocking_connection import BlockingChannel

from etl_core.messages import ROUTING_PREFIX
from etl_core.settings import Settings
from etl_core.topology import Topology


@dataclass(frozen=True, slots=True)
class DeadLetter:
    message_id: str
    error_type: str
    error_message: str
    attempts: int
    routing_key: str
    delivery_tag: int


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
        delivery_tag=method.delivery_tag,
    )


def _drain(channel: BlockingChannel, queue: str) -> list[tuple[DeadLetter, Any, bytes]]:
    """Every message of the queue, unacknowledged (closing the channel returns them)."""
    taken: list[tuple[DeadLetter, Any, bytes]] = []
    while True:
        method, properties, body = channel.basic_get(queue, auto_ack=False)
        if method is None:
            return taken
        taken.append((_describe(method, properties, body), properties, body))


def list_dead_letters(settings: Settings) -> list[DeadLetter]:
    topology = Topology.from_settings(settings)
    connection = pika.BlockingConnection(pika.URLParameters(settings.rabbitmq_url))
    try:
        channel = connection.channel()
        topology.declare(channel)
        return [letter for letter, _, _ in _drain(channel, topology.failed_queue)]
    finally:
        connection.close()


def replay(settings: Settings, message_ids: Iterable[str] | None) -> list[DeadLetter]:
    """Send dead letters back to the work exchange with a fresh retry count; ``None`` replays
    all. Each is acknowledged in the dead-letter queue only after the broker confirmed the
    copy."""
    wanted = None if message_ids is None else set(message_ids)
    topology = Topology.from_settings(settings)
    connection = pika.BlockingConnection(pika.URLParameters(settings.rabbitmq_url))
    replayed: list[DeadLetter] = []
    try:
        channel = connection.channel()
        topology.declare(channel)
        publisher = connection.channel()
        publisher.confirm_delivery()
        for letter, properties, body in _drain(channel, topology.failed_queue):
            if wanted is not None and letter.message_id not in wanted:
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
            channel.basic_ack(letter.delivery_tag)
            replayed.append(letter)
    finally:
        connection.close()
    return replayed
