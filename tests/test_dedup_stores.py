"""One contract, three dedup stores: SQLite (embedded), PostgreSQL and Redis (the worker's),
each against the real database. Leases run on real time, short enough to wait out."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from etl_core.settings import Settings, SettingsError
from etl_core.stores.dedup import (
    ClaimStatus,
    DedupStore,
    DedupUnavailableError,
    new_owner_token,
    open_dedup_store,
)
from etl_core.stores.dedup.redis import RedisDedupStore
from etl_core.stores.dedup.sql import SqlDedupStore, postgresql_url
from tests.services import RedisService

pytestmark = pytest.mark.services

MakeStore = Callable[..., DedupStore]
LEASE = 0.5


@pytest.fixture(params=["sqlite", "postgresql", "redis"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MakeStore]:
    """Builds stores of one kind that share one database (as workers on several machines do)."""
    kind: str = request.param
    if kind == "sqlite":

        def build(**options: Any) -> DedupStore:
            return SqlDedupStore.sqlite_file(tmp_path / "dedup.sqlite", **options)

    elif kind == "postgresql":
        url = request.getfixturevalue("postgres_url")

        def build(**options: Any) -> DedupStore:
            return SqlDedupStore(url, **options)

    else:
        service = request.getfixturevalue("redis_service")

        def build(**options: Any) -> DedupStore:
            return RedisDedupStore(service.url, key_prefix=service.prefix, **options)

    stores: list[DedupStore] = []

    def make(**options: Any) -> DedupStore:
        store = build(**options)
        stores.append(store)
        return store

    yield make
    for store in stores:
        store.close()


def test_eight_threads_claiming_one_key_have_exactly_one_winner(make_store: MakeStore) -> None:
    # Two store instances stand for two worker processes, four threads each.
    stores = [make_store(), make_store()]
    barrier = threading.Barrier(8)
    results: list[ClaimStatus] = []
    lock = threading.Lock()

    def claim(index: int) -> None:
        owner = new_owner_token()
        barrier.wait()
        status = stores[index % 2].claim("file:race", owner).status
        with lock:
            results.append(status)

    threads = [threading.Thread(target=claim, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count(ClaimStatus.CLAIMED) == 1
    assert results.count(ClaimStatus.IN_PROGRESS) == 7


def test_expired_lease_is_reclaimed_and_the_old_owner_cannot_finish(make_store: MakeStore) -> None:
    store = make_store(lease_seconds=LEASE)
    crashed, rescuer = new_owner_token(), new_owner_token()
    assert store.claim("k", crashed).status is ClaimStatus.CLAIMED
    assert store.claim("k", rescuer).status is ClaimStatus.IN_PROGRESS
    time.sleep(LEASE + 0.2)
    assert store.claim("k", rescuer).status is ClaimStatus.CLAIMED
    assert not store.complete("k", crashed, "processed")
    assert not store.fail("k", crashed, "transient")
    assert store.state("k") == "started"
    assert store.complete("k", rescuer, "processed", "BloodGlucoseRecord")
    claim = store.claim("k", new_owner_token())
    assert (claim.status, claim.owner, claim.outcome, claim.detail) == (
        ClaimStatus.COMPLETED,
        rescuer,
        "processed",
        "BloodGlucoseRecord",
    )


def test_a_late_owner_whose_expired_key_nobody_claimed_still_records_its_outcome(
    make_store: MakeStore,
) -> None:
    # A slow owner (a long window build) outlives its lease while nobody else wants the key:
    # its outcome must be kept, or the message is acked with no record that it was done.
    store = make_store(lease_seconds=LEASE)
    slow = new_owner_token()
    assert store.claim("k", slow).status is ClaimStatus.CLAIMED
    time.sleep(LEASE + 0.2)
    assert store.complete("k", slow, "processed", "BloodGlucoseRecord")
    assert store.state("k") == "completed"
    claim = store.claim("k", new_owner_token())
    assert (claim.status, claim.owner, claim.outcome) == (ClaimStatus.COMPLETED, slow, "processed")


def test_failed_key_can_be_claimed_again_and_only_by_one(make_store: MakeStore) -> None:
    store = make_store()
    first, second, third = new_owner_token(), new_owner_token(), new_owner_token()
    assert store.claim("k", first).status is ClaimStatus.CLAIMED
    assert store.fail("k", first, "transient")
    assert store.state("k") == "failed"
    assert not store.complete("k", first, "processed")
    assert store.claim("k", second).status is ClaimStatus.CLAIMED
    assert store.claim("k", third).status is ClaimStatus.IN_PROGRESS
    assert store.complete("k", second, "quarantined")
    assert store.state("k") == "completed"


def test_completed_key_keeps_outcome_and_detail_and_cannot_be_finished_again(
    make_store: MakeStore,
) -> None:
    store = make_store()
    owner = new_owner_token()
    store.claim("content:abc", owner)
    detail = "training/heart/2025/09/examples/a.json,training/heart/2025/09/examples/b.json"
    assert store.complete("content:abc", owner, "processed", detail)
    assert not store.complete("content:abc", owner, "quarantined")
    assert not store.fail("content:abc", owner, "late")
    again = store.claim("content:abc", new_owner_token())
    assert (again.status, again.outcome, again.detail) == (
        ClaimStatus.COMPLETED,
        "processed",
        detail,
    )
    store.claim("no-detail", owner)
    store.complete("no-detail", owner, "duplicate_content")
    assert store.claim("no-detail", new_owner_token()).detail is None


def test_unknown_keys_and_health(make_store: MakeStore) -> None:
    store = make_store()
    assert store.state("never-claimed") is None
    assert not store.complete("never-claimed", new_owner_token(), "processed")
    assert store.ping()


def test_redis_finished_keys_expire_after_retention_and_cleanup_is_a_no_op(
    redis_service: RedisService,
) -> None:
    store = RedisDedupStore(
        redis_service.url, key_prefix=redis_service.prefix, lease_seconds=60, retention_seconds=30
    )
    owner = new_owner_token()
    store.claim("k", owner)
    lease_ttl = redis_service.client.pttl(f"{redis_service.prefix}k")
    store.complete("k", owner, "processed")
    retention_ttl = redis_service.client.pttl(f"{redis_service.prefix}k")
    assert 55_000 < lease_ttl <= 60_000
    assert 25_000 < retention_ttl <= 30_000
    assert store.cleanup() == 0
    store.close()


def test_unreachable_redis_is_reported_as_unavailable() -> None:
    store = RedisDedupStore("redis://127.0.0.1:1/0", socket_timeout=0.5)
    assert not store.ping()
    with pytest.raises(DedupUnavailableError):
        store.claim("k", new_owner_token())
    with pytest.raises(DedupUnavailableError):
        store.complete("k", new_owner_token(), "processed")
    with pytest.raises(DedupUnavailableError):
        store.state("k")
    store.close()


def test_unreachable_postgresql_is_reported_as_unavailable() -> None:
    with pytest.raises(DedupUnavailableError):
        SqlDedupStore("postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=1")


def settings_with(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg, arg-type]


def test_factory_opens_each_kind(
    tmp_path: Path, postgres_url: str, redis_service: RedisService
) -> None:
    sqlite_store = open_dedup_store(settings_with(), tmp_path / "state" / "dedup.sqlite")
    assert isinstance(sqlite_store, SqlDedupStore)
    assert (tmp_path / "state" / "dedup.sqlite").exists()
    sqlite_store.close()

    postgres_store = open_dedup_store(
        settings_with(deduplication_store="postgresql", deduplication_url=postgres_url),
        tmp_path / "unused.sqlite",
    )
    assert isinstance(postgres_store, SqlDedupStore)
    assert postgres_store.engine.dialect.name == "postgresql"
    assert postgres_store.ping()
    postgres_store.close()

    redis_store = open_dedup_store(
        settings_with(
            deduplication_store="redis", deduplication_url=redis_service.url, dedup_lease_seconds=7
        ),
        tmp_path / "unused.sqlite",
    )
    assert isinstance(redis_store, RedisDedupStore)
    assert redis_store.lease_seconds == 7
    assert redis_store.ping()
    redis_store.close()
    assert not (tmp_path / "unused.sqlite").exists()


def test_redis_deployments_with_their_own_key_prefix_do_not_see_each_other(
    tmp_path: Path, redis_service: RedisService
) -> None:
    def store(prefix: str) -> DedupStore:
        settings = settings_with(
            deduplication_store="redis",
            deduplication_url=redis_service.url,
            deduplication_key_prefix=f"{redis_service.prefix}{prefix}:",
        )
        return open_dedup_store(settings, tmp_path / "unused.sqlite")

    blue, green = store("blue"), store("green")
    try:
        assert blue.claim("upload-1", "w1").status is ClaimStatus.CLAIMED
        assert blue.complete("upload-1", "w1", "processed")
        assert green.claim("upload-1", "w2").status is ClaimStatus.CLAIMED
        assert blue.claim("upload-1", "w3").status is ClaimStatus.COMPLETED
        client = redis.Redis.from_url(redis_service.url)
        try:
            assert client.exists(f"{redis_service.prefix}blue:upload-1") == 1
            assert client.exists(f"{redis_service.prefix}green:upload-1") == 1
        finally:
            client.close()
    finally:
        blue.close()
        green.close()


@pytest.mark.parametrize(
    ("store", "url"),
    [
        ("redis", None),
        ("postgresql", None),
        ("redis", "postgresql://postgres@127.0.0.1/test"),
        ("postgresql", "redis://127.0.0.1:6379/0"),
    ],
)
def test_factory_refuses_a_missing_or_mismatched_url(
    tmp_path: Path, store: str, url: str | None
) -> None:
    with pytest.raises(SettingsError):
        open_dedup_store(
            settings_with(deduplication_store=store, deduplication_url=url), tmp_path / "x"
        )


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u:p@db:5432/etl", "postgresql+psycopg://u:p@db:5432/etl"),
        ("postgres://u@db/etl", "postgresql+psycopg://u@db/etl"),
        ("postgresql+psycopg2://u@db/etl", "postgresql+psycopg2://u@db/etl"),
    ],
)
def test_postgresql_urls_default_to_psycopg3(given: str, expected: str) -> None:
    assert postgresql_url(given) == expected
