"""The RabbitMQ worker against the real broker, moto's S3 server over HTTP and real dedup stores."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import generate_latest
from sqlalchemy.engine import make_url

from etl_core.builtin.training_jsonl import stable_form
from etl_core.observability.metrics import EtlMetrics
from etl_core.settings import Settings
from etl_core.stores.dedup.redis import RedisDedupStore
from etl_core.stores.dedup.sql import SqlDedupStore, postgresql_url
from etl_core.stores.factory import open_object_store
from etl_core.testing import real_samples, run_etl, training_examples
from etl_core.transports.handler import Action, Decision
from etl_core.transports.rabbitmq.consumer import Consumer, wait_until
from etl_core.transports.rabbitmq.dlq import list_dead_letters, replay
from tests.services import (
    MotoS3Server,
    RedisService,
    TcpProxy,
    rabbitmq_available,
    unavailable,
)
from tests.support.records import BASE_MS, DAY_MS, temperature_file, temperature_records
from tests.worker_support import (
    PSEUDONYM_KEY,
    WorkerProcess,
    all_completed,
    child_pids,
    delete_topology,
    examples_in,
    pending_windows,
    publish,
    publish_raw,
    queue_depths,
    settings_env,
    start_logged_worker,
    training_keys,
    waiting_for_its_store,
    worker_settings,
    worker_thread,
)

pytestmark = pytest.mark.services


@pytest.fixture
def settings(moto_server: MotoS3Server, s3_bucket: str, tmp_path: Path) -> Iterator[Settings]:
    if not rabbitmq_available():
        unavailable("RabbitMQ is not reachable on 127.0.0.1:5672")
    configured = worker_settings(moto_server, s3_bucket, tmp_path)
    try:
        yield configured
    finally:
        delete_topology(configured)


def crafted_files(count: int, tag: str = "c") -> list[tuple[str, bytes]]:
    """Distinct record sets, each on a day of its own (one window, so one example, each)."""
    return [
        (
            f"BodyTemperatureRecord_{tag}{n}.avro",
            temperature_file(
                temperature_records(4, start_ms=BASE_MS + n * DAY_MS, tag=f"{tag}{n}")
            ),
        )
        for n in range(count)
    ]


def crafted_days(count: int) -> list[str]:
    """The local (-05:00) days of :func:`crafted_files`' records, computed from them."""
    zone = timezone(timedelta(hours=-5))
    return sorted(
        datetime.fromtimestamp((BASE_MS + n * DAY_MS) / 1000, zone).date().isoformat()
        for n in range(count)
    )


def real_files() -> list[tuple[str, bytes]]:
    files = real_samples()
    if not files:
        unavailable("the real samples are not beside the checkout")
    return [(path.name, path.read_bytes()) for path in files]


def etl_dlq(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    """``etl dlq ARGS`` in a subprocess with these settings."""
    return subprocess.run(
        [sys.executable, "-m", "etl_core", "dlq", *args],
        env=settings_env(settings),
        capture_output=True,
        text=True,
        check=False,
    )


def settle(settings: Settings, keys: list[str], timeout: float = 120) -> None:
    assert wait_until(lambda: all_completed(settings, keys), timeout, 0.2), "stream did not finish"
    assert wait_until(lambda: sum(queue_depths(settings).values()) == 0, 30, 0.2)


def test_real_files_make_the_same_examples_as_etl_run_and_republishing_writes_nothing(
    settings: Settings, moto_server: MotoS3Server, s3_bucket: str, tmp_path: Path
) -> None:
    first = publish(settings, real_files())
    with worker_thread(settings) as worker:
        settle(settings, first.idempotency_keys)
        consumed = examples_in(moto_server, s3_bucket)
        before = training_keys(moto_server, s3_bucket)

        again = publish(settings, real_files())
        settle(settings, again.idempotency_keys)
        assert training_keys(moto_server, s3_bucket) == before
        assert worker.decisions["ack"] == 52
        assert queue_depths(settings)[settings.failed_queue_name] == 0

    embedded = training_examples_of_run(tmp_path / "embedded")
    # Every window is built from all of its records, so which file arrived first, which worker
    # thread took it and when make no difference: the examples are the same but for when and
    # how they were built.
    assert consumed
    assert stable(consumed) == stable(embedded)


def stable(examples: list[dict[str, Any]]) -> list[str]:
    return sorted(json.dumps(stable_form(e), sort_keys=True) for e in examples)


def training_examples_of_run(out: Path) -> list[dict[str, object]]:
    folder = real_samples()[0].parent
    run_etl([folder], out, "--user-id", "user-1", env={"ETL_PSEUDONYM_KEY": PSEUDONYM_KEY})
    return training_examples(out)


@pytest.mark.parametrize("store_kind", ["sqlite", "postgresql", "redis"])
def test_hundred_messages_with_four_threads_and_each_dedup_store(
    store_kind: str,
    settings: Settings,
    moto_server: MotoS3Server,
    s3_bucket: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    if store_kind == "sqlite":
        dedup = SqlDedupStore.sqlite_file(tmp_path / "dedup.sqlite")
    elif store_kind == "postgresql":
        dedup = SqlDedupStore(request.getfixturevalue("postgres_url"))
    else:
        redis_service: RedisService = request.getfixturevalue("redis_service")
        dedup = RedisDedupStore(redis_service.url, key_prefix=redis_service.prefix)
    files = crafted_files(100)
    published = publish(settings, files)
    with worker_thread(settings, dedup=dedup, threads=4) as worker:
        assert wait_until(
            lambda: all(dedup.state(k) == "completed" for k in published.idempotency_keys), 120, 0.2
        )
        assert wait_until(lambda: worker.handled >= 100, 30)
    dedup.close()
    examples = examples_in(moto_server, s3_bucket)
    # One file per local day: one window, so one example, per message.
    assert sorted(e["metadata"]["window"]["first_day"] for e in examples) == crafted_days(100)
    assert all(e["metadata"]["record_count"] == 4 for e in examples)
    # Every message ends acked exactly once; a transient failure on the way may add retries.
    assert worker.decisions["ack"] == 100
    assert worker.decisions["dead_letter"] == 0
    assert sum(queue_depths(settings).values()) == 0


def test_s3_outage_of_the_uploads_goes_through_retry_and_then_succeeds(
    settings: Settings, moto_server: MotoS3Server, s3_bucket: str
) -> None:
    # S3 refuses the worker's connections (a proxy not started yet) until the uploads have
    # been retried; the objects are in place throughout, so that no attempt can find the
    # bucket back but an upload not yet there.
    s3_port = int(moto_server.endpoint_url.rsplit(":", 1)[1])
    proxy = TcpProxy(("127.0.0.1", s3_port))
    worker_config = settings.replace(
        **{
            "s3_endpoint_url": f"http://127.0.0.1:{proxy.port}",
            "retry_delays_ms": (300, 600, 1200),
            "max_retries": 8,
        }
    )
    files = crafted_files(5)
    published = publish(settings, files)
    try:
        with worker_thread(worker_config) as worker:
            assert wait_until(lambda: worker.decisions["retry"] >= 5, 30)
            assert worker.decisions["ack"] == 0
            proxy.start()
            settle(worker_config, published.idempotency_keys)
        assert len(examples_in(moto_server, s3_bucket)) == 5
        assert worker.decisions["dead_letter"] == 0
    finally:
        proxy.cut()
        delete_topology(worker_config)  # its retry queues have other delays, so other names


def test_an_output_outage_holds_back_the_windows_not_the_uploads(
    settings: Settings, moto_server: MotoS3Server, s3_bucket: str
) -> None:
    output_bucket = f"{s3_bucket}-out"  # not created yet: every write fails until it exists
    worker_config = settings.replace(
        **{"s3_bucket_name": output_bucket, "raw_bucket_name": s3_bucket}
    )
    published = publish(settings, crafted_files(5))
    try:
        with worker_thread(worker_config) as worker:
            # Each upload settles once its records are in the history; the windows wait.
            assert wait_until(lambda: worker.decisions["ack"] == 5, 60, 0.05)
            assert worker.decisions["retry"] == worker.decisions["dead_letter"] == 0
            assert len(pending_windows(worker_config)) == 5
            moto_server.create_bucket(output_bucket)
            settle(worker_config, published.idempotency_keys)
        assert len(examples_in(moto_server, output_bucket)) == 5
        assert pending_windows(worker_config) == []
    finally:
        moto_server.remove_bucket(output_bucket)
        delete_topology(worker_config)


def test_poison_integrity_and_missing_object_are_dead_lettered_with_reasons(
    settings: Settings, moto_server: MotoS3Server, s3_bucket: str
) -> None:
    [(name, data)] = crafted_files(1, "bad")
    good = publish(settings, [(name, data)]).messages[0]
    client = moto_server.client()
    tampered = good.model_copy(update={"message_id": "tampered", "content_hash": "0" * 64})
    missing = good.model_copy(
        update={"message_id": "missing", "key": "raw/none/here.avro", "idempotency_key": "k2"}
    )
    # The good message is consumed normally; the three bad ones are dead-lettered.
    publish_raw(settings, b"{this is not json")
    publish_raw(settings, tampered.model_dump_json().encode(), tampered.routing_key)
    publish_raw(settings, missing.model_dump_json().encode(), missing.routing_key)
    with worker_thread(settings):
        assert wait_until(lambda: queue_depths(settings)[settings.failed_queue_name] == 3, 60, 0.2)
    letters = {letter.error_type: letter for letter in list_dead_letters(settings)}
    assert set(letters) == {"invalid_message", "integrity_error", "missing_object"}
    assert "invalid upload message" in letters["invalid_message"].error_message
    assert "sha256" in letters["integrity_error"].error_message
    assert letters["missing_object"].message_id == "missing"
    assert letters["missing_object"].attempts == 1

    # Fix the cause, replay just that message: it is processed and leaves the dead-letter queue.
    client.put_object(Bucket=s3_bucket, Key="raw/none/here.avro", Body=data)
    assert [r.message_id for r in replay(settings, ["missing"])] == ["missing"]
    with worker_thread(settings) as worker:
        assert wait_until(lambda: worker.decisions["ack"] == 1, 60)
    assert queue_depths(settings)[settings.failed_queue_name] == 2

    # By error type, from the command line: only the tampered message goes back.
    mixed = etl_dlq(settings, "replay", "--all", "--error-type", "integrity_error")
    assert mixed.returncode == 2
    assert mixed.stderr.strip().startswith("etl: error: --all replays everything")
    chosen = etl_dlq(settings, "replay", "--error-type", "integrity_error")
    assert chosen.returncode == 0, chosen.stderr
    assert chosen.stdout == "replayed tampered (integrity_error)\n"
    depths = queue_depths(settings)
    assert depths[settings.failed_queue_name] == 1
    assert depths[settings.queue_name] == 1
    assert [letter.error_type for letter in list_dead_letters(settings)] == ["invalid_message"]


class _RaisesOnBoom:
    """A handler with a bug: it raises on one body instead of deciding."""

    def handle(self, body: bytes, headers: Any = None, **properties: Any) -> Decision:
        if body == b"boom":
            raise RuntimeError("a bug, not a decision")
        return Decision(Action.ACK, "processed")


def test_a_handler_that_raises_gets_its_message_dead_lettered_and_the_worker_goes_on(
    settings: Settings,
) -> None:
    for body in (b"first", b"boom", b"last"):
        publish_raw(settings, body)
    consumer = Consumer(_RaisesOnBoom(), settings, threads=2)  # type: ignore[arg-type]
    thread = threading.Thread(target=consumer.run, daemon=True)
    thread.start()
    try:
        assert wait_until(lambda: consumer.decisions["ack"] == 2, 60, 0.05)
        assert wait_until(lambda: queue_depths(settings)[settings.failed_queue_name] == 1, 60)
    finally:
        consumer.stop()
        thread.join(timeout=60)
    assert not thread.is_alive(), "the worker stopped: nothing was left unsettled"
    [letter] = list_dead_letters(settings)
    assert letter.error_type == "internal_error"
    assert letter.error_message == "the message handler raised RuntimeError"
    assert consumer.decisions == Counter({"ack": 2, "dead_letter": 1})
    assert queue_depths(settings)[settings.queue_name] == 0


def test_a_worker_started_before_its_postgresql_dedup_store_waits_for_it(
    settings: Settings, postgres_url: str, tmp_path: Path
) -> None:
    proxy = TcpProxy(("127.0.0.1", 5432))  # not listening yet: PostgreSQL is "still starting"
    late = make_url(postgres_url).set(host="127.0.0.1", port=proxy.port)
    configured = settings.replace(
        **{
            "deduplication_store": "postgresql",
            "deduplication_url": late.render_as_string(hide_password=False),
        }
    )
    published = publish(configured, crafted_files(3, "late"))
    store = SqlDedupStore(postgresql_url(postgres_url))
    process: subprocess.Popen[bytes] | None = None
    try:
        log = tmp_path / "worker.log"
        process = start_logged_worker(configured, log)
        # The store must be found down before it comes up, however slowly the worker starts.
        assert waiting_for_its_store(process, log), log.read_text()[-3000:]
        proxy.start()
        assert wait_until(
            lambda: all(store.state(key) == "completed" for key in published.idempotency_keys),
            60,
            0.2,
        )
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=60)
        stderr = log.read_text()
        assert code == 0, stderr
        assert "Traceback" not in stderr
    finally:
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(timeout=30)
        store.close()
        proxy.cut()


def test_a_worker_whose_dedup_store_never_comes_gives_up_with_one_line(
    settings: Settings,
) -> None:
    proxy = TcpProxy(("127.0.0.1", 5432))  # never started
    configured = settings.replace(
        **{
            "deduplication_store": "postgresql",
            "deduplication_url": f"postgresql://postgres@127.0.0.1:{proxy.port}/test",
            "startup_wait_seconds": 2.0,
        }
    )
    with WorkerProcess(configured, threads=1) as worker:
        code = worker.process.wait(timeout=60)
        stderr = worker.process.stderr.read() if worker.process.stderr else ""
    assert code == 3, stderr
    assert stderr.strip().splitlines()[-1] == (
        "etl: error: dedup store unavailable: OperationalError"
    )
    assert "Traceback" not in stderr


def test_the_inflight_byte_budget_holds_four_threads_to_one_file_at_a_time(
    settings: Settings, moto_server: MotoS3Server, s3_bucket: str
) -> None:
    files = crafted_files(12, "budget")
    largest = max(len(data) for _, data in files)
    # Smaller than any one file: each runs alone, whatever the thread count.
    tight = settings.replace(**{"worker_inflight_file_mb": 100 / 2**20})
    metrics = EtlMetrics()
    published = publish(tight, files)
    with worker_thread(tight, threads=4, metrics=metrics) as worker:
        settle(tight, published.idempotency_keys)
        budget = worker.handler.budget
        assert budget.peak_bytes == largest
        assert budget.waits > 0, "four threads never waited for a budget of one file"
        assert budget.in_use == 0
        assert worker.decisions == Counter({"ack": 12})
    assert len(examples_in(moto_server, s3_bucket)) == 12
    exposition = generate_latest(metrics.registry).decode()
    assert "etl_inflight_file_bytes 0.0" in exposition


def test_a_message_dead_lettered_twice_is_listed_and_replayed_once(
    settings: Settings, moto_server: MotoS3Server, s3_bucket: str
) -> None:
    [(name, data)] = crafted_files(1, "twice")
    message = publish(settings, [(name, data)]).messages[0]
    missing = message.model_copy(
        update={"message_id": "twice", "key": "raw/later/twice.avro", "idempotency_key": "k-twice"}
    )
    # The original and the copy a redelivery after a lost ack dead-letters a second time.
    for _ in range(2):
        publish_raw(settings, missing.model_dump_json().encode(), missing.routing_key)
    with worker_thread(settings) as worker:
        assert wait_until(lambda: worker.decisions["dead_letter"] == 2, 60)
        assert wait_until(lambda: worker.decisions["ack"] == 1, 60)
    assert queue_depths(settings)[settings.failed_queue_name] == 2
    [letter] = list_dead_letters(settings)
    assert (letter.message_id, letter.copies, letter.error_type) == ("twice", 2, "missing_object")

    listed = etl_dlq(settings, "list")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.count("twice\t") == 1
    assert "copies=2" in listed.stdout
    assert "1 dead-lettered messages (2 copies in the queue)" in listed.stderr
    as_json = etl_dlq(settings, "list", "--json")
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout) == [
        {
            "message_id": "twice",
            "error_type": "missing_object",
            "error_message": f"no object at {missing.key}",
            "attempts": 1,
            "copies": 2,
            "routing_key": missing.routing_key,
        }
    ]

    moto_server.client().put_object(Bucket=s3_bucket, Key=missing.key, Body=data)
    [replayed] = replay(settings, ["twice"])
    assert replayed.copies == 2
    assert queue_depths(settings)[settings.failed_queue_name] == 0
    with worker_thread(settings) as worker:
        assert wait_until(lambda: worker.handled == 1, 60)
        time.sleep(0.5)  # a second replayed copy, if there were one, would arrive by now
        assert worker.decisions == Counter({"ack": 1})
    assert sum(1 for q, n in queue_depths(settings).items() if n) == 0


def test_worker_reconnects_after_the_broker_drops_its_connection(
    settings: Settings, moto_server: MotoS3Server, s3_bucket: str
) -> None:
    published = publish(settings, crafted_files(40))
    with worker_thread(settings, threads=2) as worker:
        assert wait_until(lambda: worker.handled >= 5, 60)
        closed = close_connections_named(worker.connection_name)
        assert closed == 1
        assert wait_until(lambda: not worker.connected.is_set(), 10, 0.01) or worker.handled < 40
        settle(settings, published.idempotency_keys)
    # One window per crafted file's day: every message reached the history once.
    examples = examples_in(moto_server, s3_bucket)
    assert sorted(e["metadata"]["window"]["first_day"] for e in examples) == crafted_days(40)


def close_connections_named(name: str) -> int:
    """Have the broker close our worker's connection (and nobody else's), as a broker restart
    or a network drop would."""
    listing = subprocess.run(
        ["rabbitmqctl", "-q", "--no-table-headers", "list_connections", "pid", "client_properties"],
        capture_output=True,
        text=True,
        check=True,
    )
    closed = 0
    for line in listing.stdout.splitlines():
        pid, _, properties = line.partition("\t")
        if f'"{name}"' in properties or f'<<"{name}">>' in properties:
            subprocess.run(
                ["rabbitmqctl", "-q", "close_connection", pid, "test: broker drop"],
                check=True,
                capture_output=True,
            )
            closed += 1
    return closed


BUILDERS = pytest.mark.parametrize(
    "builder_processes", [0, 1], ids=["builder-threads", "builder-processes"]
)
"""Windows built by the worker's own threads, or by an ``etl build-windows`` child."""


@BUILDERS
def test_sigkill_mid_stream_and_restart_complete_every_message_exactly_once(
    settings: Settings,
    moto_server: MotoS3Server,
    s3_bucket: str,
    tmp_path: Path,
    builder_processes: int,
) -> None:
    settings = settings.replace(**{"window_builder_processes": builder_processes})
    files = crafted_files(60) + real_files()
    published = publish(settings, files)
    expected = stable(examples_of_files(files, tmp_path / "embedded"))
    with WorkerProcess(settings) as worker:
        assert wait_until(lambda: len(training_keys(moto_server, s3_bucket)) >= 15, 120, 0.05)
        builders = child_pids(worker.process.pid)
        assert len(builders) == builder_processes
        worker.kill()
    # A builder whose worker died finishes the window in hand and exits.
    assert wait_until(lambda: not any(Path(f"/proc/{pid}").exists() for pid in builders), 60)
    assert stable(examples_in(moto_server, s3_bucket)) != expected, (
        "killed too late to prove anything"
    )
    with WorkerProcess(settings) as worker:
        settle(settings, published.idempotency_keys, timeout=180)
        builders = child_pids(worker.process.pid)
        code, stderr = worker.terminate()
        assert code == 0, stderr
        assert "Traceback" not in stderr
    assert not any(Path(f"/proc/{pid}").exists() for pid in builders), "a builder outlived it"
    # Every window's current example is built from all of its records: none lost, none twice.
    assert stable(examples_in(moto_server, s3_bucket)) == expected
    assert queue_depths(settings)[settings.failed_queue_name] == 0


def examples_of_files(files: list[tuple[str, bytes]], out: Path) -> list[dict[str, Any]]:
    """What ``etl run`` makes of the same files for the same person."""
    folder = out.parent / f"{out.name}-files"
    folder.mkdir(parents=True)
    for name, data in files:
        (folder / name).write_bytes(data)
    run_etl([folder], out, "--user-id", "user-1", env={"ETL_PSEUDONYM_KEY": PSEUDONYM_KEY})
    return training_examples(out)


@BUILDERS
def test_sigterm_drains_in_flight_messages_and_exits_cleanly(
    settings: Settings, moto_server: MotoS3Server, s3_bucket: str, builder_processes: int
) -> None:
    settings = settings.replace(**{"window_builder_processes": builder_processes})
    published = publish(settings, crafted_files(40))
    with WorkerProcess(settings, threads=2) as worker:
        assert wait_until(lambda: len(training_keys(moto_server, s3_bucket)) >= 3, 60, 0.05)
        started = time.monotonic()
        code, stderr = worker.terminate()
        assert code == 0, stderr
        assert "Traceback" not in stderr
        assert time.monotonic() - started < 30
    # Nothing half-done: every message is either completed or back in the queue, none unacked.
    store = SqlDedupStore.sqlite_file(Path(str(settings.deduplication_db_path)))
    try:
        completed = sum(store.state(k) == "completed" for k in published.idempotency_keys)
        started_rows = sum(store.state(k) == "started" for k in published.idempotency_keys)
    finally:
        store.close()
    assert started_rows == 0
    assert completed + queue_depths(settings)[settings.queue_name] == 40
    # A completed upload's window is built or waits in the history for the next start.
    waiting = len(pending_windows(settings))
    assert completed == len(examples_in(moto_server, s3_bucket)) + waiting
    with worker_thread(settings):
        settle(settings, published.idempotency_keys)
    assert len(examples_in(moto_server, s3_bucket)) == 40


def test_publish_command_uploads_and_announces(settings: Settings, tmp_path: Path) -> None:
    from tests.worker_support import settings_env

    folder = tmp_path / "in"
    folder.mkdir()
    for name, data in crafted_files(3, "cli"):
        (folder / name).write_bytes(data)
    result = subprocess.run(
        [sys.executable, "-m", "etl_core", "publish", str(folder), "--user-id", "someone"],
        capture_output=True,
        text=True,
        env=settings_env(settings),
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 3
    store = open_object_store(settings, settings.s3_bucket_name, pool_size=1)
    for line in lines:
        _, routing_key, url = line.split()
        assert routing_key == "health.processing.BodyTemperatureRecord.normal"
        key = url.split("/", 3)[3]
        assert key.startswith("raw/BodyTemperatureRecord/")
        assert "someone" not in key
        assert store.get(key)
    assert queue_depths(settings)[settings.queue_name] == 3
