"""Topology conflicts with the real broker: an upstream-declared work queue, a changed delivery
limit, ``etl topology check`` and ``migrate``, the upstream dead-letter names and
``etl dlq --queue``."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pika
import pika.exceptions
import pytest

from etl_core.settings import Settings
from etl_core.transports.rabbitmq.consumer import wait_until
from etl_core.transports.rabbitmq.dlq import list_dead_letters
from etl_core.transports.rabbitmq.topology import Topology
from tests.services import MotoS3Server, rabbitmq_connection, unique_name
from tests.support.records import temperature_file, temperature_records
from tests.worker_support import (
    delete_topology,
    publish_raw,
    settings_env,
    worker_settings,
    worker_thread,
)

pytestmark = pytest.mark.services

# As the upstream platform's setup script declares its work queue (a day's TTL, its DLX).
UPSTREAM_ARGUMENTS = {
    "x-message-ttl": 86_400_000,
    "x-dead-letter-exchange": "health_data_dlx",
    "x-dead-letter-routing-key": "failed.processing",
}


@pytest.fixture
def broker() -> Iterator[Any]:
    connection = rabbitmq_connection()
    try:
        yield connection
    finally:
        if connection.is_open:
            connection.close()


@pytest.fixture
def settings(
    broker: Any, moto_server: MotoS3Server, s3_bucket: str, tmp_path: Path
) -> Iterator[Settings]:
    configured = worker_settings(moto_server, s3_bucket, tmp_path, startup_wait_seconds=5.0)
    try:
        yield configured
    finally:
        delete_topology(configured)


def etl(settings: Settings, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """``etl ARGS`` in a subprocess with these settings; a worker that never exits fails the
    test through the timeout."""
    return subprocess.run(
        [sys.executable, "-m", "etl_core", *args],
        env=settings_env(settings),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def error_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    return [line for line in result.stderr.splitlines() if line.startswith("etl: error:")]


def upstream_queue(broker: Any, name: str, arguments: dict[str, Any] | None) -> None:
    broker.channel().queue_declare(name, durable=True, arguments=arguments)


def depth(broker: Any, name: str) -> int:
    return int(broker.channel().queue_declare(name, passive=True).method.message_count)


def queue_exists(broker: Any, name: str) -> bool:
    try:
        broker.channel().queue_declare(name, passive=True)
    except pika.exceptions.ChannelClosedByBroker as exc:
        assert exc.reply_code == 404
        return False
    return True


@pytest.mark.parametrize(
    ("arguments", "argument", "theirs", "ours"),
    [
        (UPSTREAM_ARGUMENTS, "x-message-ttl", "86400000", "none"),
        # Declared with no arguments at all (upstream's own consumer does this).
        (None, "x-dead-letter-exchange", "none", None),
    ],
)
def test_an_upstream_work_queue_stops_consume_publish_and_dlq_with_one_line(
    settings: Settings,
    broker: Any,
    tmp_path: Path,
    arguments: dict[str, Any] | None,
    argument: str,
    theirs: str,
    ours: str | None,
) -> None:
    upstream_queue(broker, settings.queue_name, arguments)
    ours = ours or settings.dead_letter_exchange_name
    upload = tmp_path / "BodyTemperatureRecord_1.avro"
    upload.write_bytes(temperature_file(temperature_records(2)))
    for command in (("consume", "--threads", "1"), ("publish", str(upload)), ("dlq", "list")):
        result = etl(settings, *command)
        assert result.returncode == 3, (command, result.stderr[-2000:])
        lines = error_lines(result)
        assert len(lines) == 1, (command, result.stderr)
        assert f"queue '{settings.queue_name}' on the broker differs in {argument}" in lines[0]
        assert f"the broker's {theirs}, ours {ours}" in lines[0]
        assert f"etl topology migrate --from {settings.queue_name}" in lines[0]
    # Nothing was published into the upstream queue, and it is untouched.
    declared = broker.channel().queue_declare(settings.queue_name, passive=True)
    assert declared.method.message_count == 0


def test_a_changed_delivery_limit_names_the_setting_and_the_value_in_use(
    settings: Settings, broker: Any
) -> None:
    Topology.from_settings(settings).declare(broker.channel())
    changed = settings.replace(**{"delivery_limit": 7})
    result = etl(changed, "consume", "--threads", "1")
    assert result.returncode == 3, result.stderr[-2000:]
    lines = error_lines(result)
    assert len(lines) == 1, result.stderr
    assert "differs in x-delivery-limit: the broker's 5, ours 7" in lines[0]
    assert "set ETL_DELIVERY_LIMIT=5" in lines[0]


def test_topology_check_reports_the_conflict_and_creates_nothing(
    settings: Settings, broker: Any
) -> None:
    upstream_queue(broker, settings.queue_name, UPSTREAM_ARGUMENTS)
    result = etl(settings, "topology", "check")
    assert result.returncode == 3, result.stderr
    rows = {
        tuple(line.split("\t")[:2]): line.split("\t")[2:] for line in result.stdout.splitlines()
    }
    conflict = rows[("conflict", f"queue {settings.queue_name}")]
    assert "differs in x-message-ttl: the broker's 86400000, ours none" in conflict[0]
    assert ("missing", f"queue {settings.failed_queue_name}") in rows
    assert ("missing", f"exchange {settings.exchange_name}") in rows
    assert len(rows) == 2 + 2 + len(settings.retry_delays_ms)  # exchanges, queues, retries
    assert len(error_lines(result)) == 1
    assert not queue_exists(broker, settings.failed_queue_name), "check created a queue"

    # Once the topology is ours, everything agrees.
    broker.channel().queue_delete(settings.queue_name)
    Topology.from_settings(settings).declare(broker.channel())
    agreed = etl(settings, "topology", "check")
    assert agreed.returncode == 0, agreed.stderr
    assert [line.split("\t")[0] for line in agreed.stdout.splitlines()] == ["ok"] * len(rows)


def test_topology_show_lists_what_is_declared(settings: Settings) -> None:
    result = etl(settings, "topology", "show")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"exchange {settings.exchange_name} (topic, durable)"
    work_queue = f"queue {settings.queue_name} (durable, x-queue-type=quorum, x-delivery-limit=5"
    assert lines[2].startswith(work_queue)
    assert lines[2].endswith(f"bound to {settings.exchange_name} with health.processing.#")


def test_migrate_moves_every_message_and_deletes_the_old_queue(
    settings: Settings, broker: Any
) -> None:
    old = unique_name("etl_test_upstream_")
    channel = broker.channel()
    try:
        channel.exchange_declare(settings.exchange_name, exchange_type="topic", durable=True)
        channel.queue_declare(old, durable=True, arguments=UPSTREAM_ARGUMENTS)
        channel.queue_bind(old, settings.exchange_name, routing_key="health.processing.#")
        channel.confirm_delivery()
        sent = {}
        for n in range(40):
            message_id = f"m{n:02d}"
            body = json.dumps({"n": n, "key": f"raw/AvroStepsRecord/{n}.avro"}).encode()
            sent[message_id] = body
            channel.basic_publish(
                settings.exchange_name,
                "health.processing.avrostepsrecord",
                body,
                pika.BasicProperties(message_id=message_id, delivery_mode=2),
                mandatory=True,
            )
        result = etl(settings, "topology", "migrate", "--from", old, "--delete-source")
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == (
            f"moved 40 messages from {old} to {settings.queue_name}; deleted {old}"
        )
        assert not queue_exists(broker, old)
        reader = broker.channel()
        received: dict[str, bytes] = {}
        routing_keys = set()
        while True:
            method, properties, body = reader.basic_get(settings.queue_name, auto_ack=True)
            if method is None:
                break
            received[properties.message_id] = body
            routing_keys.add(properties.headers["x-original-routing-key"])
        assert received == sent
        assert routing_keys == {"health.processing.avrostepsrecord"}
    finally:
        broker.channel().queue_delete(old)


def test_migrate_refuses_its_own_queue_and_a_missing_one(settings: Settings) -> None:
    same = etl(settings, "topology", "migrate", "--from", settings.queue_name)
    assert same.returncode == 2
    assert error_lines(same) == [
        f"etl: error: --from {settings.queue_name} is the queue this engine consumes: set "
        "ETL_QUEUE_NAME to the new queue first"
    ]
    missing = etl(settings, "topology", "migrate", "--from", "etl_test_no_such_queue")
    assert missing.returncode == 2
    assert error_lines(missing) == [
        "etl: error: there is no queue 'etl_test_no_such_queue' on the broker"
    ]


def test_upstream_dead_letter_names_and_dlq_reading_a_given_queue(
    settings: Settings, broker: Any
) -> None:
    """With upstream's dead-letter settings, the worker's dead letters land in upstream's
    failed queue (bound as upstream binds it), and ``etl dlq --queue`` reads any queue."""
    dlx = unique_name("etl_test_dlx_")
    failed = unique_name("etl_test_failed_")
    other = unique_name("etl_test_dlq_")
    channel = broker.channel()
    configured = settings.replace(
        **{
            "dead_letter_exchange": dlx,
            "dead_letter_exchange_type": "topic",
            "dead_letter_routing_key": "failed.processing",
            "failed_queue_name": failed,
        }
    )
    try:
        # Upstream's declarations, made before ours.
        channel.exchange_declare(dlx, exchange_type="topic", durable=True)
        channel.queue_declare(failed, durable=True)
        channel.queue_bind(failed, dlx, routing_key="failed.#")
        channel.queue_declare(other, durable=True)
        with worker_thread(configured, threads=1):
            publish_raw(configured, b"not json")
            assert wait_until(lambda: depth(broker, failed) == 1, 60, 0.1)
        letters = list_dead_letters(configured)
        assert [letter.error_type for letter in letters] == ["invalid_message"]

        # A dead-letter queue of someone else's, read by name.
        channel.confirm_delivery()
        for n in range(3):
            channel.basic_publish(
                "",
                other,
                b"{}",
                pika.BasicProperties(
                    message_id=f"u{n}",
                    headers={"x-death": [{"reason": "expired", "queue": "upstream", "count": 1}]},
                ),
            )
        result = etl(configured, "dlq", "list", "--queue", other, "--json")
        assert result.returncode == 0, result.stderr
        rows = json.loads(result.stdout)
        assert [(row["message_id"], row["error_type"]) for row in rows] == [
            (f"u{n}", "broker_expired") for n in range(3)
        ]
        replayed = etl(configured, "dlq", "replay", "--queue", other, "--all")
        assert replayed.returncode == 0, replayed.stderr
        assert replayed.stdout.splitlines() == [f"replayed u{n} (broker_expired)" for n in range(3)]
        assert depth(broker, other) == 0
        assert depth(broker, configured.queue_name) == 3
        missing = etl(configured, "dlq", "list", "--queue", "etl_test_no_such_queue")
        assert missing.returncode == 2
        assert error_lines(missing) == [
            "etl: error: there is no queue 'etl_test_no_such_queue' on the broker"
        ]
    finally:
        channel = broker.channel()
        for name in (failed, other):
            channel.queue_delete(name)
        channel.exchange_delete(dlx)


def test_publish_with_s3_down_is_one_line(settings: Settings, tmp_path: Path) -> None:
    upload = tmp_path / "BodyTemperatureRecord_1.avro"
    upload.write_bytes(temperature_file(temperature_records(2)))
    down = settings.replace(**{"s3_endpoint_url": "http://127.0.0.1:1"})
    result = etl(down, "publish", str(upload))
    assert result.returncode == 4, result.stderr[-2000:]
    lines = error_lines(result)
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"etl: error: cannot upload to S3: s3://{settings.s3_bucket_name}/")
    assert lines[0].endswith("PutObject failed: EndpointConnectionError")


def test_an_upstream_topic_dead_letter_exchange_names_the_type_setting(
    settings: Settings, broker: Any
) -> None:
    broker.channel().exchange_declare(
        settings.dead_letter_exchange_name, exchange_type="topic", durable=True
    )
    consume = etl(settings, "consume", "--threads", "1")
    assert consume.returncode == 3, consume.stderr[-2000:]
    assert error_lines(consume) == [
        f"etl: error: exchange '{settings.dead_letter_exchange_name}' on the broker differs in "
        "type: the broker's topic, ours direct; set ETL_DEAD_LETTER_EXCHANGE_TYPE=topic, or name "
        "another exchange"
    ]
    upstream = settings.replace(**{"dead_letter_exchange_type": "topic"})
    assert etl(upstream, "topology", "check").returncode == 0
