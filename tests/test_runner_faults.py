"""``etl run`` killed at random points and run out of disk space: the next run completes every
file, with the examples of a clean run, and never waits for a dead run's leases."""

from __future__ import annotations

import errno
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import closing
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from etl_core.stores.dedup import ClaimStatus, ProcessHolder, new_owner_token
from etl_core.stores.dedup.sql import SqlDedupStore
from etl_core.stores.history import HistoryUnavailableError
from etl_core.stores.objects.base import StorageError, StorageFullError, no_space_path
from etl_core.testing import (
    journal_examples,
    real_samples,
    run_etl,
    stable_form,
    training_examples,
    write_synthetic_person,
)
from etl_core.transports.rabbitmq.consumer import wait_until

KEY = "test-pseudonym-key"
ROUNDS = 20


# -- who holds a claim ------------------------------------------------------------------------


def claim_in_child(db: Path, key: str, *, hold: bool = False) -> subprocess.Popen[str]:
    """A separate process that claims ``key`` with its own holder recorded, prints its owner
    token, then exits (or, with ``hold``, waits for a line on stdin first)."""
    code = textwrap.dedent(
        f"""
        import sys
        from etl_core.stores.dedup.sql import SqlDedupStore
        from etl_core.stores.dedup import ProcessHolder, new_owner_token
        store = SqlDedupStore.sqlite_file(
            __import__("pathlib").Path({str(db)!r}), holder=ProcessHolder.current()
        )
        owner = new_owner_token()
        print(store.claim({key!r}, owner).status.value, owner, flush=True)
        if {hold!r}:
            sys.stdin.readline()
        """
    )
    return subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )


def claimed_by_child(db: Path, key: str) -> str:
    child = claim_in_child(db, key)
    out, _ = child.communicate(timeout=60)
    status, owner = out.split()
    assert status == "claimed"
    return owner


def test_a_claim_of_a_process_that_is_gone_is_taken_over_at_once(tmp_path: Path) -> None:
    db = tmp_path / "dedup.sqlite"
    dead_owner = claimed_by_child(db, "file:a")
    store = SqlDedupStore.sqlite_file(db, holder=ProcessHolder.current())
    rescuer = new_owner_token()
    claim = store.claim("file:a", rescuer)
    assert (claim.status, claim.taken_over) == (ClaimStatus.CLAIMED, True)
    # The dead owner's outcome can no longer land; the rescuer's does.
    assert not store.complete("file:a", dead_owner, "processed")
    assert store.complete("file:a", rescuer, "processed", "StepsRecord")
    recorded = ProcessHolder.from_json(holder_of(db, "file:a"))
    assert recorded == ProcessHolder.current()
    store.close()


def test_the_worker_without_a_holder_keeps_waiting_for_the_lease(tmp_path: Path) -> None:
    db = tmp_path / "dedup.sqlite"
    claimed_by_child(db, "file:a")
    worker = SqlDedupStore.sqlite_file(db)
    assert worker.claim("file:a", new_owner_token()).status is ClaimStatus.IN_PROGRESS
    worker.close()


def test_a_claim_of_a_live_process_waits_until_it_is_gone(tmp_path: Path) -> None:
    db = tmp_path / "dedup.sqlite"
    child = claim_in_child(db, "file:a", hold=True)
    assert child.stdout is not None
    assert child.stdout.readline().split()[0] == "claimed"
    store = SqlDedupStore.sqlite_file(db, holder=ProcessHolder.current())
    assert store.claim("file:a", new_owner_token()).status is ClaimStatus.IN_PROGRESS
    child.communicate("\n", timeout=60)
    assert store.claim("file:a", new_owner_token()).status is ClaimStatus.CLAIMED
    store.close()


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    "elsewhere",
    [
        {"host": "another-host"},
        {"boot_id": "00000000-0000-0000-0000-000000000000"},
        {"pid_namespace": "pid:[1]"},
        {"boot_id": None},
    ],
    ids=["other host", "other boot", "other pid namespace", "no boot id"],
)
def test_a_holder_that_cannot_be_judged_from_here_waits_for_its_lease(
    tmp_path: Path, elsewhere: dict[str, Any]
) -> None:
    db = tmp_path / "dedup.sqlite"
    gone = replace(ProcessHolder.current(), pid=dead_pid(), started=None, **elsewhere)
    clock = FakeClock()
    theirs = SqlDedupStore.sqlite_file(db, lease_seconds=60, clock=clock, holder=gone)
    assert theirs.claim("file:a", new_owner_token()).status is ClaimStatus.CLAIMED
    ours = SqlDedupStore.sqlite_file(
        db, lease_seconds=60, clock=clock, holder=ProcessHolder.current()
    )
    assert ours.claim("file:a", new_owner_token()).status is ClaimStatus.IN_PROGRESS
    clock.now += 61
    claim = ours.claim("file:a", new_owner_token())
    assert (claim.status, claim.taken_over) == (ClaimStatus.CLAIMED, False)
    theirs.close()
    ours.close()


def test_a_reused_pid_does_not_keep_a_dead_claim_alive(tmp_path: Path) -> None:
    """A live process with the recorded PID but another start time is someone else."""
    db = tmp_path / "dedup.sqlite"
    sleeper = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE
    )
    try:
        here = ProcessHolder.current()
        alive = replace(here, pid=sleeper.pid, started=start_ticks(sleeper.pid))
        reused = replace(alive, started=(alive.started or 0) + 12345)
        assert not alive.is_gone(here)
        assert reused.is_gone(here)
        theirs = SqlDedupStore.sqlite_file(db, holder=reused)
        assert theirs.claim("file:a", new_owner_token()).status is ClaimStatus.CLAIMED
        ours = SqlDedupStore.sqlite_file(db, holder=here)
        assert ours.claim("file:a", new_owner_token()).taken_over
        theirs.close()
        ours.close()
    finally:
        sleeper.communicate(timeout=60)


def start_ticks(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[19])


OLD_CLAIMS_TABLE = (
    "CREATE TABLE etl_dedup_claims (key VARCHAR(255) PRIMARY KEY, state VARCHAR(16) NOT NULL, "
    "owner VARCHAR(64) NOT NULL, lease_expires_at FLOAT NOT NULL, attempts INTEGER NOT NULL, "
    "outcome VARCHAR(32), detail TEXT, created_at FLOAT NOT NULL, updated_at FLOAT NOT NULL)"
)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'dedup.sqlite'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


def test_a_database_from_before_holders_gains_the_column_and_keeps_its_claims(
    database_url: str,
) -> None:
    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text(OLD_CLAIMS_TABLE))
        connection.execute(
            text(
                "INSERT INTO etl_dedup_claims VALUES ('file:old', 'started', 'o', 9e15, 1, NULL, "
                "NULL, 0, 0)"
            )
        )
    engine.dispose()
    store = SqlDedupStore(database_url, holder=ProcessHolder.current())
    # A claim with no recorded holder cannot be judged: its lease decides, as before.
    assert store.claim("file:old", new_owner_token()).status is ClaimStatus.IN_PROGRESS
    assert store.claim("file:new", new_owner_token()).status is ClaimStatus.CLAIMED
    # Another process opening the migrated database finds the column there.
    SqlDedupStore(database_url).close()
    store.close()


def test_a_gone_holder_is_taken_over_in_either_sql_store(database_url: str) -> None:
    gone = replace(ProcessHolder.current(), pid=dead_pid(), started=None)
    theirs = SqlDedupStore(database_url, holder=gone)
    dead_owner = new_owner_token()
    assert theirs.claim("content:x", dead_owner).status is ClaimStatus.CLAIMED
    worker = SqlDedupStore(database_url)
    assert worker.claim("content:x", new_owner_token()).status is ClaimStatus.IN_PROGRESS
    ours = SqlDedupStore(database_url, holder=ProcessHolder.current())
    rescuer = new_owner_token()
    assert ours.claim("content:x", rescuer).taken_over
    assert not theirs.complete("content:x", dead_owner, "processed")
    assert ours.complete("content:x", rescuer, "processed")
    for store in (theirs, worker, ours):
        store.close()


def dead_pid() -> int:
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(child.stdout)


def holder_of(db: Path, key: str) -> str | None:
    with closing(sqlite3.connect(db)) as connection:
        row = connection.execute(
            "SELECT holder FROM etl_dedup_claims WHERE key = ?", (key,)
        ).fetchone()
    return row[0] if row else None


# -- what counts as a full disk ---------------------------------------------------------------


def test_a_full_disk_is_recognised_through_the_wrappers() -> None:
    def chained(outer: BaseException, inner: BaseException) -> BaseException:
        try:
            try:
                raise inner
            except BaseException as exc:
                raise outer from exc
        except BaseException as caught:
            return caught

    enospc = OSError(errno.ENOSPC, "No space left on device", "/out/x.json")
    assert no_space_path(chained(StorageError("cannot write x"), enospc)) == "/out/x.json"
    quota = OSError(errno.EDQUOT, "Disk quota exceeded")
    assert no_space_path(StorageFullError("cannot write y", "/out/y")) is None
    assert no_space_path(chained(StorageFullError("cannot write y", "/out/y"), quota)) == "/out/y"
    full = sqlite3.OperationalError("database or disk is full")
    full.sqlite_errorcode = 13  # type: ignore[attr-defined]
    wrapped = chained(OperationalError("insert", {}, full), full)
    history = chained(
        HistoryUnavailableError("history store unavailable", "/out/h.sqlite"), wrapped
    )
    assert no_space_path(history) == "/out/h.sqlite"
    locked = sqlite3.OperationalError("database is locked")
    locked.sqlite_errorcode = 5  # type: ignore[attr-defined]
    assert no_space_path(chained(HistoryUnavailableError("busy", "/out/h.sqlite"), locked)) is None
    assert no_space_path(OSError(errno.EACCES, "Permission denied")) is None


# -- etl run killed at random points ----------------------------------------------------------


@pytest.fixture(scope="module")
def many_inputs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The real samples (linked, not copied) and eight days of a synthetic person."""
    samples = real_samples()
    if not samples:
        pytest.skip("the real samples (../shared/samples/health-connect) are not available")
    folder = tmp_path_factory.mktemp("inputs")
    synthetic = write_synthetic_person(folder / "synthetic", days=8)
    return sorted([*samples, *synthetic])


def link_inputs(folder: Path, inputs: list[Path]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for path in inputs:
        link = folder / path.name
        if not link.exists():
            link.symlink_to(path)


def etl_run_process(inputs: Path, out: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "ETL_PSEUDONYM_KEY": KEY, "ETL_LOG_LEVEL": "INFO"}
    with log.open("wb") as handle:
        return subprocess.Popen(
            [sys.executable, "-m", "etl_core", "run", str(inputs), "--out", str(out)],
            stdout=subprocess.DEVNULL,
            stderr=handle,
            env=env,
        )


def claim_counts(out: Path) -> dict[str, int]:
    """Claims by state in the run's dedup store (empty before it exists or while locked)."""
    db = out / ".etl-state" / "dedup.sqlite"
    if not db.exists():
        return {}
    try:
        with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.2)) as connection:
            rows = connection.execute(
                "SELECT state, count(*) FROM etl_dedup_claims WHERE key LIKE 'file:%' "
                "GROUP BY state"
            ).fetchall()
    except sqlite3.Error:
        return {}
    return dict(rows)


def started_owners(out: Path) -> set[str]:
    """Owner tokens of the claims now held (empty before the store exists or while locked)."""
    db = out / ".etl-state" / "dedup.sqlite"
    if not db.exists():
        return set()
    try:
        with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.2)) as connection:
            rows = connection.execute(
                "SELECT owner FROM etl_dedup_claims WHERE state = 'started'"
            ).fetchall()
    except sqlite3.Error:
        return set()
    return {owner for (owner,) in rows}


def example_objects(out: Path) -> int:
    return sum(1 for p in out.glob("training/*/*/*/examples/**/*") if p.is_file())


def retried(log: Path) -> list[str]:
    """Log lines of inputs that failed as retriable or found another worker holding them."""
    text = log.read_text(errors="replace")
    return [
        line
        for line in text.splitlines()
        if '"retriable": true' in line or "another worker holds" in line
    ]


def run_and_kill(inputs: Path, out: Path, log: Path, phase: str, target: int) -> bool:
    """Start ``etl run`` and SIGKILL it once ``phase`` has gone ``target`` steps further (any
    claim held; more files completed; more example objects written); ``False`` if it finished
    first."""
    completed = claim_counts(out).get("completed", 0)
    examples = example_objects(out)
    held_before = started_owners(out)

    def reached() -> bool:
        if phase == "claim started":
            # A claim of this run (those left by a killed run are still there).
            return bool(started_owners(out) - held_before)
        if phase == "files completed":
            return claim_counts(out).get("completed", 0) >= completed + target
        return example_objects(out) >= examples + target

    process = etl_run_process(inputs, out, log)
    assert wait_until(lambda: reached() or process.poll() is not None, 120, 0.01)
    killed = process.poll() is None
    if killed:
        process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    return killed


def test_etl_run_killed_twenty_times_then_rerun_equals_a_clean_run(
    many_inputs: list[Path], tmp_path: Path
) -> None:
    rng = random.Random(13)
    order = list(many_inputs)
    rng.shuffle(order)
    staged = tmp_path / "staged"
    out = tmp_path / "out"
    kills: list[str] = []
    stuck_claims = 0
    for round_number in range(ROUNDS):
        # Each round has new files to work on: a growing share of the inputs, in random order.
        share = order[: len(order) * (round_number + 1) // (ROUNDS + 1)]
        new_files = len(share) - len(list(staged.glob("*.avro")))
        link_inputs(staged, share)
        phase = rng.choice(["claim started", "files completed", "examples written"])
        log = tmp_path / f"round-{round_number}.log"
        if run_and_kill(staged, out, log, phase, rng.randint(1, max(1, new_files))):
            kills.append(phase)
        stuck_claims += claim_counts(out).get("started", 0)
        assert retried(log) == [], f"round {round_number} waited on a claim:\n{log.read_text()}"

    # Whether a kill lands before a run ends depends on the machine; most do.
    assert kills, "no run was killed"
    link_inputs(staged, order)
    final_log = tmp_path / "final.log"
    final = etl_run_process(staged, out, final_log)
    assert final.wait(timeout=300) == 0, final_log.read_text()
    assert retried(final_log) == []
    assert claim_counts(out).get("started", 0) == 0

    clean = tmp_path / "clean"
    run_etl([staged], clean)
    expected = [stable_form(e) for e in training_examples(clean)]
    got = [stable_form(e) for e in training_examples(out)]
    assert len(got) == len(expected)
    assert got == expected
    assert [stable_form(e) for e in journal_examples(out)] == expected
    assert len({json.dumps(e, sort_keys=True) for e in got}) == len(got), "an example twice"
    print(f"{len(kills)} kills ({', '.join(sorted(set(kills)))}), {stuck_claims} claims left")


# -- a full disk ------------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MB tmpfs, as root only; unmounted afterwards."""
    if os.geteuid() != 0:
        pytest.skip("the full-disk test mounts a tmpfs: it needs root")
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        # Lazily if something still has a file open there: the mount must not outlive the test.
        if subprocess.run(["umount", str(mount_point)], check=False).returncode != 0:
            subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_a_full_disk_stops_etl_run_in_one_line_and_the_rerun_completes(
    small_disk: Path, tmp_path: Path
) -> None:
    samples = real_samples()
    if not samples:
        pytest.skip("the real samples (../shared/samples/health-connect) are not available")
    inputs = tmp_path / "inputs"
    link_inputs(inputs, samples)
    out = small_disk / "out"

    first = run_etl([inputs], out, env={"ETL_LOG_LEVEL": "INFO"}, check=False)
    assert first.returncode == 4, first.stderr
    assert "Traceback" not in first.stderr + first.stdout
    errors = [line for line in first.stderr.splitlines() if line.startswith("etl: error:")]
    assert len(errors) == 1, first.stderr
    assert errors[0].startswith(f"etl: error: no space left on the device writing {small_disk}/")
    assert f"of {len(samples)} files" in errors[0]
    assert " MB in " in errors[0] or " KB in " in errors[0]
    # Stopped at the first full write: the file was not retried.
    events = [json.loads(line) for line in first.stderr.splitlines() if line.startswith("{")]
    failures = [e for e in events if e["event"] == "failed"]
    assert [f["error_type"] for f in failures] == ["no_space"]

    # The interrupted file's claims were released, or are recognisably a gone process's.
    db = out / ".etl-state" / "dedup.sqlite"
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as connection:
        held = connection.execute(
            "SELECT holder FROM etl_dedup_claims WHERE state = 'started'"
        ).fetchall()
    here = ProcessHolder.current()
    for (recorded,) in held:
        holder = ProcessHolder.from_json(recorded)
        assert holder is not None and holder.is_gone(here)

    # Run again on the still-full disk: the same one line, nothing else.
    again = run_etl([inputs], out, check=False)
    assert again.returncode == 4
    assert again.stdout == ""
    assert len(again.stderr.splitlines()) == 1, again.stderr
    assert again.stderr.startswith("etl: error: no space left on the device")

    subprocess.run(["mount", "-o", "remount,size=64m", str(small_disk)], check=True)
    rerun = run_etl([inputs], out, env={"ETL_LOG_LEVEL": "INFO"})
    assert "another worker holds" not in rerun.stderr
    assert '"retriable": true' not in rerun.stderr
    assert claim_counts(out).get("started", 0) == 0
    assert claim_counts(out).get("completed", 0) == len(samples)

    clean = tmp_path / "clean"
    run_etl([inputs], clean)
    expected = [stable_form(e) for e in training_examples(clean)]
    assert [stable_form(e) for e in training_examples(out)] == expected
    assert [stable_form(e) for e in journal_examples(out)] == expected
