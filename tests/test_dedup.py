from __future__ import annotations

import threading
from pathlib import Path

from etl_core.stores.dedup import ClaimStatus, new_owner_token
from etl_core.stores.dedup.sql import SqlDedupStore


class FakeClock:
    """Time that tests move by hand; the store under test is real SQLite."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_eight_threads_claiming_one_key_have_exactly_one_winner(tmp_path: Path) -> None:
    store = SqlDedupStore.sqlite_file(tmp_path / "dedup.sqlite")
    barrier = threading.Barrier(8)
    results: list[ClaimStatus] = []
    lock = threading.Lock()

    def claim() -> None:
        owner = new_owner_token()
        barrier.wait()
        status = store.claim("file:one", owner).status
        with lock:
            results.append(status)

    threads = [threading.Thread(target=claim) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    store.close()
    assert results.count(ClaimStatus.CLAIMED) == 1
    assert results.count(ClaimStatus.IN_PROGRESS) == 7


def test_expired_lease_is_reclaimed_and_the_old_owner_cannot_finish(tmp_path: Path) -> None:
    clock = FakeClock()
    store = SqlDedupStore.sqlite_file(tmp_path / "d.sqlite", lease_seconds=60, clock=clock)
    crashed, rescuer = new_owner_token(), new_owner_token()
    assert store.claim("k", crashed).status is ClaimStatus.CLAIMED
    clock.now += 30
    assert store.claim("k", rescuer).status is ClaimStatus.IN_PROGRESS
    clock.now += 31
    assert store.claim("k", rescuer).status is ClaimStatus.CLAIMED
    assert not store.complete("k", crashed, "processed")
    assert store.complete("k", rescuer, "processed", "BloodGlucoseRecord")
    claim = store.claim("k", new_owner_token())
    assert (claim.status, claim.outcome, claim.detail) == (
        ClaimStatus.COMPLETED,
        "processed",
        "BloodGlucoseRecord",
    )
    store.close()


def test_failed_key_can_be_claimed_again(tmp_path: Path) -> None:
    store = SqlDedupStore.sqlite_file(tmp_path / "d.sqlite")
    first, second = new_owner_token(), new_owner_token()
    store.claim("k", first)
    assert store.fail("k", first, "transient")
    assert store.state("k") == "failed"
    assert store.claim("k", second).status is ClaimStatus.CLAIMED
    store.close()


def test_cleanup_forgets_only_old_finished_keys(tmp_path: Path) -> None:
    clock = FakeClock()
    store = SqlDedupStore.sqlite_file(
        tmp_path / "d.sqlite", lease_seconds=60, retention_seconds=86_400, clock=clock
    )
    owner = new_owner_token()
    store.claim("old", owner)
    store.complete("old", owner, "processed")
    clock.now += 2 * 86_400
    store.claim("new", owner)
    store.complete("new", owner, "processed")
    assert store.cleanup() == 1
    assert store.state("old") is None
    assert store.state("new") == "completed"
    store.close()
