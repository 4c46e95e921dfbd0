"""No lost update: several workers (processes on PostgreSQL, threads on SQLite) taking one
person's overlapping exports in any order end with every window's current example equal to the
one ``etl run`` builds from all of its records."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from etl_core.builtin.training_jsonl import stable_form
from etl_core.settings import Settings
from etl_core.testing import run_etl, synthetic_person, training_examples
from etl_core.transports.rabbitmq.consumer import wait_until
from tests.services import MotoS3Server, rabbitmq_available, unavailable
from tests.worker_support import (
    PSEUDONYM_KEY,
    WorkerProcess,
    all_completed,
    delete_topology,
    examples_in,
    pending_windows,
    publish,
    queue_depths,
    worker_settings,
    worker_thread,
)

pytestmark = pytest.mark.services

DAYS = 8


@pytest.fixture
def settings(moto_server: MotoS3Server, s3_bucket: str, tmp_path: Path) -> Iterator[Settings]:
    if not rabbitmq_available():
        unavailable("RabbitMQ is not reachable on 127.0.0.1:5672")
    configured = worker_settings(moto_server, s3_bucket, tmp_path)
    try:
        yield configured
    finally:
        delete_topology(configured)


def _windowed(examples: list[dict[str, Any]]) -> list[str]:
    stable = [stable_form(e) for e in examples if "window" in e["metadata"]]
    return sorted(json.dumps(e, sort_keys=True) for e in stable)


def _embedded(tmp_path: Path) -> list[str]:
    folder = tmp_path / "files"
    folder.mkdir()
    for export in synthetic_person(DAYS):
        (folder / export.name).write_bytes(export.data)
    run_etl(
        [folder],
        tmp_path / "embedded",
        "--user-id",
        "user-1",
        env={"ETL_PSEUDONYM_KEY": PSEUDONYM_KEY},
    )
    return _windowed(training_examples(tmp_path / "embedded"))


def _shuffled() -> list[tuple[str, bytes]]:
    files = [(export.name, export.data) for export in synthetic_person(DAYS)]
    random.Random(DAYS).shuffle(files)
    return files


def _settle(settings: Settings, keys: list[str]) -> None:
    assert wait_until(lambda: all_completed(settings, keys), 300, 0.25), "stream did not finish"
    assert wait_until(lambda: sum(queue_depths(settings).values()) == 0, 60, 0.25)


def test_four_worker_processes_on_postgresql_lose_no_update(
    settings: Settings,
    moto_server: MotoS3Server,
    s3_bucket: str,
    tmp_path: Path,
    postgres_url: str,
) -> None:
    shared = settings.replace(
        **{"deduplication_store": "postgresql", "deduplication_url": postgres_url}
    )
    published = publish(shared, _shuffled())
    workers = [WorkerProcess(shared, threads=2) for _ in range(4)]
    try:
        from etl_core.stores.dedup.sql import SqlDedupStore

        dedup = SqlDedupStore(postgres_url)
        try:
            assert wait_until(
                lambda: all(dedup.state(k) == "completed" for k in published.idempotency_keys),
                300,
                0.25,
            ), "stream did not finish"
        finally:
            dedup.close()
        assert wait_until(lambda: sum(queue_depths(shared).values()) == 0, 60, 0.25)
        # The uploads settled once merged; their windows are built off the message path.
        assert wait_until(lambda: not pending_windows(shared), 300, 0.25), "windows left"
        for worker in workers:
            code, stderr = worker.terminate()
            assert code == 0, stderr
            assert "Traceback" not in stderr
    finally:
        for worker in workers:
            worker.__exit__()
    consumed = _windowed(examples_in(moto_server, s3_bucket))
    assert consumed
    embedded = _embedded(tmp_path)
    if consumed != embedded:  # pragma: no cover - a diagnosis for the failure message
        Path("/tmp/consumed.json").write_text(json.dumps(consumed))
        Path("/tmp/embedded.json").write_text(json.dumps(embedded))
    assert consumed == embedded


def test_four_threads_on_sqlite_lose_no_update(
    settings: Settings, moto_server: MotoS3Server, s3_bucket: str, tmp_path: Path
) -> None:
    published = publish(settings, _shuffled())
    with worker_thread(settings, threads=4):
        _settle(settings, published.idempotency_keys)
    consumed = _windowed(examples_in(moto_server, s3_bucket))
    assert consumed
    assert consumed == _embedded(tmp_path)
