"""The backend contracts as reusable pytest suites: what every dedup store and every object
store must honour, whichever database or service is behind it.

A backend's tests hold one subclass that says how to open a fresh store; pytest then runs every
``test_*`` method below against it::

    from etl_core.testing import DedupStoreContract, ObjectStoreContract

    class TestScratchDedup(DedupStoreContract):
        def open_store(self, request: DedupStoreRequest) -> DedupStore:
            return scratch_store.open_store(request)

    class TestScratchObjects(ObjectStoreContract):
        def open_store(self) -> ObjectStore:
            return ScratchObjectStore(bucket=unique_bucket())

Core's own stores (``sqlite``, ``postgresql``, ``redis``, ``memory``; ``s3``, ``local``,
``memory``) pass the same suites, so a store that passes behaves the way the pipeline expects
of them. Leases and retention run on real time: a test that waits for a lease or a retention
period to pass polls for the outcome with a generous deadline instead of asserting a moment,
so a slow machine makes a run slower, not red. Like :class:`~etl_core.testing.PluginContract`,
the suites need no pytest import: failures are plain assertions saying what the store got wrong.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from etl_core.settings import Settings
from etl_core.stores.dedup.base import (
    Claim,
    ClaimStatus,
    DedupStore,
    DedupStoreRequest,
    new_owner_token,
)
from etl_core.stores.objects.base import ObjectNotFoundError, ObjectStore, UnsafeKeyError

__all__ = ["DedupStoreContract", "ObjectStoreContract"]

T = TypeVar("T")

UNSAFE_KEYS: Sequence[str] = (
    "",
    "/etc/passwd",
    "../outside.json",
    "a/../../outside.json",
    "a/./b.json",
    "a//b.json",
    "folder/",
    "a\\b.json",
    "a\x00b.json",
)
"""Keys every object store refuses: absolute, empty, climbing out, empty or dot segments, a
backslash or a NUL."""


def _eventually(
    attempt: Callable[[], T], done: Callable[[T], bool], deadline: float, what: str
) -> T:
    """Call ``attempt`` until ``done`` accepts its result or ``deadline`` seconds pass."""
    give_up = time.monotonic() + deadline
    while True:
        result = attempt()
        if done(result):
            return result
        assert time.monotonic() < give_up, f"{what}: not so after {deadline:g} s ({result!r})"
        time.sleep(0.05)


def _race(threads: int, work: Callable[[int], T]) -> list[T]:
    """``work(0..threads-1)``, each on its own thread, all released at the same moment."""
    barrier = threading.Barrier(threads)

    def run(index: int) -> T:
        barrier.wait(timeout=60)
        return work(index)

    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(run, range(threads)))


class DedupStoreContract:
    """Subclass this (as ``Test<Store>Contract``) in a dedup store's tests and define
    :meth:`open_store`. Every ``test_*`` method is one rule of the ``started -> completed |
    failed`` machine the pipeline relies on.

    A subclass that sets up state in ``setup_method``/``teardown_method`` calls this class's
    too: they give each test its own temporary folder and close the stores it opened.
    """

    lease_seconds: ClassVar[float] = 1.0
    """The short lease of the tests that wait for a lease to run out (the others use 900 s)."""
    retention_seconds: ClassVar[float] = 1.0
    """The short retention of the tests that wait for finished keys to be forgotten."""
    deadline_seconds: ClassVar[float] = 60.0
    """How long a test waits for a lease or a retention period to pass before it fails."""
    threads: ClassVar[int] = 16
    """Threads claiming one key at once in the concurrency tests."""

    def open_store(self, request: DedupStoreRequest) -> DedupStore:
        """A store of the kind under test, as its ``etl_core.dedup_stores`` factory opens it
        from ``request``: ``request.settings`` carries the lease and retention the test needs
        (``dedup_lease_seconds``, ``dedup_retention_days``); ``request.default_sqlite_path``
        is a file in a folder of this test's own. Keys are unique to each test, so a store
        shared with other tests (one database, one Redis prefix) is fine."""
        raise NotImplementedError(f"{type(self).__name__} must define open_store()")

    # -- helpers ------------------------------------------------------------------------------

    def setup_method(self, method: Any) -> None:
        """A temporary folder and a key namespace for this test."""
        self._folder = Path(tempfile.mkdtemp(prefix="etl-dedup-contract-"))
        self._opened: list[DedupStore] = []
        self._namespace = uuid.uuid4().hex[:12]

    def teardown_method(self, method: Any) -> None:
        """Close the stores the test opened and remove its folder."""
        for store in self._opened:
            store.close()
        shutil.rmtree(self._folder, ignore_errors=True)

    def request(
        self, *, lease_seconds: float = 900.0, retention_seconds: float = 7 * 86_400.0
    ) -> DedupStoreRequest:
        """What a factory is given, with this lease and retention."""
        settings = Settings(
            _env_file=None,
            dedup_lease_seconds=lease_seconds,
            dedup_retention_days=retention_seconds / 86_400,
        )
        return DedupStoreRequest(settings, self._folder / "dedup.sqlite")

    def store(self, **request: float) -> DedupStore:
        """A store opened with :meth:`open_store` (``lease_seconds``, ``retention_seconds``),
        closed after the test."""
        opened = self.open_store(self.request(**request))
        self._opened.append(opened)
        return opened

    def key(self, name: str) -> str:
        """A key of this test only, shaped like the pipeline's (``file:...``, ``content:...``)."""
        return f"file:contract-{self._namespace}/{name}"

    def eventually(self, attempt: Callable[[], T], done: Callable[[T], bool], what: str) -> T:
        """``attempt()`` until ``done`` accepts its result; fails, saying ``what`` was
        expected, after :attr:`deadline_seconds`."""
        return _eventually(attempt, done, self.deadline_seconds, what)

    # -- claiming -----------------------------------------------------------------------------

    def test_a_new_key_is_claimed_by_its_first_owner(self) -> None:
        """A key nobody claimed has no state; its first claim is ``CLAIMED`` and leaves it
        ``started``."""
        store = self.store()
        key, owner = self.key("new"), new_owner_token()
        assert store.state(key) is None, "a key never claimed has no state"
        claim = store.claim(key, owner)
        assert (claim.status, claim.key, claim.owner) == (ClaimStatus.CLAIMED, key, owner), (
            f"the first claim of a key must be CLAIMED by its owner, got {claim}"
        )
        assert store.state(key) == "started"

    def test_a_second_owner_finds_the_key_in_progress(self) -> None:
        """While a claim's lease lasts, another owner gets ``IN_PROGRESS`` naming the holder."""
        store = self.store()
        key, first, second = self.key("busy"), new_owner_token(), new_owner_token()
        store.claim(key, first)
        claim = store.claim(key, second)
        assert claim.status is ClaimStatus.IN_PROGRESS, (
            f"a live claim must stop other owners, got {claim.status}"
        )
        assert claim.owner == first, "IN_PROGRESS names the owner holding the key"
        assert store.state(key) == "started"

    def test_the_owner_claiming_again_still_holds_the_key(self) -> None:
        """An owner claiming its own key again (a redelivered message) still holds it."""
        store = self.store()
        key, owner = self.key("again"), new_owner_token()
        store.claim(key, owner)
        assert store.claim(key, owner).status is ClaimStatus.CLAIMED
        assert store.complete(key, owner, "processed")

    # -- completing ---------------------------------------------------------------------------

    def test_a_completed_key_keeps_its_outcome_and_detail(self) -> None:
        """A completed key answers every later claim with ``COMPLETED``, its completer, the
        outcome and the detail (a long one included)."""
        store = self.store()
        key, owner = self.key("done"), new_owner_token()
        # A record set's detail lists the examples it made: long, with commas and slashes.
        detail = ",".join(f"training/heart/2025/09/examples/{n:04d}.json" for n in range(60))
        store.claim(key, owner)
        assert store.complete(key, owner, "processed", detail), "the owner completes its key"
        assert store.state(key) == "completed"
        claim = store.claim(key, new_owner_token())
        assert (claim.status, claim.owner, claim.outcome, claim.detail) == (
            ClaimStatus.COMPLETED,
            owner,
            "processed",
            detail,
        ), f"a completed key reports who completed it, the outcome and the detail: {claim}"

    def test_a_completion_without_detail_reports_none(self) -> None:
        """A completion without detail reports ``detail=None``, not an empty string."""
        store = self.store()
        key, owner = self.key("no-detail"), new_owner_token()
        store.claim(key, owner)
        assert store.complete(key, owner, "duplicate_content")
        claim = store.claim(key, new_owner_token())
        assert (claim.outcome, claim.detail) == ("duplicate_content", None)

    def test_a_completed_key_cannot_be_finished_again(self) -> None:
        """Completion happens once: completing or failing a completed key returns ``False``."""
        store = self.store()
        key, owner = self.key("once"), new_owner_token()
        store.claim(key, owner)
        store.complete(key, owner, "processed", "first")
        assert not store.complete(key, owner, "quarantined"), "completion happens once"
        assert not store.fail(key, owner, "late"), "a completed key cannot fail"
        claim = store.claim(key, owner)
        assert (claim.status, claim.outcome, claim.detail) == (
            ClaimStatus.COMPLETED,
            "processed",
            "first",
        )

    def test_only_the_owner_can_complete_or_fail(self) -> None:
        """``complete`` and ``fail`` by anyone but the owner (or of a key never claimed) return
        ``False`` and change nothing."""
        store = self.store()
        key, owner, other = self.key("owned"), new_owner_token(), new_owner_token()
        assert not store.complete(self.key("never-claimed"), owner, "processed"), (
            "completing a key nobody claimed returns False"
        )
        assert not store.fail(self.key("never-claimed"), owner, "transient")
        assert store.state(self.key("never-claimed")) is None
        store.claim(key, owner)
        assert not store.complete(key, other, "processed"), "a non-owner cannot complete"
        assert not store.fail(key, other, "transient"), "a non-owner cannot fail"
        assert store.state(key) == "started"
        assert store.complete(key, owner, "processed")

    # -- failing ------------------------------------------------------------------------------

    def test_a_failed_key_is_claimable_again_attempt_after_attempt(self) -> None:
        """A failed key is claimable again, by one owner at a time, attempt after attempt, until
        one completes it."""
        store = self.store()
        key = self.key("retry")
        for attempt in range(1, 4):
            owner = new_owner_token()
            assert store.claim(key, owner).status is ClaimStatus.CLAIMED, (
                f"attempt {attempt}: a failed key is claimable again"
            )
            assert store.claim(key, new_owner_token()).status is ClaimStatus.IN_PROGRESS
            assert store.fail(key, owner, "transient"), "the owner fails its key"
            assert store.state(key) == "failed"
            assert not store.complete(key, owner, "processed"), (
                "a failed key is no longer the old owner's to complete"
            )
        last = new_owner_token()
        assert store.claim(key, last).status is ClaimStatus.CLAIMED
        assert store.complete(key, last, "quarantined")
        assert store.claim(key, new_owner_token()).status is ClaimStatus.COMPLETED

    # -- leases -------------------------------------------------------------------------------

    def test_an_expired_lease_is_taken_over_and_the_old_owner_cannot_finish(self) -> None:
        """A claim whose lease ran out (a crashed owner) is taken over; the old owner can then
        neither complete nor fail it."""
        store = self.store(lease_seconds=self.lease_seconds)
        key, crashed, rescuer = self.key("crashed"), new_owner_token(), new_owner_token()
        assert store.claim(key, crashed).status is ClaimStatus.CLAIMED
        claim: Claim = self.eventually(
            lambda: store.claim(key, rescuer),
            lambda c: c.status is not ClaimStatus.IN_PROGRESS,
            "a claim whose lease ran out is taken over",
        )
        assert (claim.status, claim.owner) == (ClaimStatus.CLAIMED, rescuer), claim
        assert not store.complete(key, crashed, "processed"), (
            "an owner whose claim was taken over cannot complete it"
        )
        assert not store.fail(key, crashed, "transient")
        assert store.state(key) == "started"
        assert store.complete(key, rescuer, "processed", "rescued")
        done = store.claim(key, crashed)
        assert (done.status, done.owner, done.detail) == (
            ClaimStatus.COMPLETED,
            rescuer,
            "rescued",
        )

    def test_a_late_owner_nobody_took_over_still_records_its_outcome(self) -> None:
        """An owner that outlived its lease while nobody took the key over still completes it,
        or a slow message would be acked with no record that it was done."""
        store = self.store(lease_seconds=self.lease_seconds)
        key, slow = self.key("slow"), new_owner_token()
        store.claim(key, slow)
        time.sleep(self.lease_seconds * 1.5)
        assert store.complete(key, slow, "processed"), (
            "an owner past its lease completes while nobody took the key over"
        )
        assert store.state(key) == "completed"

    # -- retention ----------------------------------------------------------------------------

    def test_cleanup_keeps_keys_within_retention(self) -> None:
        """``cleanup`` returns how many keys it forgot and keeps keys finished within retention."""
        store = self.store()
        key, owner = self.key("recent"), new_owner_token()
        store.claim(key, owner)
        store.complete(key, owner, "processed")
        removed = store.cleanup()
        assert isinstance(removed, int) and removed >= 0, "cleanup returns how many it forgot"
        assert store.state(key) == "completed", "a key finished just now is kept"

    def test_finished_keys_are_forgotten_after_retention_but_live_claims_are_not(self) -> None:
        """Completed and failed keys are forgotten after the retention period (by ``cleanup``
        or by the store itself); a claim within its lease is not."""
        store = self.store(retention_seconds=self.retention_seconds)
        done, failed, live = self.key("done"), self.key("failed"), self.key("live")
        owner = new_owner_token()
        for key in (done, failed, live):
            store.claim(key, owner)
        store.complete(done, owner, "processed")
        store.fail(failed, owner, "transient")

        def forgotten() -> tuple[str | None, str | None]:
            store.cleanup()  # a store that expires keys by itself may do nothing here
            return store.state(done), store.state(failed)

        self.eventually(
            forgotten,
            lambda states: states == (None, None),
            "completed and failed keys are forgotten after retention",
        )
        assert store.state(live) == "started", "a claim within its lease is never forgotten"
        assert store.claim(done, new_owner_token()).status is ClaimStatus.CLAIMED

    def test_an_abandoned_claim_is_forgotten_after_its_lease_and_retention(self) -> None:
        """A claim whose owner died and that nobody retried is forgotten once its lease and the
        retention period have passed, not kept for ever."""
        store = self.store(
            lease_seconds=self.lease_seconds, retention_seconds=self.retention_seconds
        )
        key = self.key("abandoned")
        store.claim(key, new_owner_token())

        def state() -> str | None:
            store.cleanup()
            return store.state(key)

        self.eventually(state, lambda value: value is None, "an abandoned claim is forgotten")

    # -- health and concurrency -----------------------------------------------------------------

    def test_ping_answers(self) -> None:
        """``ping`` answers ``True`` while the store is reachable."""
        assert self.store().ping() is True

    def test_many_threads_claiming_one_key_have_exactly_one_winner(self) -> None:
        """Of many threads claiming one new key at once exactly one gets ``CLAIMED``; every other
        sees ``IN_PROGRESS`` held by the winner."""
        store = self.store()
        key = self.key("race")
        owners = [new_owner_token() for _ in range(self.threads)]
        claims = _race(self.threads, lambda n: store.claim(key, owners[n]))
        winners = [c for c in claims if c.status is ClaimStatus.CLAIMED]
        assert len(winners) == 1, f"{len(winners)} of {self.threads} racing claims won"
        assert all(
            c.status is ClaimStatus.IN_PROGRESS and c.owner == winners[0].owner
            for c in claims
            if c is not winners[0]
        ), "every loser sees the key in progress, held by the winner"

    def test_many_threads_reclaiming_a_failed_key_have_exactly_one_winner(self) -> None:
        """Of many threads reclaiming one failed key at once exactly one gets it."""
        store = self.store()
        key, first = self.key("failed-race"), new_owner_token()
        store.claim(key, first)
        store.fail(key, first, "transient")
        claims = _race(self.threads, lambda n: store.claim(key, new_owner_token()))
        statuses = [c.status for c in claims]
        assert statuses.count(ClaimStatus.CLAIMED) == 1, statuses

    def test_threads_working_on_their_own_keys_all_complete(self) -> None:
        """Threads claiming and completing keys of their own at once all succeed."""
        store = self.store()

        def work(index: int) -> list[bool]:
            owner = new_owner_token()
            done = []
            for n in range(10):
                key = self.key(f"thread-{index}/{n}")
                claimed = store.claim(key, owner).status is ClaimStatus.CLAIMED
                done.append(claimed and store.complete(key, owner, "processed"))
            return done

        results = _race(self.threads, work)
        assert all(all(done) for done in results), "every thread claims and completes its keys"
        assert store.state(self.key(f"thread-{self.threads - 1}/9")) == "completed"


class ObjectStoreContract:
    """Subclass this (as ``Test<Store>Contract``) in an object store's tests and define
    :meth:`open_store`. Every ``test_*`` method is one rule of
    :class:`~etl_core.stores.objects.base.ObjectStore`."""

    threads: ClassVar[int] = 8
    """Threads writing at once in the concurrency tests."""

    def open_store(self) -> ObjectStore:
        """A store of the kind under test on a fresh, empty bucket of this test's own (a
        pytest fixture of the subclass may make the bucket; pytest makes one instance of the
        class per test)."""
        raise NotImplementedError(f"{type(self).__name__} must define open_store()")

    def store(self) -> ObjectStore:
        """The test's store, opened on first use."""
        opened: ObjectStore | None = getattr(self, "_store", None)
        if opened is None:
            opened = self._store = self.open_store()
        return opened

    def teardown_method(self, method: Any) -> None:
        """Close the test's store, if it has a ``close``."""
        opened = getattr(self, "_store", None)
        close: Callable[[], Any] | None = getattr(opened, "close", None)
        if close is not None:
            close()

    # -- reading and writing ------------------------------------------------------------------

    def test_put_then_get_returns_the_same_bytes(self) -> None:
        """``put`` then ``get`` returns the same bytes (every byte value, an empty object, a
        non-ASCII key); ``exists`` sees the object."""
        store = self.store()
        data = bytes(range(256)) * 4
        assert store.put("training/a/2025/09/examples/x.json", data) is True
        assert store.get("training/a/2025/09/examples/x.json") == data
        assert store.exists("training/a/2025/09/examples/x.json")
        assert store.put("empty.bin", b"") is True
        assert store.get("empty.bin") == b"", "an empty object is an object"
        assert store.put("a/é ü.json", b"{}") and store.get("a/é ü.json") == b"{}"

    def test_put_replaces_an_object(self) -> None:
        """A plain ``put`` replaces the object at its key."""
        store = self.store()
        store.put("k.json", b"old")
        assert store.put("k.json", b"new") is True
        assert store.get("k.json") == b"new"

    def test_put_if_absent_writes_only_a_new_object(self) -> None:
        """``put(if_absent=True)`` writes only where no object is (``False`` otherwise, the old
        object kept), and again once the object is deleted."""
        store = self.store()
        assert store.put("once.json", b"first", if_absent=True) is True
        assert store.put("once.json", b"second", if_absent=True) is False, (
            "if_absent does not overwrite; it returns False"
        )
        assert store.get("once.json") == b"first"
        store.delete("once.json")
        assert store.put("once.json", b"third", if_absent=True) is True
        assert store.get("once.json") == b"third"

    def test_a_missing_object(self) -> None:
        """``get`` of a missing key raises ``ObjectNotFoundError``; ``exists`` says ``False``;
        ``delete`` of it is no error."""
        store = self.store()
        try:
            store.get("raw/none.avro")
        except ObjectNotFoundError:
            pass
        else:
            raise AssertionError("get of a missing key must raise ObjectNotFoundError")
        assert store.exists("raw/none.avro") is False
        store.delete("raw/none.avro")  # deleting nothing is fine

    def test_delete_removes_the_object(self) -> None:
        """``delete`` removes the object from ``exists`` and ``list``."""
        store = self.store()
        store.put("gone/x.json", b"x")
        store.delete("gone/x.json")
        assert not store.exists("gone/x.json")
        assert list(store.list("gone/")) == []

    # -- listing ------------------------------------------------------------------------------

    def test_list_is_sorted_and_stays_under_its_folder(self) -> None:
        """``list`` returns the keys under a folder (nested ones too), sorted, never a sibling
        folder's (``ab/`` is not under ``a``); ``a`` means ``a/``; ``""`` lists everything."""
        store = self.store()
        keys = ["a/z.json", "a/b/2.json", "a/b/10.json", "a/é.json", "a/A.json", "ab/x.json"]
        keys.append("b.json")
        for key in keys:
            store.put(key, key.encode())
        under_a = sorted(k for k in keys if k.startswith("a/"))
        assert list(store.list("a/")) == under_a, "a folder's keys, nested ones too, sorted"
        assert list(store.list("a")) == under_a, "a prefix without '/' is the folder"
        assert list(store.list("a/b/")) == ["a/b/10.json", "a/b/2.json"]
        assert list(store.list("")) == sorted(keys), "the empty prefix lists everything"
        assert list(store.list("missing/")) == []

    # -- keys ---------------------------------------------------------------------------------

    def test_unsafe_keys_are_refused(self) -> None:
        """Every operation refuses a key that is empty, absolute, climbing out, with empty or
        dot segments, a backslash or a NUL (``UnsafeKeyError``), and writes nothing."""
        store = self.store()
        operations: dict[str, Callable[[str], object]] = {
            "put": lambda key: store.put(key, b"x"),
            "put(if_absent)": lambda key: store.put(key, b"x", if_absent=True),
            "get": store.get,
            "exists": store.exists,
            "delete": store.delete,
        }
        for key in UNSAFE_KEYS:
            for name, operation in operations.items():
                try:
                    operation(key)
                except UnsafeKeyError:
                    continue
                raise AssertionError(f"{name}({key!r}) must raise UnsafeKeyError")
        for prefix in ("../", "/etc/", "a/../../"):
            try:
                list(store.list(prefix))
            except UnsafeKeyError:
                continue
            raise AssertionError(f"list({prefix!r}) must raise UnsafeKeyError")
        assert list(store.list("")) == [], "nothing was written by a refused key"

    # -- description and concurrency ----------------------------------------------------------

    def test_describe_says_where(self) -> None:
        """``describe`` names where the store writes."""
        where = self.store().describe()
        assert isinstance(where, str) and where, "describe() names where the store writes"

    def test_many_threads_putting_if_absent_have_exactly_one_winner(self) -> None:
        """Of many threads writing one key with ``if_absent`` at once exactly one wins, and its
        object is the one kept."""
        store = self.store()
        results = _race(
            self.threads, lambda n: store.put("race/key.json", f"{n}".encode(), if_absent=True)
        )
        assert results.count(True) == 1, f"{results.count(True)} conditional writes won"
        winner = results.index(True)
        assert store.get("race/key.json") == f"{winner}".encode(), "the winner's object stays"
        assert list(store.list("race/")) == ["race/key.json"]

    def test_threads_writing_their_own_keys_all_land(self) -> None:
        """Threads writing keys of their own at once all land."""
        store = self.store()

        def write(index: int) -> None:
            for n in range(10):
                store.put(f"t/{index:02d}/{n:02d}.json", f"{index}-{n}".encode())

        _race(self.threads, write)
        expected = sorted(f"t/{i:02d}/{n:02d}.json" for i in range(self.threads) for n in range(10))
        assert list(store.list("t/")) == expected
        assert store.get("t/00/09.json") == b"0-9"
