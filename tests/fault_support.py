"""Helpers for the fault tests (tests/test_faults.py): a stream of files whose fate is known in
advance, publishing it (bad files included), the accounting of where every message ended, and
the faults themselves: a broker restart, an S3 server that goes away and comes back on the
same port, a paused Redis and a locked-and-cut PostgreSQL."""

from __future__ import annotations

import copy
import hashlib
import json
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, cast

from etl_core.builtin.training_jsonl import stable_form
from etl_core.engine.pipeline import pseudonymise
from etl_core.settings import Settings
from etl_core.stores.dedup import DedupStore
from etl_core.stores.factory import open_object_store
from etl_core.testing import (
    health_connect_schema,
    read_avro,
    run_etl,
    training_examples,
    write_avro,
)
from etl_core.transports.messages import UploadMessage
from etl_core.transports.rabbitmq.consumer import wait_until
from etl_core.transports.rabbitmq.dlq import list_dead_letters
from etl_core.transports.rabbitmq.publisher import prepare_upload, publish_message
from etl_core.transports.rabbitmq.topology import Topology
from tests.services import (
    MotoS3Server,
    SerialisedConditionalWrites,
    broker_connection,
    unavailable,
)
from tests.worker_support import examples_in, pending_windows, queue_depths, settings_env

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "health-connect"
Fate = Literal["processed", "twin", "quarantined", "dead_letter"]
"""``twin``: the same record set as a ``processed`` file in other bytes (another sync marker),
so that the two race for one content key and only one makes the example."""
JAN_1970_MS = 3_600_000


# -- the stream -------------------------------------------------------------------------------


@dataclass(frozen=True)
class StreamFile:
    name: str
    data: bytes
    fate: Fate


def _records(record_type: str) -> list[dict[str, Any]]:
    [path] = SAMPLES.glob(f"{record_type}_*.avro")
    return read_avro(path.read_bytes())


def _windows(record_type: str, size: int) -> Iterator[list[dict[str, Any]]]:
    records = _records(record_type)
    for start in range(0, len(records) - size + 1, size):
        yield records[start : start + size]


def _in_1970(record: dict[str, Any]) -> dict[str, Any]:
    moved = copy.deepcopy(record)
    base = moved.get("timeEpochMillis", moved.get("startTimeEpochMillis"))
    assert isinstance(base, int)
    for name, value in moved.items():
        if name.lower().endswith("timeepochmillis") and isinstance(value, int):
            moved[name] = value - base + JAN_1970_MS
    return moved


def stream_files(
    good: int, twins: int = 0, quarantined: int = 0, undecodable: int = 0
) -> list[StreamFile]:
    """``good`` files of distinct record sets made from the synthetic samples (one example
    each), ``twins`` of the first good ones, ``quarantined`` files dated 1970 (quarantined with
    their reasons) and ``undecodable`` truncated files (dead-lettered as decode errors),
    interleaved."""
    plan = [
        ("BloodGlucoseRecord", 12),
        ("HeartRateVariabilityRmssdRecord", 6),
        ("HeartRateRecord", 6),
        ("StepsRecord", 1),
        ("ActiveCaloriesBurnedRecord", 1),
        ("SleepSessionRecord", 1),
    ]
    pools = {t: list(_windows(t, size)) for t, size in plan}
    made: list[StreamFile] = []
    while len(made) < good:
        before = len(made)
        for record_type, _ in plan:
            if pools[record_type] and len(made) < good:
                window = pools[record_type].pop(0)
                data = write_avro(health_connect_schema(record_type), window)
                made.append(StreamFile(f"{record_type}_{len(made)}.avro", data, "processed"))
        if len(made) == before:
            raise ValueError(f"the samples hold only {len(made)} distinct record sets")
    for n, original in enumerate(made[:twins]):
        record_type = original.name.split("_", 1)[0]
        data = write_avro(
            health_connect_schema(record_type), read_avro(original.data), sync_marker=b"twin" * 4
        )
        assert data != original.data
        place = made.index(original) + 1 + n % 3
        made.insert(place, StreamFile(f"{record_type}_t{n}.avro", data, "twin"))
    glucose = _records("BloodGlucoseRecord")
    for n in range(quarantined):
        window = [_in_1970(r) for r in glucose[n * 3 : n * 3 + 3]]
        data = write_avro(health_connect_schema("BloodGlucoseRecord"), window)
        made.insert(
            (n * 7) % len(made), StreamFile(f"BloodGlucoseRecord_q{n}.avro", data, "quarantined")
        )
    for n in range(undecodable):
        whole = write_avro(health_connect_schema("StepsRecord"), _records("StepsRecord")[n : n + 2])
        data = whole[: len(whole) - 40 - n]
        made.insert(
            (n * 11 + 3) % len(made), StreamFile(f"StepsRecord_bad{n}.avro", data, "dead_letter")
        )
    return made


# -- publishing -------------------------------------------------------------------------------


@dataclass
class Sent:
    message: UploadMessage
    fate: Fate


def upload_message(settings: Settings, item: StreamFile, user_id: str) -> UploadMessage:
    key = settings.pseudonym_key
    assert key, "the fault tests name their pseudonym key"
    if item.fate != "dead_letter":
        return prepare_upload(
            item.data,
            item.name,
            user_id=user_id,
            bucket=settings.s3_bucket_name,
            pseudonym_key=key.encode(),
        ).message
    # prepare_upload refuses a file it cannot decode, as the upload API would; a damaged
    # object behind a well-formed message is what reaches the worker here.
    sha256 = hashlib.sha256(item.data).hexdigest()
    pseudonym = pseudonymise(user_id, key.encode())
    return UploadMessage(
        message_id=uuid.uuid4().hex,
        correlation_id=uuid.uuid4().hex,
        user_id=user_id,
        bucket=settings.s3_bucket_name,
        key=f"raw/StepsRecord/{pseudonym}_{sha256[:16]}.avro",
        record_type="StepsRecord",
        upload_timestamp_utc=datetime.now(UTC),
        content_hash=sha256,
        file_size_bytes=len(item.data),
        record_count=2,
        idempotency_key=f"upload:{pseudonym}:{sha256}",
    )


def publish_stream(settings: Settings, files: list[StreamFile], user_id: str) -> list[Sent]:
    """Upload each file to the settings' bucket and publish its message (with confirms)."""
    store = open_object_store(settings, settings.s3_bucket_name, pool_size=1)
    connection = broker_connection(settings.rabbitmq_url)
    sent: list[Sent] = []
    try:
        channel = connection.channel()
        topology = Topology.from_settings(settings)
        topology.declare(channel)
        channel.confirm_delivery()
        for item in files:
            message = upload_message(settings, item, user_id)
            store.put(message.key, item.data)
            publish_message(channel, topology.exchange, message)
            sent.append(Sent(message, item.fate))
    finally:
        connection.close()
    return sent


# -- accounting -------------------------------------------------------------------------------


@dataclass
class Ledger:
    """Where every published message ended."""

    completed: dict[str, str | None] = field(default_factory=dict)
    """message id -> the dedup store's state of its idempotency key."""
    dead_letters: Counter[str] = field(default_factory=Counter)
    """message id -> how many copies are in the failed queue."""
    dead_letter_types: dict[str, str] = field(default_factory=dict)
    examples: list[dict[str, Any]] = field(default_factory=list)
    """The current examples in the bucket (each window's latest revision)."""
    expected_examples: list[dict[str, Any]] = field(default_factory=list)
    """What ``etl run`` makes of the good files for the same person."""
    queues: dict[str, int] = field(default_factory=dict)


def take_ledger(
    settings: Settings, dedup: DedupStore, sent: list[Sent], moto: MotoS3Server, bucket: str
) -> Ledger:
    ledger = Ledger()
    for item in sent:
        ledger.completed[item.message.message_id] = dedup.state(item.message.idempotency_key)
    for letter in list_dead_letters(settings):
        ledger.dead_letters[letter.message_id or "?"] += letter.copies
        ledger.dead_letter_types[letter.message_id or "?"] = letter.error_type or "?"
    ledger.examples = examples_in(moto, bucket)
    ledger.expected_examples = embedded_examples(settings, sent, moto)
    ledger.queues = queue_depths(settings)
    return ledger


def embedded_examples(
    settings: Settings, sent: list[Sent], moto: MotoS3Server
) -> list[dict[str, Any]]:
    """The training examples ``etl run`` makes of the stream's good files (read back from the
    bucket) for the stream's person, under the same pseudonym key."""
    good = [s for s in sent if s.fate == "processed"]
    users = {s.message.user_id for s in sent}
    assert len(users) == 1, "a stream belongs to one person"
    assert settings.pseudonym_key
    client = moto.client()
    with tempfile.TemporaryDirectory(prefix="etl-faults-") as scratch:
        folder = Path(scratch) / "files"
        folder.mkdir()
        for item in good:
            body = client.get_object(Bucket=item.message.bucket, Key=item.message.key)["Body"]
            (folder / Path(item.message.key).name).write_bytes(body.read())
        out = Path(scratch) / "out"
        run_etl(
            [folder],
            out,
            "--user-id",
            users.pop(),
            env={"ETL_PSEUDONYM_KEY": settings.pseudonym_key},
        )
        return training_examples(out)


def stable_examples(examples: list[dict[str, Any]]) -> list[str]:
    return sorted(json.dumps(stable_form(e), sort_keys=True) for e in examples)


def progress(settings: Settings, dedup: DedupStore, sent: list[Sent]) -> tuple[int, ...]:
    """Where the stream stands: completed messages, then every queue's depth."""
    done = sum(
        dedup.state(s.message.idempotency_key) == "completed"
        for s in sent
        if s.fate != "dead_letter"
    )
    depths = queue_depths(settings)
    return (done, len(pending_windows(settings)), *(depths[name] for name in sorted(depths)))


def settled(settings: Settings, dedup: DedupStore, sent: list[Sent]) -> bool:
    """Every good or quarantined message completed, every bad one dead-lettered, queues empty,
    no window waiting to be rebuilt."""
    expected_letters = sum(1 for s in sent if s.fate == "dead_letter")
    if any(
        dedup.state(s.message.idempotency_key) != "completed"
        for s in sent
        if s.fate != "dead_letter"
    ):
        return False
    depths = queue_depths(settings)
    if depths[settings.failed_queue_name] < expected_letters:
        return False
    if any(n for q, n in depths.items() if q != settings.failed_queue_name):
        return False
    return not pending_windows(settings)


def wait_settled(
    settings: Settings, dedup: DedupStore, sent: list[Sent], timeout: float = 120
) -> None:
    """Wait until the stream settles, failing only when it stops moving: ``timeout`` seconds
    without any message completing or any queue changing. How long a healthy stream takes
    depends on the machine and what else runs on it; a stall does not."""
    last = progress(settings, dedup, sent)
    while not wait_until(lambda: settled(settings, dedup, sent), timeout, 0.25):
        now = progress(settings, dedup, sent)
        assert now != last, f"the stream did not finish: no progress for {timeout:.0f} s at {now}"
        last = now


def assert_exactly_once(
    ledger: Ledger, sent: list[Sent], *, repeated_dead_letters: bool = False
) -> int:
    """Each message in exactly one final place and each good file's example exactly once;
    returns how many dead-letter copies were extra.

    ``repeated_dead_letters`` admits a second copy of a dead letter where the worker loses its
    connection (a kill, a broker restart) between the broker confirming the copy and the ack of
    the original: the redelivered original fails again. ``etl dlq`` lists and replays such
    copies once (see etl_core.transports.rabbitmq.dlq); the example invariants stay strict.
    """
    extra = 0
    for item in sent:
        mid = item.message.message_id
        state = ledger.completed[mid]
        copies = ledger.dead_letters[mid]
        if item.fate == "dead_letter":
            extra += max(0, copies - 1)
            if repeated_dead_letters:
                assert copies >= 1, f"{item.message.key} was never dead-lettered"
            else:
                assert copies == 1, f"{item.message.key}: {copies} dead-letter copies"
            assert ledger.dead_letter_types[mid] == "decode_error"
            assert state != "completed"
        else:
            assert state == "completed", f"{item.message.key}: {state}"
            assert copies == 0, f"{item.message.key} was dead-lettered too"
    assert set(ledger.dead_letters) <= {s.message.message_id for s in sent}
    # Examples are built per window from every record the person's files brought, so the
    # current examples must be exactly what ``etl run`` makes of the good files: a lost file
    # changes a window; a window built twice, or a stale revision left current, shows as a
    # difference.
    assert stable_examples(ledger.examples) == stable_examples(ledger.expected_examples)
    assert all(n == 0 for q, n in ledger.queues.items() if "failed" not in q), ledger.queues
    return extra


def quarantined_keys(moto: MotoS3Server, bucket: str) -> list[str]:
    client = moto.client()
    keys: list[str] = []
    for page in client.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix="quarantine/"
    ):
        keys.extend(item["Key"] for item in page.get("Contents", ()))
    return keys


# -- faults -----------------------------------------------------------------------------------


def rabbitmqctl(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["rabbitmqctl", *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def broker_app_running() -> bool:
    return rabbitmqctl("-q", "await_startup", "--timeout", "5", timeout=30).returncode == 0


@contextmanager
def broker_restarted_once(stopped_for: float) -> Iterator[Callable[[Callable[[], None]], None]]:
    """Yields ``restart(while_stopped)``: ``rabbitmqctl stop_app``, ``while_stopped()``, a
    pause, ``start_app``. The broker is started again on the way out whatever happened, and
    awaited."""
    state = {"stopped": False}

    def restart(while_stopped: Callable[[], None] = lambda: None) -> None:
        done = rabbitmqctl("stop_app")
        assert done.returncode == 0, done.stderr
        state["stopped"] = True
        while_stopped()
        time.sleep(stopped_for)
        done = rabbitmqctl("start_app")
        assert done.returncode == 0, done.stderr
        state["stopped"] = False
        assert broker_app_running()

    try:
        yield restart
    finally:
        if state["stopped"] or not broker_app_running():
            rabbitmqctl("start_app")
            rabbitmqctl("await_startup", "--timeout", "60", timeout=90)


class RestartableMotoServer(MotoS3Server):
    """moto's S3 server that can be stopped and started again on the same port; moto keeps its
    buckets in process memory, so they survive the outage as S3's would."""

    def __init__(self) -> None:
        super().__init__()
        self._host, port_text = self.endpoint_url.removeprefix("http://").split(":")
        self._port = int(port_text)

    def start_again(self) -> None:
        from moto.server import ThreadedMotoServer

        class Server(ThreadedMotoServer):
            def _server_entry(self) -> None:
                from moto.moto_server.werkzeug_app import (
                    DomainDispatcherApplication,
                    MotoRequestHandler,
                    create_backend_app,
                )
                from werkzeug.serving import make_server

                app = SerialisedConditionalWrites(DomainDispatcherApplication(create_backend_app))
                self._server = make_server(
                    self._ip_address, self._port, app, True, request_handler=MotoRequestHandler
                )
                self._server_ready_event.set()
                self._server.serve_forever()

        deadline = time.monotonic() + 30
        while True:
            server = Server(ip_address=self._host, port=self._port, verbose=False)
            try:
                server.start()
                break
            except OSError:  # the old socket may linger for a moment
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        self._server = cast(Any, server)
        self.running = True


@contextmanager
def private_redis(folder: Path) -> Iterator[str]:
    """A ``redis-server`` of this test alone, on a free loopback port, keeping nothing on disk;
    yields its URL. ``CLIENT PAUSE`` is server-wide: on the machine's shared Redis it would
    stall every other suite running at that moment."""
    import redis

    binary = shutil.which("redis-server")
    if binary is None:
        unavailable("redis-server is not installed (Debian package redis-server)")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [
            binary,
            *("--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder)),
            *("--save", "", "--appendonly", "no", "--protected-mode", "no"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)

    def answers() -> bool:
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False

    try:
        if not wait_until(lambda: answers() or server.poll() is not None, 60, 0.05):
            raise AssertionError("the test's redis-server did not answer within 60 s")
        if server.poll() is not None:
            raise AssertionError(f"the test's redis-server exited with {server.returncode}")
        yield url
    finally:
        client.close()
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def pause_redis(client: Any, seconds: float) -> None:
    """``CLIENT PAUSE`` of writes for ``seconds`` (Redis lifts it by itself): claims and
    completions block, and time out in the workers when the pause outlasts their socket
    timeout."""
    client.execute_command("CLIENT", "PAUSE", str(int(seconds * 1000)), "WRITE")


def cut_off_postgres(url: str, table: str, seconds: float) -> None:
    """Lock the dedup table for ``seconds`` and terminate every session that queues behind the
    lock (the workers see broken connections, as in a failover), then release it. Only
    sessions waiting on this test's own table are touched."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as holder, engine.connect() as killer:
            holder.execute(text(f"lock table {table} in access exclusive mode"))
            oid = killer.execute(
                text("select cast(:t as regclass)::oid"), {"t": table}
            ).scalar_one()
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                killer.execute(
                    text(
                        "select pg_terminate_backend(pid) from pg_locks "
                        "where relation = :oid and not granted and pid <> pg_backend_pid()"
                    ),
                    {"oid": oid},
                )
                killer.commit()
                time.sleep(0.2)
            holder.rollback()
    finally:
        engine.dispose()


# -- workers ----------------------------------------------------------------------------------


class Worker:
    """``etl consume`` in a subprocess whose output goes to a file (a pipe nobody reads would
    fill up during a long outage and stall the worker)."""

    def __init__(self, settings: Settings, log: Path, threads: int = 4) -> None:
        self.log = log
        # A SIGKILL can cut even a single write() to a regular file where it crosses a page
        # boundary; end such a torn line so that this worker's lines start on their own.
        if log.exists() and not log.read_bytes().endswith(b"\n") and log.stat().st_size:
            with log.open("ab") as torn:
                torn.write(b"\n")
        self._output = log.open("ab")
        # INFO: one "decided" line per message (no health values), so that a test can see
        # which worker took which messages and that a fault made them retry.
        env = settings_env(settings) | {"ETL_LOG_LEVEL": "INFO"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "etl_core", "consume", "--threads", str(threads)],
            env=env,
            stdout=self._output,
            stderr=subprocess.STDOUT,
        )

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self, timeout: float = 60) -> int:
        """SIGTERM: drain and exit; returns the exit code."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)
        self._output.close()

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def decisions(self) -> Counter[str]:
        """The worker's decisions so far by action (ack, retry, dead_letter)."""
        found: Counter[str] = Counter()
        for line in self.output().splitlines():
            if '"decided"' in line:
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue  # the last line of a killed worker, torn (see __init__)
                found[entry["action"]] += 1
        return found


def decisions_of(started: list[Worker]) -> Counter[str]:
    return sum((w.decisions() for w in started), Counter())


@contextmanager
def workers(
    settings: Settings, folder: Path, count: int, threads: int = 2
) -> Iterator[list[Worker]]:
    started = [Worker(settings, folder / f"worker-{n}.log", threads) for n in range(count)]
    try:
        yield started
    finally:
        for worker in started:
            worker.close()


def stop_cleanly(started: list[Worker]) -> None:
    """SIGTERM each worker: each drains, exits 0 and printed no traceback."""
    for worker in started:
        worker.process.send_signal(signal.SIGTERM)
    for worker in started:
        code = worker.process.wait(timeout=60)
        output = worker.output()
        assert code == 0, output[-2000:]
        assert "Traceback" not in output, output[-4000:]
