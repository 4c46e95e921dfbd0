"""The RabbitMQ topology, declared idempotently by every worker and publisher at start-up.

- ``<exchange>`` (topic): uploads are published with ``health.processing.<RecordType>.<priority>``.
- ``<queue>`` (quorum, bound with ``health.processing.#``): the work queue. Its delivery limit
  makes the broker dead-letter a message that keeps killing workers (a poison message) to
  ``<exchange>.dlx``.
- ``<queue>.retry.<delay>ms`` (classic, one per delay): a retried copy waits there for the
  queue's fixed TTL, then is dead-lettered back to ``<exchange>`` with the routing key
  ``health.processing.retry`` (the record type and priority travel in the body).
- ``<failed queue>`` bound to ``<exchange>.dlx``: dead letters, with ``x-error-type``,
  ``x-error-message`` and ``x-attempts`` headers when the worker put them there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pika.adapters.blocking_connection import BlockingChannel

from etl_core.messages import ROUTING_PREFIX
from etl_core.settings import Settings

RETRY_ROUTING_KEY = f"{ROUTING_PREFIX}.retry"
DEAD_LETTER_ROUTING_KEY = "failed"


@dataclass(frozen=True, slots=True)
class Topology:
    exchange: str
    queue: str
    dead_letter_exchange: str
    failed_queue: str
    retry_queues: tuple[tuple[str, int], ...]
    """(queue name, delay in ms), shortest first."""
    delivery_limit: int

    @classmethod
    def from_settings(cls, settings: Settings) -> Topology:
        return cls(
            exchange=settings.exchange_name,
            queue=settings.queue_name,
            dead_letter_exchange=f"{settings.exchange_name}.dlx",
            failed_queue=settings.failed_queue_name,
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

    def declare(self, channel: BlockingChannel) -> None:
        channel.exchange_declare(self.exchange, exchange_type="topic", durable=True)
        channel.exchange_declare(self.dead_letter_exchange, exchange_type="direct", durable=True)
        work_arguments: dict[str, Any] = {
            "x-queue-type": "quorum",
            "x-delivery-limit": self.delivery_limit,
            "x-dead-letter-exchange": self.dead_letter_exchange,
            "x-dead-letter-routing-key": DEAD_LETTER_ROUTING_KEY,
        }
        channel.queue_declare(self.queue, durable=True, arguments=work_arguments)
        channel.queue_bind(self.queue, self.exchange, routing_key=f"{ROUTING_PREFIX}.#")
        channel.queue_declare(self.failed_queue, durable=True)
        channel.queue_bind(
            self.failed_queue, self.dead_letter_exchange, routing_key=DEAD_LETTER_ROUTING_KEY
        )
        for name, delay in self.retry_queues:
            channel.queue_declare(
                name,
                durable=True,
                arguments={
                    "x-message-ttl": delay,
                    "x-dead-letter-exchange": self.exchange,
                    "x-dead-letter-routing-key": RETRY_ROUTING_KEY,
                },
            )

    def delete(self, channel: BlockingChannel) -> None:
        """Remove everything :meth:`declare` made (tests use their own names and clean up)."""
        for name in (self.queue, self.failed_queue, *(q for q, _ in self.retry_queues)):
            channel.queue_delete(name)
        channel.exchange_delete(self.exchange)
        channel.exchange_delete(self.dead_letter_exchange)
