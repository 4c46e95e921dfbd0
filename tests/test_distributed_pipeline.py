"""The whole pipeline on the worker's backends: every real export through S3 (moto's server)
and a distributed dedup store (PostgreSQL, Redis), four threads at once as a worker runs them.
It must write exactly the examples the embedded backends write, and nothing on a second pass."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from etl_core.engine.pipeline import Job, Outcome, Pipeline, Status
from etl_core.engine.registry import PluginRegistry, load_plugins
from etl_core.settings import Settings
from etl_core.stores.dedup import DedupStore
from etl_core.stores.dedup.redis import RedisDedupStore
from etl_core.stores.dedup.sql import SqlDedupStore
from etl_core.stores.objects.base import LocalObjectStore
from etl_core.stores.objects.s3 import S3ObjectStore
from etl_core.testing import real_samples
from tests.services import S3_ACCESS_KEY, S3_REGION, S3_SECRET_KEY, MotoS3Server

pytestmark = pytest.mark.services

USER = "user-distributed"
EXPECTED_EXAMPLES = 15
"""What ``etl run`` makes of the 26 real files (11 of them repeat another file's records)."""


class RecordingStore:
    """The real S3 store, remembering which keys were written."""

    def __init__(self, inner: S3ObjectStore) -> None:
        self.inner = inner
        self.written: list[str] = []
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes:
        return self.inner.get(key)

    def put(self, key: str, data: bytes, *, if_absent: bool = False) -> bool:
        written = self.inner.put(key, data, if_absent=if_absent)
        if written:
            with self._lock:
                self.written.append(key)
        return written

    def exists(self, key: str) -> bool:
        return self.inner.exists(key)

    def list(self, prefix: str) -> Iterator[str]:
        return self.inner.list(prefix)

    def delete(self, key: str) -> None:
        self.inner.delete(key)

    def describe(self) -> str:
        return self.inner.describe()


@pytest.fixture
def samples(samples_dir: Path) -> list[Path]:
    """The 26 real exports (``samples_dir`` skips when they are not beside the checkout)."""
    return real_samples()


@pytest.fixture
def registry() -> PluginRegistry:
    return load_plugins()


@pytest.fixture(params=["postgresql", "redis"])
def dedup(request: pytest.FixtureRequest) -> Iterator[DedupStore]:
    store: DedupStore
    if request.param == "postgresql":
        store = SqlDedupStore(request.getfixturevalue("postgres_url"))
    else:
        redis = request.getfixturevalue("redis_service")
        store = RedisDedupStore(redis.url, key_prefix=redis.prefix)
    yield store
    store.close()


def jobs(files: list[Path]) -> list[Job]:
    return [Job(data=f.read_bytes(), bucket="uploads", key=f.name, user_id=USER) for f in files]


def run_until_settled(pipeline: Pipeline, job: Job, budget_seconds: float = 60.0) -> Outcome:
    """What the worker's retry queues do: run again while the outcome is retriable (another
    thread holds the same file or the same record set)."""
    deadline = time.monotonic() + budget_seconds
    outcome = pipeline.run(job)
    while outcome.retriable and time.monotonic() < deadline:
        time.sleep(0.05)
        outcome = pipeline.run(job)
    return outcome


def embedded_examples(
    files: list[Path], registry: PluginRegistry, settings: Settings, root: Path
) -> list[str]:
    dedup = SqlDedupStore.sqlite_file(root / "dedup.sqlite")
    pipeline = Pipeline(registry, LocalObjectStore(root / "out"), dedup, settings)
    for job in jobs(files):
        pipeline.run(job)
    dedup.close()
    return list(LocalObjectStore(root / "out").list(settings.training_data_prefix))


def test_real_files_through_s3_and_a_distributed_dedup_store(
    samples: list[Path],
    registry: PluginRegistry,
    settings: Settings,
    dedup: DedupStore,
    moto_server: MotoS3Server,
    s3_bucket: str,
    tmp_path: Path,
) -> None:
    s3 = S3ObjectStore(
        s3_bucket,
        endpoint_url=moto_server.endpoint_url,
        access_key=S3_ACCESS_KEY,
        secret_key=S3_SECRET_KEY,
        region=S3_REGION,
        pool_size=4,
    )
    store = RecordingStore(s3)
    pipeline = Pipeline(registry, store, dedup, settings)

    with ThreadPoolExecutor(max_workers=4) as pool:
        first = list(pool.map(lambda job: run_until_settled(pipeline, job), jobs(samples)))
    assert [o.message for o in first if not o.ok] == []
    examples = list(s3.list(settings.training_data_prefix))
    assert len(examples) == EXPECTED_EXAMPLES
    assert sorted(k for o in first for k in o.examples) == examples
    assert examples == embedded_examples(samples, registry, settings, tmp_path)
    assert sum(o.status is Status.PROCESSED for o in first) == EXPECTED_EXAMPLES
    assert sum(o.status is Status.DUPLICATE_CONTENT for o in first) == len(samples) - len(examples)
    assert sorted(store.written) == examples
    for key in examples:
        assert s3.get(key).endswith(b"\n")

    store.written.clear()
    second = [pipeline.run(job) for job in jobs(samples)]
    assert {o.status for o in second} == {Status.DUPLICATE_FILE}
    assert store.written == []
    assert list(s3.list("")) == examples
    s3.close()


def test_an_s3_outage_fails_retriably_and_the_retry_succeeds(
    samples: list[Path],
    registry: PluginRegistry,
    settings: Settings,
    dedup: DedupStore,
    moto_server: MotoS3Server,
    s3_bucket: str,
) -> None:
    s3 = S3ObjectStore(
        s3_bucket,
        endpoint_url=moto_server.endpoint_url,
        access_key=S3_ACCESS_KEY,
        secret_key=S3_SECRET_KEY,
        region=S3_REGION,
        max_attempts=1,
    )
    pipeline = Pipeline(registry, s3, dedup, settings)
    job = jobs([f for f in samples if f.name.startswith("BloodGlucoseRecord")][:1])[0]
    moto_server.remove_bucket(s3_bucket)

    during = pipeline.run(job)
    assert (during.status, during.retriable, during.error_type) == (
        Status.FAILED,
        True,
        "transient",
    )
    assert "bucket does not exist" in during.message

    moto_server.create_bucket(s3_bucket)
    after = pipeline.run(job)
    assert after.status is Status.PROCESSED
    assert list(s3.list(settings.training_data_prefix)) == after.examples
    assert pipeline.run(job).status is Status.DUPLICATE_FILE
    s3.close()


def test_an_unreachable_dedup_store_fails_retriably(
    samples: list[Path],
    registry: PluginRegistry,
    settings: Settings,
    moto_server: MotoS3Server,
    s3_bucket: str,
) -> None:
    s3 = S3ObjectStore(
        s3_bucket,
        endpoint_url=moto_server.endpoint_url,
        access_key=S3_ACCESS_KEY,
        secret_key=S3_SECRET_KEY,
        region=S3_REGION,
    )
    down = RedisDedupStore("redis://127.0.0.1:1/0", socket_timeout=0.5)
    outcome = Pipeline(registry, s3, down, settings).run(jobs(samples[:1])[0])
    assert (outcome.status, outcome.retriable) == (Status.FAILED, True)
    assert list(s3.list("")) == []
    down.close()
    s3.close()
