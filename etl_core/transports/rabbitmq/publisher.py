"""``etl publish``: upload files to S3 and announce them on the exchange, as the upstream
upload API does. Used by demos, tests and benchmarks."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pika
from pika.adapters.blocking_connection import BlockingChannel

from etl_core.engine.decode import decode_records, detect_record_type, read_header
from etl_core.engine.pipeline import pseudonymise
from etl_core.settings import Settings
from etl_core.stores.objects.base import ObjectStore
from etl_core.transports.messages import UploadMessage
from etl_core.transports.rabbitmq.topology import Topology, open_connection


@dataclass(frozen=True, slots=True)
class PreparedUpload:
    message: UploadMessage
    data: bytes


def prepare_upload(
    data: bytes,
    name: str,
    *,
    user_id: str,
    bucket: str,
    pseudonym_key: bytes,
    priority: str = "normal",
    timezone: str | None = None,
    now: datetime | None = None,
) -> PreparedUpload:
    """The object key and message for one file. Raises an
    :class:`~etl_core.contract.errors.InputError`
    for a file that is not a readable Health Connect export."""
    writer_schema = read_header(data, len(data) + 1, name)
    record_type, _ = detect_record_type(writer_schema, name)
    record_count = len(decode_records(data, name, None))
    sha256 = hashlib.sha256(data).hexdigest()
    moment = now or datetime.now(UTC)
    pseudonym = pseudonymise(user_id, pseudonym_key)
    epoch_ms = int(moment.timestamp() * 1000)
    key = f"raw/{record_type}/{moment:%Y/%m/%d}/{pseudonym}_{epoch_ms}_{sha256[:16]}.avro"
    message = UploadMessage(
        message_id=uuid.uuid4().hex,
        correlation_id=uuid.uuid4().hex,
        user_id=user_id,
        bucket=bucket,
        key=key,
        record_type=record_type,
        upload_timestamp_utc=moment,
        content_hash=sha256,
        file_size_bytes=len(data),
        record_count=record_count,
        idempotency_key=f"upload:{pseudonym}:{sha256}",
        priority=priority,
        retry_count=0,
        timezone=timezone,
    )
    return PreparedUpload(message, data)


def publish_message(channel: BlockingChannel, exchange: str, message: UploadMessage) -> None:
    """Publish on a confirm-mode channel; returns once the broker has confirmed it."""
    channel.basic_publish(
        exchange=exchange,
        routing_key=message.routing_key,
        body=message.model_dump_json().encode("utf-8"),
        properties=pika.BasicProperties(
            content_type="application/json",
            delivery_mode=pika.DeliveryMode.Persistent,
            message_id=message.message_id,
            correlation_id=message.correlation_id,
            headers={"x-original-routing-key": message.routing_key},
        ),
        mandatory=True,
    )


def publish_files(
    paths: Iterable[Path],
    *,
    settings: Settings,
    store: ObjectStore,
    user_id: str,
    priority: str = "normal",
    timezone: str | None = None,
) -> list[UploadMessage]:
    pseudonym_key, _ = settings.effective_pseudonym_key()
    topology = Topology.from_settings(settings)
    connection = open_connection(settings.rabbitmq_url)
    published: list[UploadMessage] = []
    try:
        channel = connection.channel()
        topology.declare(channel)
        channel.confirm_delivery()
        for path in paths:
            upload = prepare_upload(
                path.read_bytes(),
                path.name,
                user_id=user_id,
                bucket=settings.s3_bucket_name,
                pseudonym_key=pseudonym_key,
                priority=priority,
                timezone=timezone,
            )
            store.put(upload.message.key, upload.data)
            publish_message(channel, topology.exchange, upload.message)
            published.append(upload.message)
    finally:
        if connection.is_open:
            connection.close()
    return published
