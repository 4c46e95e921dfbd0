"""Faults under load (issue 10): ``etl consume`` processes SIGKILLed at random moments, the
broker restarted, S3 gone for a while, the dedup store paused or cut off, the history store cut
off, several workers on one queue. After each, every message is in exactly one final place
(completed, quarantined or dead-lettered once) and the current examples are exactly those
``etl run`` makes of the good files: every window built once from all of its records.

Real RabbitMQ (restarted with ``rabbitmqctl``, so run as root or a user allowed to), Redis,
PostgreSQL and moto's S3 server over HTTP. CI runs these with ``ETL_REQUIRE_SERVICES=1``.
"""

from __future__ import annotations

import random
import shutil
import time
from collections import Counter
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import func, select

from etl_core.engine.pipeline import pseudonymise
from etl_core.settings import Settings
from etl_core.stores.dedup import DedupStore
from etl_core.stores.dedup.redis import DEFAULT_KEY_PREFIX, RedisDedupStore
from etl_core.stores.dedup.sql import SqlDedupStore, claims_table, postgresql_url
from etl_core.transports.rabbitmq.consumer import wait_until
from etl_core.transports.rabbitmq.dlq import replay
from tests.fault_support import (
    RestartableMotoServer,
    Sent,
    Worker,
    assert_exactly_once,
    broker_restarted_once,
    cut_off_postgres,
    decisions_of,
    pause_redis,
    private_redis,
    publish_stream,
    quarantined_keys,
    stop_cleanly,
    stream_files,
    take_ledger,
    wait_settled,
    workers,
)
from tests.services import (
    REDIS_URL,
    MotoS3Server,
    delete_redis_keys,
    rabbitmq_available,
    redis_client,
    unavailable,
    unique_name,
)
from tests.worker_support import delete_topology, queue_depths, worker_settings

pytestmark = [pytest.mark.services, pytest.mark.slow]

KILL_SEED = 20_261_125


@pytest.fixture
def broker() -> None:
    if not rabbitmq_available():
        unavailable("RabbitMQ is not reachable on 127.0.0.1:5672")


@pytest.fixture
def broker_control(broker: None) -> None:
    if shutil.which("rabbitmqctl") is None:
        unavailable("rabbitmqctl is not on PATH: the broker cannot be restarted")


def fault_settings(moto: MotoS3Server, bucket: str, state: Path, **overrides: object) -> Settings:
    """Worker settings of this test only, with a pseudonym key of its own (every dedup key
    carries the pseudonym, so tests sharing one Redis never meet) and retries enough to
    outlast a fault: lease 2 s, retry delays 0.5/1/2 s, ten attempts."""
    values: dict[str, object] = {"max_retries": 10, "pseudonym_key": unique_name("faults-")}
    values.update(overrides)
    return worker_settings(moto, bucket, state, **values)


@pytest.fixture
def topology_cleanup() -> Iterator[list[Settings]]:
    """Tests append their settings; the topology of each is deleted afterwards."""
    made: list[Settings] = []
    yield made
    for settings in made:
        delete_topology(settings)


def completed_uploads(store: SqlDedupStore) -> int:
    table = claims_table
    query = select(func.count()).where(table.c.state == "completed", table.c.key.like("upload:%"))
    with store.engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


def report(request: pytest.FixtureRequest, name: str, value: object) -> None:
    """A number worth seeing in the test report (pytest --junitxml, user properties)."""
    request.node.user_properties.append((name, value))


def reached(store: SqlDedupStore, count: int) -> bool:
    return completed_uploads(store) >= count


def check(
    settings: Settings,
    dedup: DedupStore,
    sent: list[Sent],
    moto: MotoS3Server,
    bucket: str,
    *,
    unreadable_copies_optional: bool = False,
    repeated_dead_letters: bool = False,
) -> int:
    """The exactly-once checks; returns the extra dead-letter copies (see assert_exactly_once)."""
    ledger = take_ledger(settings, dedup, sent, moto, bucket)
    extra = assert_exactly_once(ledger, sent, repeated_dead_letters=repeated_dead_letters)
    # Each quarantined file is kept once, with its metadata beside it (the stream's
    # quarantined files are glucose, its undecodable ones steps). The copy of an undecodable
    # file is best effort in core: written while S3 is down, it is skipped (the dead letter
    # and the source object remain), so an S3 outage may leave fewer.
    kept = Counter(key.split("/")[1] for key in quarantined_keys(moto, bucket))
    assert kept["BloodGlucoseRecord"] == 2 * sum(1 for s in sent if s.fate == "quarantined")
    unreadable = 2 * sum(1 for s in sent if s.fate == "dead_letter")
    if unreadable_copies_optional:
        assert kept["StepsRecord"] <= unreadable
    else:
        assert kept["StepsRecord"] == unreadable
    # Replaying everything sends each dead-lettered message back once, however many copies of
    # it the fault left, and empties the dead-letter queue.
    replayed = replay(settings, None)
    assert sorted(letter.message_id for letter in replayed) == sorted(
        s.message.message_id for s in sent if s.fate == "dead_letter"
    )
    assert sum(letter.copies for letter in replayed) == len(replayed) + extra
    depths = queue_depths(settings)
    assert depths[settings.failed_queue_name] == 0
    assert depths[settings.queue_name] == len(replayed)
    return extra


# -- SIGKILL ----------------------------------------------------------------------------------


def test_twenty_sigkills_at_random_moments_of_a_stream_lose_and_duplicate_nothing(
    request: pytest.FixtureRequest,
    broker: None,
    moto_server: MotoS3Server,
    s3_bucket: str,
    tmp_path: Path,
    topology_cleanup: list[Settings],
) -> None:
    settings = fault_settings(moto_server, s3_bucket, tmp_path)
    topology_cleanup.append(settings)
    files = stream_files(good=202, twins=10, quarantined=12, undecodable=10)
    sent = publish_stream(settings, files, user_id=unique_name("user-"))
    completing = len(files) - 10
    chooser = random.Random(KILL_SEED)
    store = SqlDedupStore.sqlite_file(Path(str(settings.deduplication_db_path)))
    kills: list[int] = []
    """The completed count at each kill."""
    started = time.monotonic()
    try:
        for _ in range(20):
            # A random moment: after the restarted worker completed a random few messages
            # (so that the kills spread over the stream), plus a random fraction of a second.
            worker = Worker(settings, tmp_path / "killed.log")
            try:
                done = completed_uploads(store)
                # Steps sized to spread the remaining kills over the rest of the stream,
                # leaving a third for the overshoot and the tail to the last worker.
                room = completing - 15 - done
                target = done + chooser.randint(1, max(1, 2 * room // (3 * (20 - len(kills)))))
                assert wait_until(partial(reached, store, target), 300, 0.01), (
                    f"no progress after kills at {kills}"
                )
                time.sleep(chooser.uniform(0.0, 0.05))
                worker.kill()
                kills.append(completed_uploads(store))
            finally:
                worker.close()
        assert len(kills) == 20
        report(request, "completed_at_each_kill", kills)
        # All killed workers wrote to one log: what they decided before dying.
        report(request, "decisions_of_killed_workers", dict(worker.decisions()))
        assert kills[-1] < completing, f"the stream ended before the last kill: {kills}"
        with workers(settings, tmp_path, 1, threads=4) as last:
            wait_settled(settings, store, sent, timeout=150)
            stop_cleanly(last)
        extra = check(settings, store, sent, moto_server, s3_bucket, repeated_dead_letters=True)
        report(request, "extra_dead_letter_copies", extra)
    finally:
        store.close()
    # Reported, not asserted: how long the stream takes is for the benchmarks to say; the
    # waits above already fail a stream that stops making progress.
    report(request, "seconds", round(time.monotonic() - started, 1))


# -- the broker restarted ---------------------------------------------------------------------


def test_broker_restart_during_a_stream(
    request: pytest.FixtureRequest,
    broker_control: None,
    moto_server: MotoS3Server,
    s3_bucket: str,
    tmp_path: Path,
    topology_cleanup: list[Settings],
) -> None:
    settings = fault_settings(moto_server, s3_bucket, tmp_path)
    topology_cleanup.append(settings)
    files = stream_files(good=202, twins=10, quarantined=12, undecodable=10)
    sent = publish_stream(settings, files, "u-b")
    completing = sum(1 for f in files if f.fate != "dead_letter")
    store = SqlDedupStore.sqlite_file(Path(str(settings.deduplication_db_path)))
    try:
        with (
            broker_restarted_once(stopped_for=3.0) as restart,
            workers(settings, tmp_path, 2, threads=2) as running,
        ):
            assert wait_until(lambda: completed_uploads(store) >= 5, 300, 0.01)
            # rabbitmqctl takes a second or two to start, during which the workers go on; the
            # count that matters is the one once the broker is down.
            when_stopped: list[int] = []
            restart(lambda: when_stopped.append(completed_uploads(store)))
            report(request, "completed_when_the_broker_stopped", when_stopped[0])
            assert when_stopped[0] < completing, "the stream ended before the restart"
            wait_settled(settings, store, sent, timeout=120)
            stop_cleanly(running)
            assert any("broker_connection_lost" in w.output() for w in running)
        extra = check(settings, store, sent, moto_server, s3_bucket, repeated_dead_letters=True)
        report(request, "extra_dead_letter_copies", extra)
    finally:
        store.close()


# -- S3 unavailable ---------------------------------------------------------------------------


@pytest.fixture
def restartable_s3() -> Iterator[RestartableMotoServer]:
    server = RestartableMotoServer()
    try:
        yield server
    finally:
        server.stop()


def test_s3_unavailable_for_a_while(
    broker: None,
    restartable_s3: RestartableMotoServer,
    tmp_path: Path,
    topology_cleanup: list[Settings],
) -> None:
    bucket = restartable_s3.create_bucket()
    settings = fault_settings(restartable_s3, bucket, tmp_path)
    topology_cleanup.append(settings)
    sent = publish_stream(
        settings, stream_files(good=80, twins=10, quarantined=5, undecodable=5), "u-s"
    )
    store = SqlDedupStore.sqlite_file(Path(str(settings.deduplication_db_path)))
    try:
        with workers(settings, tmp_path, 2, threads=2) as running:
            assert wait_until(lambda: completed_uploads(store) >= 10, 300, 0.02)
            restartable_s3.stop()
            time.sleep(4.0)
            assert completed_uploads(store) < 95, "the stream ended before the outage"
            restartable_s3.start_again()
            wait_settled(settings, store, sent, timeout=120)
            stop_cleanly(running)
            assert decisions_of(running)["retry"] > 0, "the fault went unnoticed"
        check(settings, store, sent, restartable_s3, bucket, unreadable_copies_optional=True)
    finally:
        store.close()
        if restartable_s3.running:
            restartable_s3.remove_bucket(bucket)


# -- the dedup store unavailable --------------------------------------------------------------


def test_redis_dedup_paused_for_a_while(
    broker: None,
    moto_server: MotoS3Server,
    s3_bucket: str,
    tmp_path: Path,
    postgres_url: str,
    topology_cleanup: list[Settings],
) -> None:
    import redis

    # A Redis of this test alone: the pause below is server-wide.
    with private_redis(tmp_path) as redis_url:
        client = redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
        # Redis holds claims only; the person's record history needs a database of its own.
        settings = fault_settings(
            moto_server,
            s3_bucket,
            tmp_path,
            deduplication_store="redis",
            deduplication_url=redis_url,
            history_url=postgres_url,
        )
        topology_cleanup.append(settings)
        user = unique_name("u-r")
        store = RedisDedupStore(redis_url)
        try:
            sent = publish_stream(
                settings, stream_files(good=80, twins=10, quarantined=5, undecodable=5), user
            )
            with workers(settings, tmp_path, 2, threads=2) as running:
                assert wait_until(lambda: completed(store, sent) >= 10, 300, 0.02)
                # Longer than the store's 5 s socket timeout: the workers' calls fail, not
                # just wait.
                pause_redis(client, 7.0)
                time.sleep(7.5)
                assert completed(store, sent) < 95, "the stream ended before the pause"
                wait_settled(settings, store, sent, timeout=120)
                stop_cleanly(running)
                assert decisions_of(running)["retry"] > 0, "the fault went unnoticed"
            check(settings, store, sent, moto_server, s3_bucket)
        finally:
            client.execute_command("CLIENT", "UNPAUSE")
            store.close()
            client.close()


def stream_through_a_postgres_cut(
    settings: Settings,
    store: SqlDedupStore,
    user_id: str,
    postgres_url: str,
    table: str,
    moto: MotoS3Server,
    bucket: str,
    folder: Path,
) -> None:
    """Two workers on a stream; once every worker consumes and ten messages are done,
    ``table`` is locked and its waiting sessions cut for 5 s. The stream must then settle with
    retries on the way and every message and window exactly once."""
    try:
        sent = publish_stream(
            settings, stream_files(good=80, twins=10, quarantined=5, undecodable=5), user_id
        )
        with workers(settings, folder, 2, threads=2) as running:
            # A worker still in its start-up wait when the cut begins would be cut off too,
            # before it consumed: the cut must find every worker consuming.
            assert wait_until(
                lambda: all('"consuming"' in worker.output() for worker in running), 300, 0.1
            ), "a worker did not start consuming"
            assert wait_until(lambda: completed_uploads(store) >= 10, 300, 0.02)
            cut_off_postgres(postgres_url, table, 5.0)
            assert completed_uploads(store) < 95, "the stream ended before the cut"
            wait_settled(settings, store, sent, timeout=120)
            stop_cleanly(running)
            assert decisions_of(running)["retry"] > 0, "the fault went unnoticed"
        check(settings, store, sent, moto, bucket)
    finally:
        store.close()


def test_postgres_dedup_cut_off_for_a_while(
    broker: None,
    moto_server: MotoS3Server,
    s3_bucket: str,
    tmp_path: Path,
    postgres_url: str,
    topology_cleanup: list[Settings],
) -> None:
    settings = fault_settings(
        moto_server,
        s3_bucket,
        tmp_path,
        deduplication_store="postgresql",
        deduplication_url=postgres_url,
    )
    topology_cleanup.append(settings)
    store = SqlDedupStore(postgresql_url(postgres_url))
    stream_through_a_postgres_cut(
        settings, store, "u-p", postgres_url, "etl_dedup_claims", moto_server, s3_bucket, tmp_path
    )


def test_postgres_history_cut_off_for_a_while(
    broker: None,
    moto_server: MotoS3Server,
    s3_bucket: str,
    tmp_path: Path,
    postgres_url: str,
    topology_cleanup: list[Settings],
) -> None:
    """The person's record history goes away mid-stream (claims stay in SQLite): merges and
    window builds fail as transient, are retried, and every window still ends built once from
    all of its records."""
    settings = fault_settings(moto_server, s3_bucket, tmp_path, history_url=postgres_url)
    topology_cleanup.append(settings)
    store = SqlDedupStore.sqlite_file(Path(str(settings.deduplication_db_path)))
    stream_through_a_postgres_cut(
        settings,
        store,
        "u-h",
        postgres_url,
        "etl_history_records",
        moto_server,
        s3_bucket,
        tmp_path,
    )


# -- several workers on one queue -------------------------------------------------------------


@pytest.mark.parametrize("processes", [2, 4])
@pytest.mark.parametrize("store_kind", ["redis", "postgresql"])
def test_several_worker_processes_on_one_queue(
    store_kind: str,
    processes: int,
    broker: None,
    moto_server: MotoS3Server,
    s3_bucket: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    topology_cleanup: list[Settings],
) -> None:
    user = unique_name("u-w")
    client = None
    database = request.getfixturevalue("postgres_url")
    if store_kind == "redis":
        client = redis_client()
        url = REDIS_URL
        store: DedupStore = RedisDedupStore(url)
    else:
        url = database
        store = SqlDedupStore(postgresql_url(url))
    # The person's record history is in PostgreSQL whichever store holds the claims.
    settings = fault_settings(
        moto_server,
        s3_bucket,
        tmp_path,
        deduplication_store=store_kind,
        deduplication_url=url,
        history_url=database,
    )
    topology_cleanup.append(settings)
    try:
        sent = publish_stream(
            settings, stream_files(good=100, twins=20, quarantined=5, undecodable=5), user
        )
        with workers(settings, tmp_path, processes, threads=2) as running:
            wait_settled(settings, store, sent, timeout=120)
            stop_cleanly(running)
            shares = [sum(w.decisions().values()) for w in running]
            report(request, "messages_per_worker", shares)
            assert sum(1 for n in shares if n) >= 2, f"one worker took all: {shares}"
        check(settings, store, sent, moto_server, s3_bucket)
    finally:
        if client is not None:
            forget_redis_keys(client, settings, user)
            client.close()
        store.close()


def completed(store: DedupStore, sent: list[Sent]) -> int:
    return sum(store.state(s.message.idempotency_key) == "completed" for s in sent)


def forget_redis_keys(client: object, settings: Settings, user_id: str) -> None:
    """Delete this test's keys: both kinds carry the pseudonym of its user under its key."""
    assert settings.pseudonym_key
    pseudonym = pseudonymise(user_id, settings.pseudonym_key.encode())
    for kind in ("upload", "content"):
        delete_redis_keys(client, f"{DEFAULT_KEY_PREFIX}{kind}:{pseudonym}:")
