"""``etl consume`` start-up: a Redis dedup store that is not up yet is waited for, and SIGTERM
or SIGINT during that wait ends the worker cleanly."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from etl_core.settings import Settings
from etl_core.stores.dedup.redis import RedisDedupStore
from etl_core.transports.rabbitmq.consumer import wait_until
from tests.services import (
    REDIS_URL,
    MotoS3Server,
    TcpProxy,
    delete_redis_keys,
    rabbitmq_available,
    redis_client,
    unavailable,
    unique_name,
)
from tests.support.records import BASE_MS, DAY_MS, temperature_file, temperature_records
from tests.worker_support import (
    delete_topology,
    publish,
    start_logged_worker,
    waiting_for_its_store,
    worker_settings,
)

pytestmark = pytest.mark.services


@pytest.fixture
def late_redis(
    moto_server: MotoS3Server, s3_bucket: str, tmp_path: Path, postgres_url: str
) -> Iterator[tuple[Settings, TcpProxy]]:
    """Worker settings whose Redis dedup store is behind a proxy that is not listening yet."""
    if not rabbitmq_available():
        unavailable("RabbitMQ is not reachable on 127.0.0.1:5672")
    client = redis_client()
    host, _, port = REDIS_URL.split("//", 1)[1].split("/", 1)[0].partition(":")
    proxy = TcpProxy((host, int(port or 6379)))
    prefix = unique_name("etl:test:startup:")
    configured = worker_settings(
        moto_server,
        s3_bucket,
        tmp_path,
        deduplication_store="redis",
        deduplication_url=f"redis://127.0.0.1:{proxy.port}/0",
        deduplication_key_prefix=prefix,
        history_url=postgres_url,
        startup_wait_seconds=120.0,
    )
    try:
        yield configured, proxy
    finally:
        proxy.cut()
        delete_topology(configured)
        delete_redis_keys(client, prefix)
        client.close()


def test_a_worker_started_before_redis_waits_then_processes_everything(
    late_redis: tuple[Settings, TcpProxy], tmp_path: Path
) -> None:
    settings, proxy = late_redis
    files = [
        (
            f"BodyTemperatureRecord_redis{n}.avro",
            temperature_file(
                temperature_records(4, start_ms=BASE_MS + n * DAY_MS, tag=f"redis{n}")
            ),
        )
        for n in range(3)
    ]
    published = publish(settings, files)
    log = tmp_path / "worker.log"
    process = start_logged_worker(settings, log)
    store = RedisDedupStore(REDIS_URL, key_prefix=settings.deduplication_key_prefix)
    try:
        assert waiting_for_its_store(process, log), log.read_text()[-3000:]
        # Waiting, not consuming: no message was claimed (nor dead-lettered) meanwhile.
        assert '"consuming"' not in log.read_text()
        assert all(store.state(key) is None for key in published.idempotency_keys)
        proxy.start()
        assert wait_until(
            lambda: all(store.state(key) == "completed" for key in published.idempotency_keys),
            120,
            0.2,
        ), log.read_text()[-3000:]
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0, log.read_text()[-3000:]
        output = log.read_text()
        assert "Traceback" not in output
        assert '"dead_letter"' not in output
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
        store.close()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_during_the_start_up_wait_exits_0_with_one_line(
    late_redis: tuple[Settings, TcpProxy], tmp_path: Path, signum: signal.Signals
) -> None:
    settings, _ = late_redis
    log = tmp_path / "worker.log"
    process = start_logged_worker(settings, log)
    try:
        assert waiting_for_its_store(process, log), log.read_text()[-3000:]
        process.send_signal(signum)
        code = process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
    output = log.read_text()
    assert code == 0, output[-3000:]
    assert "Traceback" not in output
    plain = [line for line in output.splitlines() if line.startswith("etl:")]
    assert plain == [f"etl: {signum.name} during start-up: stopped before consuming"]
