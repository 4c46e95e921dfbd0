"""The worker against messages shaped as the original platform's two producers shape them.

The fixtures follow ``../shared/reference/upstream-messages.md``: the upload service (no message
id in the body, only the AMQP ``message_id`` property; ``file_hash``; the Avro schema name as
record type; routing key ``health.processing.<record type lower-cased>``) and the message-queue
library (``message_id`` and ``content_hash`` in the body, ``processing_priority``,
``max_retries``, ``health_metadata``, the raw user id among the AMQP headers; routing key
``health.processing.<record type lower-cased>.<priority>``). Both name objects
``raw/Avro<RecordType>/Y/M/D/<user id>_<timestamp>.avro``.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import re
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import fastavro
import pika
import pytest

from etl_core.builtin.training_jsonl import stable_form
from etl_core.engine.pipeline import Pipeline, pseudonymise
from etl_core.engine.registry import load_plugins
from etl_core.settings import Settings
from etl_core.stores.dedup.sql import SqlDedupStore
from etl_core.stores.factory import open_object_store
from etl_core.stores.objects.base import LocalObjectStore
from etl_core.testing import real_samples, run_etl, training_examples
from etl_core.transports.handler import Action, MessageHandler
from etl_core.transports.messages import InvalidMessageError, parse_message
from etl_core.transports.rabbitmq.consumer import wait_until
from etl_core.transports.rabbitmq.topology import Topology
from tests.fault_support import Worker
from tests.services import MotoS3Server, rabbitmq_available, unavailable
from tests.worker_support import (
    PSEUDONYM_KEY,
    all_completed,
    delete_topology,
    examples_in,
    queue_depths,
    worker_settings,
    worker_thread,
)

Producer = Literal["upload_service", "message_queue_library"]
PRODUCERS: tuple[Producer, ...] = ("upload_service", "message_queue_library")
EMAIL_USER = "john.doe@example.com"
UPLOADS_START = datetime(2026, 11, 29, 15, 26, 22, 846178, tzinfo=UTC)
_uploads = itertools.count()
"""Each upload a second after the one before, as the upload service's keys need."""


# -- the two producers' messages -------------------------------------------------------------


@dataclass(frozen=True)
class UpstreamMessage:
    key: str
    body: bytes
    routing_key: str
    properties: pika.BasicProperties
    idempotency_key: str

    @property
    def message_id(self) -> str:
        return str(self.properties.message_id)


def record_count(data: bytes) -> int:
    """The upload service's count; 0 for bytes that are not Avro (the worker ignores it)."""
    try:
        return sum(1 for _ in fastavro.reader(io.BytesIO(data)))
    except (ValueError, EOFError):
        return 0


def upstream_message(
    producer: Producer,
    data: bytes,
    record_type: str,
    *,
    user_id: str,
    bucket: str,
    moment: datetime,
) -> UpstreamMessage:
    """One message as ``producer`` builds it for an upload of ``data`` at ``moment``."""
    schema_name = f"Avro{record_type}"
    key = f"raw/{schema_name}/{moment:%Y/%m/%d}/{user_id}_{moment:%Y%m%d_%H%M%S_%f}.avro"
    sha256 = hashlib.sha256(data).hexdigest()
    correlation_id = str(uuid.uuid4())
    message_id = uuid.uuid4().hex
    common: dict[str, Any] = {
        "bucket": bucket,
        "key": key,
        "user_id": user_id,
        "record_type": schema_name,
        "upload_timestamp_utc": moment.isoformat(),
        "correlation_id": correlation_id,
        "file_size_bytes": len(data),
    }
    if producer == "upload_service":
        idempotency_key = hashlib.sha256(f"{user_id}:{sha256}".encode()).hexdigest()[:16]
        body = common | {
            "file_hash": sha256,
            "record_count": record_count(data),
            "idempotency_key": idempotency_key,
        }
        properties = pika.BasicProperties(
            content_type="application/json",
            delivery_mode=pika.DeliveryMode.Persistent,
            message_id=message_id,
            timestamp=int(moment.timestamp()),
        )
        routing_key = f"health.processing.{schema_name.lower()}"
    else:
        idempotency_key = hashlib.sha256(
            f"{user_id}:{sha256}:{moment.isoformat()}".encode()
        ).hexdigest()[:16]
        body = common | {
            "message_id": message_id,
            "content_hash": sha256,
            "idempotency_key": idempotency_key,
            "retry_count": 0,
            "max_retries": 3,
            "processing_priority": "normal",
            "record_count": None,
            "health_metadata": {"source": "health_connect"},
        }
        properties = pika.BasicProperties(
            delivery_mode=pika.DeliveryMode.Persistent,
            message_id=message_id,
            correlation_id=correlation_id,
            timestamp=int(moment.timestamp()),
            headers={
                "retry_count": 0,
                "idempotency_key": idempotency_key,
                "record_type": schema_name,
                "user_id": user_id,
                "processing_priority": "normal",
            },
        )
        routing_key = f"health.processing.{schema_name.lower()}.normal"
    return UpstreamMessage(
        key,
        json.dumps(body, separators=(",", ":")).encode(),
        routing_key,
        properties,
        idempotency_key,
    )


def upload(
    settings: Settings,
    producer: Producer,
    files: list[tuple[str, bytes]],
    *,
    user_id: str,
    bucket: str | None = None,
    prefix: str | None = None,
    store_objects: bool = True,
) -> list[UpstreamMessage]:
    """Put each (record type, bytes) in S3 and publish its message as ``producer`` does.
    ``bucket`` and ``prefix`` override where the message says the object is (the object is put
    there too unless ``store_objects`` is false)."""
    target = bucket or settings.s3_bucket_name
    store = open_object_store(settings, target, pool_size=1)
    messages = []
    for record_type, data in files:
        message = upstream_message(
            producer,
            data,
            record_type,
            user_id=user_id,
            bucket=target,
            moment=UPLOADS_START + timedelta(seconds=next(_uploads)),
        )
        if prefix is not None:
            moved = prefix + message.key
            body = json.loads(message.body) | {"key": moved}
            message = UpstreamMessage(
                moved,
                json.dumps(body).encode(),
                message.routing_key,
                message.properties,
                message.idempotency_key,
            )
        if store_objects:
            store.put(message.key, data)
        messages.append(message)
    send(settings, messages)
    return messages


def send(settings: Settings, messages: list[UpstreamMessage]) -> None:
    connection = pika.BlockingConnection(pika.URLParameters(settings.rabbitmq_url))
    try:
        channel = connection.channel()
        Topology.from_settings(settings).declare(channel)
        channel.confirm_delivery()
        for message in messages:
            channel.basic_publish(
                settings.exchange_name,
                message.routing_key,
                message.body,
                message.properties,
                mandatory=True,
            )
    finally:
        connection.close()


def dead_letters(settings: Settings) -> list[tuple[pika.BasicProperties, bytes]]:
    """Every message in the dead-letter queue, left there."""
    connection = pika.BlockingConnection(pika.URLParameters(settings.rabbitmq_url))
    found = []
    try:
        channel = connection.channel()
        while True:
            method, properties, body = channel.basic_get(settings.failed_queue_name)
            if method is None:
                break
            found.append((properties, body))
    finally:
        connection.close()  # unacknowledged: the messages go back to the queue
    return found


def real_files() -> list[tuple[str, bytes]]:
    files = real_samples()
    if not files:
        unavailable("the real samples are not beside the checkout")
    return [(path.name.split("_", 1)[0], path.read_bytes()) for path in files]


def stable(examples: list[dict[str, Any]]) -> list[str]:
    return sorted(json.dumps(stable_form(e), sort_keys=True) for e in examples)


def etl_run_examples(out: Path, user_id: str) -> list[dict[str, Any]]:
    folder = real_samples()[0].parent
    run_etl([folder], out, "--user-id", user_id, env={"ETL_PSEUDONYM_KEY": PSEUDONYM_KEY})
    return training_examples(out)


def log_entries(text: str) -> list[dict[str, Any]]:
    entries = []
    for line in text.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict):
            entries.append(entry)
    return entries


def settled_lines(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        e for e in entries if e.get("event") in ("message_dead_lettered", "message_quarantined")
    ]


def bad_glucose_file() -> bytes:
    """A real glucose export's first records with impossible levels, dated 1970: quarantined
    by core's own checks (the dates) whether or not the glucose plugin (the levels) is
    installed."""
    reader = fastavro.reader(io.BytesIO(real_samples("BloodGlucoseRecord")[0].read_bytes()))
    records = [record for _, record in zip(range(20), reader, strict=False)]
    first = records[0]["timeEpochMillis"]
    for n, record in enumerate(records):
        record["levelInMilligramsPerDeciliter"] = 5000.0
        record["metadata"]["id"] = f"impossible-{n}"
        record["timeEpochMillis"] = record["timeEpochMillis"] - first + 3_600_000
    out = io.BytesIO()
    fastavro.writer(out, reader.writer_schema, records)
    return out.getvalue()


def everything_under(moto: MotoS3Server, bucket: str, prefixes: tuple[str, ...]) -> list[str]:
    """Keys and bodies of every object under the prefixes, as text."""
    client = moto.client()
    texts = []
    for prefix in prefixes:
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", ()):
                texts.append(item["Key"])
                body = client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
                texts.append(body.decode("utf-8", "replace"))
    return texts


def contains(texts: list[str], needle: str) -> list[str]:
    return [text[:200] for text in texts if needle in text]


# -- fixtures --------------------------------------------------------------------------------


@pytest.fixture
def settings(moto_server: MotoS3Server, s3_bucket: str, tmp_path: Path) -> Iterator[Settings]:
    if not rabbitmq_available():
        unavailable("RabbitMQ is not reachable on 127.0.0.1:5672")
    configured = worker_settings(moto_server, s3_bucket, tmp_path / "state")
    (tmp_path / "state").mkdir()
    try:
        yield configured
    finally:
        delete_topology(configured)


# -- messages, without a broker ----------------------------------------------------------------


def test_each_producers_body_parses_to_the_engines_message() -> None:
    data = real_samples("StepsRecord")[0].read_bytes() if real_samples() else b"x"
    moment = datetime(2026, 11, 29, 15, 26, 22, tzinfo=UTC)
    for producer in PRODUCERS:
        shaped = upstream_message(
            producer, data, "StepsRecord", user_id="1", bucket="health-data", moment=moment
        )
        message = parse_message(shaped.body, message_id=shaped.properties.message_id)
        assert message.message_id == shaped.message_id
        assert message.record_type == "StepsRecord"
        assert message.content_hash == hashlib.sha256(data).hexdigest()
        assert message.key == shaped.key
        assert message.idempotency_key == shaped.idempotency_key
        assert message.priority == "normal"


def test_a_body_without_a_message_id_needs_the_amqp_property() -> None:
    shaped = upstream_message(
        "upload_service",
        b"avro",
        "StepsRecord",
        user_id="1",
        bucket="health-data",
        moment=datetime(2026, 11, 29, tzinfo=UTC),
    )
    with pytest.raises(InvalidMessageError, match="message_id: Field required"):
        parse_message(shaped.body)
    document = json.loads(shaped.body) | {"content_hash": "0" * 64}
    with pytest.raises(InvalidMessageError, match="content_hash and file_hash differ"):
        parse_message(json.dumps(document).encode(), message_id="m")


@pytest.mark.parametrize(
    ("key", "user_id", "redacted"),
    [
        (
            "raw/AvroStepsRecord/2026/11/29/1_20261129_152622_846178.avro",
            "1",
            "raw/AvroStepsRecord/2026/11/29/<1>_20261129_152622_846178.avro",
        ),
        ("raw/x/user-11/1.avro", "1", "raw/x/user-11/<1>.avro"),
        ("pii/john.doe@example.com/x.avro", EMAIL_USER, f"pii/<{EMAIL_USER}>/x.avro"),
        ("pii/john.doe%40example.com/x.avro", EMAIL_USER, f"pii/<{EMAIL_USER}>/x.avro"),
        ("in/jane@example.org.avro", "1", "in/<jane@example.org>.avro"),
        ("in/a_jane+x@mail.example.org_2.avro", "1", "in/<a_jane+x@mail.example.org>_2.avro"),
        ("raw/StepsRecord/2026/u_abc_1700000000_ff.avro", "1", None),
    ],
)
def test_keys_lose_the_user_id_and_any_email_wherever_they_stand(
    key: str, user_id: str, redacted: str | None
) -> None:
    from etl_core.engine.identifiers import redact_key

    def pseudonym(found: str) -> str:
        return "p" + hashlib.sha256(found.encode()).hexdigest()[:8]

    # In the table, <x> stands for the pseudonym of x.
    expected = re.sub(r"<([^>]+)>", lambda m: pseudonym(m.group(1)), redacted or key)
    assert redact_key(key, user_id, pseudonym) == expected


def handler_with(tmp_path: Path, **overrides: Any) -> tuple[MessageHandler, LocalObjectStore]:
    values: dict[str, Any] = {"pseudonym_key": PSEUDONYM_KEY, **overrides}
    configured = Settings(_env_file=None, **values)  # type: ignore[call-arg]
    dedup = SqlDedupStore.sqlite_file(tmp_path / "state" / "dedup.sqlite")
    sources = LocalObjectStore(tmp_path / "sources")
    pipeline = Pipeline(load_plugins(), LocalObjectStore(tmp_path / "out"), dedup, configured)
    return MessageHandler(pipeline, lambda _bucket: sources, configured), sources


def test_a_configured_raw_prefix_is_the_only_place_read(tmp_path: Path) -> None:
    handler, sources = handler_with(tmp_path, raw_prefix="uploads/incoming")
    data = real_samples("StepsRecord")[0].read_bytes() if real_samples() else None
    if data is None:
        unavailable("the real samples are not beside the checkout")
    moment = datetime(2026, 11, 29, tzinfo=UTC)
    decisions = {}
    for prefix in ("uploads/incoming/", "", "uploads/"):
        shaped = upstream_message(
            "upload_service", data, "StepsRecord", user_id="1", bucket="health-data", moment=moment
        )
        key = prefix + shaped.key.removeprefix("raw/")
        sources.put(key, data)
        body = json.dumps(json.loads(shaped.body) | {"key": key}).encode()
        decisions[prefix] = handler.handle(body, message_id=shaped.message_id)
        moment += timedelta(seconds=1)
    assert decisions["uploads/incoming/"].action is Action.ACK
    for prefix in ("", "uploads/"):
        assert decisions[prefix].action is Action.DEAD_LETTER
        assert decisions[prefix].error_type == "forbidden_location"
        assert "ETL_RAW_PREFIX" in (decisions[prefix].error_message or "")


# -- against the broker ------------------------------------------------------------------------


@pytest.mark.services
@pytest.mark.parametrize("producer", PRODUCERS)
def test_each_upstream_producers_messages_make_the_examples_of_etl_run(
    producer: Producer,
    settings: Settings,
    moto_server: MotoS3Server,
    s3_bucket: str,
    tmp_path: Path,
) -> None:
    messages = upload(settings, producer, real_files(), user_id="1")
    with worker_thread(settings) as worker:
        keys = [m.idempotency_key for m in messages]
        assert wait_until(lambda: all_completed(settings, keys), 180, 0.2), worker.decisions
        assert wait_until(lambda: sum(queue_depths(settings).values()) == 0, 30, 0.2)
        assert wait_until(lambda: worker.handled == 26, 30)
        assert worker.decisions == Counter({"ack": 26})
    assert queue_depths(settings)[settings.failed_queue_name] == 0
    consumed = examples_in(moto_server, s3_bucket)
    embedded = etl_run_examples(tmp_path / "embedded", "1")
    assert stable(consumed) == stable(embedded)


@pytest.mark.services
def test_an_email_user_id_in_upstream_keys_reaches_no_output_header_or_log(
    settings: Settings, moto_server: MotoS3Server, s3_bucket: str, tmp_path: Path
) -> None:
    files = real_files()
    good_library = upload(settings, "message_queue_library", files[:13], user_id=EMAIL_USER)
    good_service = upload(settings, "upload_service", files[13:], user_id=EMAIL_USER)
    quarantined = upload(
        settings,
        "message_queue_library",
        [("BloodGlucoseRecord", bad_glucose_file())],
        user_id=EMAIL_USER,
    )
    steps = files[-1][1]
    truncated = upload(
        settings,
        "message_queue_library",
        [("StepsRecord", steps[: len(steps) // 2])],
        user_id=EMAIL_USER,
    )
    # Dead-lettered before the pipeline: the reasons name the key.
    [missing] = [
        upstream_message(
            "message_queue_library",
            steps,
            "StepsRecord",
            user_id=EMAIL_USER,
            bucket=s3_bucket,
            moment=datetime(2026, 1, 1, tzinfo=UTC),
        )
    ]
    tampered_store = upload(
        settings, "upload_service", [("StepsRecord", steps + b"tampered")], user_id=EMAIL_USER
    )
    forbidden = upload(
        settings,
        "message_queue_library",
        [("StepsRecord", steps)],
        user_id=EMAIL_USER,
        prefix="quarantine/",
        store_objects=False,
    )
    send(settings, [missing])
    tampered = tampered_store[0]
    store = open_object_store(settings, s3_bucket, pool_size=1)
    store.put(tampered.key, steps)  # the object no longer matches the message's hash

    log = tmp_path / "worker.log"
    worker = Worker(settings, log, threads=2)
    try:
        completed = [m.idempotency_key for m in good_library + good_service + quarantined]
        assert wait_until(lambda: all_completed(settings, completed), 180, 0.2), worker.output()
        assert wait_until(
            lambda: queue_depths(settings)[settings.failed_queue_name] == 4, 180, 0.2
        ), worker.output()
        assert worker.stop() == 0
    finally:
        worker.close()
    output = worker.output()

    stored = everything_under(moto_server, s3_bucket, ("training/", "quarantine/"))
    assert any(key.startswith("quarantine/") for key in stored), "nothing was quarantined"
    letters = dead_letters(settings)
    assert len(letters) == 4
    header_texts = [json.dumps(p.headers, default=str) for p, _ in letters]
    assert {p.headers["x-error-type"] for p, _ in letters} == {
        "decode_error",
        "missing_object",
        "integrity_error",
        "forbidden_location",
    }
    # The dead letter is the producer's message unchanged (replay needs its key and user id);
    # every header, the producer's and the worker's, names the user only by pseudonym.
    published = {m.body for m in [*truncated, missing, tampered, *forbidden]}
    assert {body for _, body in letters} == published
    pseudonym = pseudonymise(EMAIL_USER, PSEUDONYM_KEY.encode())
    library_letters = [p for p, _ in letters if "user_id" in (p.headers or {})]
    assert library_letters
    assert all(p.headers["user_id"] == pseudonym for p in library_letters)
    assert all(pseudonym in p.headers["x-error-message"] for p, _ in letters)

    for raw in (EMAIL_USER, "john.doe%40example.com"):
        assert contains(stored, raw) == []
        assert contains(header_texts, raw) == []
        assert raw not in output
    entries = log_entries(output)
    assert any(e.get("source_key", "").endswith(".avro") for e in entries)
    settled = settled_lines(entries)
    assert Counter(e["reason"] for e in settled) == Counter(
        {
            "below_quality_threshold": 1,
            "decode_error": 1,
            "missing_object": 1,
            "integrity_error": 1,
            "forbidden_location": 1,
        }
    )


@pytest.mark.services
def test_the_worker_reads_only_its_bucket_and_raw_prefix(
    settings: Settings, moto_server: MotoS3Server, s3_bucket: str, tmp_path: Path
) -> None:
    steps = real_files()[-1][1]
    other_bucket = moto_server.create_bucket()
    try:
        elsewhere = [
            *upload(
                settings,
                "upload_service",
                [("StepsRecord", steps)],
                user_id="1",
                bucket=other_bucket,
            ),
            *upload(
                settings,
                "upload_service",
                [("StepsRecord", steps)],
                user_id="2",
                prefix="training/",
            ),
            *upload(
                settings,
                "message_queue_library",
                [("StepsRecord", steps)],
                user_id="3",
                prefix="quarantine/",
            ),
            *upload(
                settings,
                "message_queue_library",
                [("StepsRecord", steps)],
                user_id="4",
                prefix="uploads/",
            ),
        ]
        log = tmp_path / "worker.log"
        worker = Worker(settings, log, threads=2)
        try:
            assert wait_until(
                lambda: queue_depths(settings)[settings.failed_queue_name] == 4, 180, 0.2
            ), worker.output()
            assert worker.stop() == 0
        finally:
            worker.close()
    finally:
        moto_server.remove_bucket(other_bucket)
    letters = dead_letters(settings)
    assert [p.headers["x-error-type"] for p, _ in letters] == ["forbidden_location"] * 4
    assert {p.message_id for p, _ in letters} == {m.message_id for m in elsewhere}
    # Nothing was read: no example, no quarantine copy; only the planted objects are there.
    assert examples_in(moto_server, s3_bucket) == []
    planted = {m.key for m in elsewhere[1:]}
    listed = moto_server.client().list_objects_v2(Bucket=s3_bucket).get("Contents", ())
    assert {item["Key"] for item in listed} == planted
    settled = settled_lines(log_entries(worker.output()))
    assert sorted(e["message_id"] for e in settled) == sorted(m.message_id for m in elsewhere)
    assert all(e["reason"] == "forbidden_location" for e in settled)
    assert all(e["level"] == "warning" for e in settled)


@pytest.mark.services
def test_every_dead_lettered_or_quarantined_message_logs_one_line_with_its_ids(
    settings: Settings, moto_server: MotoS3Server, s3_bucket: str, tmp_path: Path
) -> None:
    invalid = [
        UpstreamMessage(
            "",
            body,
            "health.processing.avrostepsrecord",
            pika.BasicProperties(message_id=f"invalid-{n}", correlation_id=f"corr-{n}"),
            "",
        )
        for n, body in enumerate(
            [b"{not json", b'{"bucket": "health-data"}', b"[1, 2]", b'{"user_id": 7}']
        )
    ]
    # The library's message without its hash: unusable, but its headers name the user.
    shaped = upstream_message(
        "message_queue_library",
        b"avro",
        "StepsRecord",
        user_id=EMAIL_USER,
        bucket=settings.s3_bucket_name,
        moment=UPLOADS_START,
    )
    hashless = {k: v for k, v in json.loads(shaped.body).items() if k != "content_hash"}
    invalid.append(
        UpstreamMessage(
            shaped.key,
            json.dumps(hashless).encode(),
            shaped.routing_key,
            shaped.properties,
            shaped.idempotency_key,
        )
    )
    send(settings, invalid)
    quarantined = upload(
        settings, "upload_service", [("BloodGlucoseRecord", bad_glucose_file())], user_id="1"
    )
    worker = Worker(settings, tmp_path / "worker.log", threads=2)
    try:
        assert wait_until(
            lambda: (
                all_completed(settings, [quarantined[0].idempotency_key])
                and queue_depths(settings)[settings.failed_queue_name] == 5
            ),
            180,
            0.2,
        ), worker.output()
        assert worker.stop() == 0
    finally:
        worker.close()
    settled = settled_lines(log_entries(worker.output()))
    by_id = {e["message_id"]: e for e in settled}
    assert len(settled) == len(by_id) == 6, settled
    for n in range(4):
        line = by_id[f"invalid-{n}"]
        assert (line["reason"], line["correlation_id"]) == ("invalid_message", f"corr-{n}")
    line = by_id[shaped.message_id]
    assert line["reason"] == "invalid_message"
    assert line["correlation_id"] == shaped.properties.correlation_id
    [hashless_letter] = [p for p, _ in dead_letters(settings) if p.message_id == shaped.message_id]
    assert hashless_letter.headers["x-error-message"] == (
        "invalid upload message: content_hash: Field required"
    )
    assert hashless_letter.headers["user_id"] == pseudonymise(EMAIL_USER, PSEUDONYM_KEY.encode())
    line = by_id[quarantined[0].message_id]
    assert line["reason"] == "below_quality_threshold"
    assert line["correlation_id"] == json.loads(quarantined[0].body)["correlation_id"]
    assert line["record_type"] == "BloodGlucoseRecord"
    # Codes and ids only: no error text, no key, no value.
    allowed = {
        "event",
        "level",
        "timestamp",
        "reason",
        "message_id",
        "correlation_id",
        "record_type",
        "attempts",
    }
    assert all(set(e) <= allowed for e in settled), settled


# -- etl run -----------------------------------------------------------------------------------


def test_etl_run_keeps_an_email_user_id_out_of_its_output_and_terminal(tmp_path: Path) -> None:
    samples = real_samples()
    if not samples:
        unavailable("the real samples are not beside the checkout")
    folder = tmp_path / "in" / "pii" / EMAIL_USER
    folder.mkdir(parents=True)
    for path in samples[:6]:
        (folder / path.name).write_bytes(path.read_bytes())
    (folder / f"{EMAIL_USER}_BloodGlucoseRecord_bad.avro").write_bytes(bad_glucose_file())
    steps = samples[-1].read_bytes()
    (folder / f"StepsRecord_{EMAIL_USER}.avro").write_bytes(steps[: len(steps) // 2])
    out = tmp_path / "out"
    result = run_etl(
        [tmp_path / "in"],
        out,
        "--user-id",
        EMAIL_USER,
        env={"ETL_PSEUDONYM_KEY": PSEUDONYM_KEY, "ETL_LOG_LEVEL": "INFO"},
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert "etl: error:" in result.stderr
    files = [p for p in out.rglob("*") if p.is_file()]
    assert any("quarantine" in p.parts for p in files)
    assert any(p.name.startswith("health_journal_") for p in files)
    assert any(p.name.endswith(".metadata.json") for p in files)
    assert EMAIL_USER not in result.stdout
    assert EMAIL_USER not in result.stderr
    assert [p for p in files if EMAIL_USER in str(p.relative_to(out))] == []
    assert [p for p in files if EMAIL_USER.encode() in p.read_bytes()] == []
