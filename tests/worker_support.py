"""Running the worker against the real broker, moto's S3 server and a dedup store in tests."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pika

from etl_core.contract.model import UserContext
from etl_core.contract.timeutil import load_zone
from etl_core.engine.pipeline import Pipeline
from etl_core.engine.registry import load_plugins
from etl_core.observability.metrics import EtlMetrics
from etl_core.settings import Settings
from etl_core.stores.dedup import DedupStore
from etl_core.stores.dedup.sql import SqlDedupStore
from etl_core.stores.factory import SourceStores, open_object_store, open_worker_history_store
from etl_core.stores.history import PendingWindow
from etl_core.transports.handler import MessageHandler
from etl_core.transports.messages import UploadMessage
from etl_core.transports.rabbitmq.consumer import Consumer, wait_until
from etl_core.transports.rabbitmq.publisher import prepare_upload, publish_message
from etl_core.transports.rabbitmq.topology import Topology
from tests.services import (
    RABBITMQ_URL,
    S3_ACCESS_KEY,
    S3_REGION,
    S3_SECRET_KEY,
    MotoS3Server,
    broker_connection,
    unique_name,
)

PSEUDONYM_KEY = "worker-test-key-0123456789"


def worker_settings(moto: MotoS3Server, bucket: str, state: Path, **overrides: Any) -> Settings:
    """Settings with names of this test only, millisecond retry delays and moto's S3."""
    prefix = unique_name("etl_test_")
    values: dict[str, Any] = {
        "rabbitmq_url": RABBITMQ_URL,
        "exchange_name": f"{prefix}_exchange",
        "queue_name": f"{prefix}_processing",
        "failed_queue_name": f"{prefix}_failed",
        # A crashed worker's claims expire after the lease; the retry delays outlast it, so a
        # redelivered message is retried until the claim can be taken over.
        "retry_delays_ms": (500, 1000, 2000),
        "dedup_lease_seconds": 2.0,
        "s3_endpoint_url": moto.endpoint_url,
        "s3_access_key": S3_ACCESS_KEY,
        "s3_secret_key": S3_SECRET_KEY,
        "s3_region": S3_REGION,
        "s3_bucket_name": bucket,
        "deduplication_db_path": state / "dedup.sqlite",
        "pseudonym_key": PSEUDONYM_KEY,
        "development_mode": False,
        "metrics_port": 0,  # several workers may run at once: each takes a free port
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def settings_env(settings: Settings) -> dict[str, str]:
    """The same settings as ETL_* variables, for an ``etl consume`` subprocess."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ETL_")}
    env.update({k: v for k, v in settings.environment().items() if v is not None})
    env["ETL_LOG_LEVEL"] = "WARNING"
    return env


def delete_topology(settings: Settings) -> None:
    connection = broker_connection(settings.rabbitmq_url)
    try:
        Topology.from_settings(settings).delete(connection.channel())
    finally:
        connection.close()


@dataclass
class Published:
    messages: list[UploadMessage]

    @property
    def idempotency_keys(self) -> list[str]:
        return [m.idempotency_key for m in self.messages]


def publish(
    settings: Settings, files: Iterable[tuple[str, bytes]], user_id: str = "user-1"
) -> Published:
    """Upload each (name, bytes) to the settings' bucket and publish its message."""
    store = open_object_store(settings, settings.s3_bucket_name, pool_size=1)
    connection = broker_connection(settings.rabbitmq_url)
    messages = []
    try:
        channel = connection.channel()
        topology = Topology.from_settings(settings)
        topology.declare(channel)
        channel.confirm_delivery()
        for name, data in files:
            upload = prepare_upload(
                data,
                name,
                user_id=user_id,
                bucket=settings.s3_bucket_name,
                pseudonym_key=PSEUDONYM_KEY.encode(),
            )
            store.put(upload.message.key, data)
            publish_message(channel, topology.exchange, upload.message)
            messages.append(upload.message)
    finally:
        connection.close()
    return Published(messages)


def publish_raw(
    settings: Settings, body: bytes, routing_key: str = "health.processing.Raw.normal"
) -> None:
    connection = broker_connection(settings.rabbitmq_url)
    try:
        channel = connection.channel()
        topology = Topology.from_settings(settings)
        topology.declare(channel)
        channel.confirm_delivery()
        channel.basic_publish(
            topology.exchange,
            routing_key,
            body,
            pika.BasicProperties(delivery_mode=2, headers={"x-original-routing-key": routing_key}),
            mandatory=True,
        )
    finally:
        connection.close()


def queue_depths(settings: Settings) -> dict[str, int]:
    """Ready messages per queue of the topology (passive declares)."""
    topology = Topology.from_settings(settings)
    connection = broker_connection(settings.rabbitmq_url)
    try:
        channel = connection.channel()
        names = [topology.queue, topology.failed_queue, *(q for q, _ in topology.retry_queues)]
        return {
            name: channel.queue_declare(name, passive=True).method.message_count for name in names
        }
    finally:
        connection.close()


def states(store: DedupStore, keys: Iterable[str]) -> dict[str, str | None]:
    return {key: store.state(key) for key in keys}


def all_completed(settings: Settings, keys: list[str]) -> bool:
    """Every key's upload completed, and no window waits to be rebuilt: the worker's output is
    final (an upload settles once merged; its windows are built off the message path)."""
    store = SqlDedupStore.sqlite_file(Path(str(settings.deduplication_db_path)))
    try:
        if not all(state == "completed" for state in states(store, keys).values()):
            return False
    finally:
        store.close()
    return not pending_windows(settings)


def pending_windows(settings: Settings) -> list[PendingWindow]:
    """Windows waiting in the worker's history to be built (see etl_core.engine.window_queue)."""
    history = open_worker_history_store(settings, Path(str(settings.deduplication_db_path)).parent)
    try:
        return history.pending()
    finally:
        history.close()


@contextmanager
def worker_thread(
    settings: Settings,
    dedup: DedupStore | None = None,
    threads: int = 4,
    metrics: EtlMetrics | None = None,
) -> Iterator[Consumer]:
    """An in-process worker: the same objects ``etl consume`` builds, on a thread. Leaving the
    block normally waits (up to two minutes) for the windows of what it consumed to be built,
    so that the output is final; leaving on an error stops it at once."""
    registry = load_plugins(
        disabled=settings.disabled_plugins, training_prefix=settings.training_data_prefix
    )
    output = open_object_store(
        settings, settings.s3_bucket_name, pool_size=threads, metrics=metrics
    )
    store = dedup or SqlDedupStore.sqlite_file(Path(str(settings.deduplication_db_path)))
    sources = SourceStores(
        settings, pool_size=threads, known={settings.s3_bucket_name: output}, metrics=metrics
    )
    state_dir = Path(str(settings.deduplication_db_path)).parent
    history = open_worker_history_store(settings, state_dir)
    pipeline = Pipeline(registry, output, store, settings, metrics=metrics, history=history)
    window_queue = pipeline.defer_windows(
        settings.window_builder_threads,
        UserContext(timezone=load_zone(settings.user_timezone), age_years=settings.user_age),
        sweep_seconds=settings.window_sweep_seconds,
    )
    handler = MessageHandler(pipeline, sources.get, settings, metrics)
    consumer = Consumer(handler, settings, threads, metrics)
    thread = threading.Thread(target=consumer.run, daemon=True)
    if window_queue is not None:
        window_queue.start()
    thread.start()
    try:
        assert wait_until(consumer.connected.is_set, 30), "worker did not connect"
        yield consumer
        if window_queue is not None:
            assert wait_until(
                lambda: window_queue.idle() and not history.pending_people(), 120, 0.05
            ), "the window builders did not finish"
    finally:
        consumer.stop()
        thread.join(timeout=60)
        if window_queue is not None:
            window_queue.stop()
        history.close()
        if dedup is None:
            store.close()


def child_pids(pid: int) -> list[int]:
    """The processes ``pid`` started (Linux: its threads' children lists)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found.extend(int(child) for child in (task / "children").read_text().split())
        except OSError:  # the thread ended meanwhile
            continue
    return found


class WorkerProcess:
    """``etl consume`` in a subprocess, as deployed."""

    def __init__(self, settings: Settings, threads: int = 4) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "etl_core", "consume", "--threads", str(threads)],
            env=settings_env(settings),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def terminate(self, timeout: float = 60) -> tuple[int, str]:
        self.process.send_signal(signal.SIGTERM)
        _, stderr = self.process.communicate(timeout=timeout)
        return self.process.returncode, stderr

    def __enter__(self) -> WorkerProcess:
        return self

    def __exit__(self, *_: object) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)


def examples_in(moto: MotoS3Server, bucket: str) -> list[dict[str, Any]]:
    """The current training examples in the bucket: the latest revision of every window and
    every per-upload example (as a journal holds them)."""
    from etl_core.outputs.compaction import current_example_keys

    client = moto.client()
    keys = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="training/"):
        keys.extend(item["Key"] for item in page.get("Contents", ()))
    found = []
    for key in current_example_keys(keys):
        body = client.get_object(Bucket=bucket, Key=key)["Body"].read()
        found.extend(json.loads(line) for line in body.splitlines() if line.strip())
    return found


def training_keys(moto: MotoS3Server, bucket: str) -> dict[str, str]:
    """Every object under training/ with its ETag (to see that nothing was rewritten)."""
    client = moto.client()
    keys = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="training/"):
        for item in page.get("Contents", ()):
            keys[item["Key"]] = item["ETag"]
    return keys


def start_logged_worker(settings: Settings, log: Path, threads: int = 2) -> subprocess.Popen[bytes]:
    """``etl consume`` with its stderr in ``log``, which a test can read while it runs (a pipe
    can only be read once the process ended)."""
    with log.open("wb") as handle:
        return subprocess.Popen(
            [sys.executable, "-m", "etl_core", "consume", "--threads", str(threads)],
            env=settings_env(settings),
            stdout=subprocess.DEVNULL,
            stderr=handle,
        )


def waiting_for_its_store(process: subprocess.Popen[bytes], log: Path) -> bool:
    """Whether the worker logged that its dedup store is unreachable and is still waiting."""
    wait_until(
        lambda: process.poll() is not None or "dedup_store_unavailable" in log.read_text(), 60, 0.1
    )
    return process.poll() is None and "dedup_store_unavailable" in log.read_text()
