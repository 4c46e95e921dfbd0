"""End-to-end worker throughput and latency against a bare pika + S3 floor.

    python benchmarks/worker_bench.py [--copies 20] [--rounds 3] [--json OUT.json]

Real RabbitMQ (127.0.0.1:5672) and a moto S3 server started as a subprocess. Messages are the
26 real exports uploaded ``--copies`` times under different user ids (so none is a duplicate:
every message is fully processed). For 1 and 4 worker threads, two consumers drain the same
backlog through the same threaded pika consumer:

- ``floor``: per message only the S3 GET of the upload and one S3 PUT of the same size;
- ``engine``: the whole pipeline (download, dedup claim, decode, validate, process, emit,
  completion) with the installed plugins and a SQLite dedup store, each upload on its own;
- ``history``: the same with the person's record history in the path, as ``etl consume``
  runs (a SQLite history beside the dedup store): each upload merged into its person's
  history and settled; one window builder thread (``ETL_WINDOW_BUILDER_THREADS=1``) rebuilds
  the windows the uploads changed;
- ``processes``: the history with one window builder process instead of the thread
  (``ETL_WINDOW_BUILDER_PROCESSES=1``: an ``etl build-windows`` child, its start-up timed);
- ``inline``: the history with windows rebuilt on the message path, before each upload
  settles (``ETL_WINDOW_BUILDER_THREADS=0``).

Throughput is messages per second until the backlog is drained and, with a history, every
window it changed is built; latency is per message, from the worker taking it to its
decision (queueing excluded: the backlog is there from the start).
Every mode runs ``--rounds`` times, the modes interleaved; a mode's row is its median round,
and its share of the floor is the median of the shares of each round (engine and floor of
the same round), printed with their range.
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import boto3
import pika

from etl_core.engine.pipeline import Pipeline
from etl_core.engine.registry import load_plugins
from etl_core.engine.window_processes import WindowBuilderProcesses
from etl_core.engine.window_queue import WindowQueue
from etl_core.observability.logs import configure_logging
from etl_core.settings import Settings
from etl_core.stores.dedup.sql import SqlDedupStore
from etl_core.stores.factory import SourceStores, open_object_store
from etl_core.stores.history.sql import SqlHistoryStore
from etl_core.testing import real_samples
from etl_core.transports.handler import Action, Decision, MessageHandler
from etl_core.transports.rabbitmq.consumer import Consumer, wait_until
from etl_core.transports.rabbitmq.publisher import prepare_upload, publish_message
from etl_core.transports.rabbitmq.topology import Topology

MODES = ("floor", "engine", "history", "processes", "inline")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_moto() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    executable = shutil.which("moto_server") or str(Path(sys.executable).parent / "moto_server")
    process = subprocess.Popen(
        [executable, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return process, endpoint
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("moto_server did not start")


class Timed:
    """Wraps a handler and records each message's handling time."""

    def __init__(self, handle: Callable[..., Decision]) -> None:
        self._handle = handle
        self.latencies: list[float] = []
        self._lock = threading.Lock()

    def handle(
        self, body: bytes, headers: Mapping[str, Any] | None = None, **properties: Any
    ) -> Decision:
        started = time.perf_counter()
        decision = self._handle(body, headers, **properties)
        with self._lock:
            self.latencies.append(time.perf_counter() - started)
        return decision


class FloorHandler:
    """Only what any worker must do per message: read the upload, write one object."""

    def __init__(self, store: Any) -> None:
        self.store = store

    def handle(
        self, body: bytes, headers: Mapping[str, Any] | None = None, **properties: Any
    ) -> Decision:
        message = json.loads(body)
        data = self.store.get(message["key"])
        self.store.put(f"floor/{message['message_id']}.bin", data)
        return Decision(Action.ACK, "floor")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * (len(ordered) - 1) + 0.5))]


def run_case(
    mode: str,
    threads: int,
    endpoint: str,
    files: list[tuple[str, bytes]],
    copies: int,
    builders: int = 1,
) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:10]
    bucket = f"bench-{tag}"
    state = Path(tempfile.mkdtemp(prefix="etl-bench-"))
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        exchange_name=f"bench_{tag}",
        queue_name=f"bench_{tag}_q",
        failed_queue_name=f"bench_{tag}_failed",
        s3_endpoint_url=endpoint,
        s3_access_key="bench",
        s3_secret_key="bench",
        s3_bucket_name=bucket,
        pseudonym_key="bench",
        retry_delays_ms=(500, 1000, 2000),
    )
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
        region_name="us-east-1",
    )
    s3.create_bucket(Bucket=bucket)
    store = open_object_store(settings, bucket, pool_size=threads)
    topology = Topology.from_settings(settings)
    connection = pika.BlockingConnection(pika.URLParameters(settings.rabbitmq_url))
    channel = connection.channel()
    topology.declare(channel)
    channel.confirm_delivery()
    total = 0
    for copy in range(copies):
        for name, data in files:
            upload = prepare_upload(
                data, name, user_id=f"bench-user-{copy}", bucket=bucket, pseudonym_key=b"bench"
            )
            store.put(upload.message.key, data)
            publish_message(channel, topology.exchange, upload.message)
            total += 1

    dedup = SqlDedupStore.sqlite_file(state / "dedup.sqlite")
    history = (
        SqlHistoryStore.sqlite_file(state / "history.sqlite")
        if mode in ("history", "processes", "inline")
        else None
    )
    window_queue: WindowQueue | WindowBuilderProcesses | None = None
    if mode == "floor":
        timed = Timed(FloorHandler(store).handle)
    else:
        pipeline = Pipeline(load_plugins(), store, dedup, settings, history=history)
        if mode == "history":
            window_queue = pipeline.defer_windows(builders)
        elif mode == "processes":
            environment = settings.environment()
            environment["ETL_HISTORY_URL"] = f"sqlite:///{state / 'history.sqlite'}"
            environment["ETL_LOG_LEVEL"] = "ERROR"
            window_queue = WindowBuilderProcesses(
                builders, environment=environment, sweep_seconds=1.0
            )
            pipeline.defer_windows_to(window_queue)
        sources = SourceStores(settings, pool_size=threads, known={bucket: store})
        timed = Timed(MessageHandler(pipeline, sources.get, settings).handle)
    consumer = Consumer(timed, settings, threads)  # type: ignore[arg-type]
    worker = threading.Thread(target=consumer.run, daemon=True)
    started = time.perf_counter()
    if window_queue is not None:
        window_queue.start()
    worker.start()

    settled_at: list[float] = []

    def drained() -> bool:
        if consumer.decisions["ack"] + consumer.decisions["dead_letter"] < total:
            return False
        if not settled_at:
            settled_at.append(time.perf_counter() - started)
        if window_queue is None or history is None:
            return True
        if isinstance(window_queue, WindowQueue) and not window_queue.idle():
            return False
        return not history.pending_people()

    finished = wait_until(drained, 600, 0.01)
    elapsed = time.perf_counter() - started
    consumer.stop()
    worker.join(timeout=60)
    if window_queue is not None:
        window_queue.stop()
    dedup.close()
    if history is not None:
        history.close()
    topology.delete(channel)
    connection.close()
    shutil.rmtree(state, ignore_errors=True)
    if not finished:
        raise RuntimeError(f"{mode} with {threads} threads did not drain {total} messages")
    return {
        "mode": mode,
        "threads": threads,
        "messages": total,
        "seconds": elapsed,
        "messages_settled_seconds": settled_at[0] if settled_at else elapsed,
        "messages_per_second": total / elapsed,
        "p50_ms": percentile(timed.latencies, 0.50) * 1000,
        "p95_ms": percentile(timed.latencies, 0.95) * 1000,
        "decisions": dict(consumer.decisions),
    }


def combine(rounds: list[dict[str, Any]], floors: list[dict[str, Any]]) -> dict[str, Any]:
    """One mode's rounds as one row: the median round (by throughput), with every round's
    throughput and its share of the floor measured in the same round beside it."""
    ordered = sorted(rounds, key=lambda row: row["messages_per_second"])
    row = dict(ordered[len(ordered) // 2])
    row["rounds_messages_per_second"] = [r["messages_per_second"] for r in rounds]
    row["rounds_share_of_floor"] = [
        r["messages_per_second"] / f["messages_per_second"]
        for r, f in zip(rounds, floors, strict=True)
    ]
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=20, help="uploads of each real file")
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--window-builders",
        type=int,
        default=1,
        help="window builder threads of the history mode (ETL_WINDOW_BUILDER_THREADS), "
        "processes of the processes mode (ETL_WINDOW_BUILDER_PROCESSES)",
    )
    parser.add_argument(
        "--threads", type=int, nargs="+", default=[1, 4], help="worker thread counts to measure"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="rounds of every mode, interleaved (a shared machine's speed drifts between runs)",
    )
    args = parser.parse_args()
    configure_logging("ERROR")
    paths = real_samples()
    if not paths:
        print("the real samples (../shared/samples/health-connect) are not here", file=sys.stderr)
        return 2
    files = [(p.name, p.read_bytes()) for p in paths]
    moto, endpoint = start_moto()
    measured: dict[tuple[str, int], list[dict[str, Any]]] = {}
    try:
        for threads in args.threads:
            for round_index in range(args.rounds):
                # Each round starts with another mode, so that none always runs first.
                shift = round_index % len(MODES)
                for mode in (*MODES[shift:], *MODES[:shift]):
                    row = run_case(
                        mode, threads, endpoint, files, args.copies, args.window_builders
                    )
                    measured.setdefault((mode, threads), []).append(row)
                    print(
                        f"round {round_index + 1}: {mode:>7} {threads} thread(s): "
                        f"{row['messages']} messages in {row['seconds']:.2f} s "
                        f"(settled in {row['messages_settled_seconds']:.2f} s) = "
                        f"{row['messages_per_second']:.1f} msg/s, p50 {row['p50_ms']:.1f} ms, "
                        f"p95 {row['p95_ms']:.1f} ms {row['decisions']}"
                    )
    finally:
        moto.terminate()
        moto.wait(timeout=30)
    rows = []
    for threads in args.threads:
        floors = measured[("floor", threads)]
        for mode in MODES:
            rows.append(combine(measured[(mode, threads)], floors))
        for mode in MODES[1:]:
            shares = rows[-len(MODES) + MODES.index(mode)]["rounds_share_of_floor"]
            print(
                f"{threads} thread(s): {mode} reaches {statistics.median(shares):.0%} of the "
                f"floor's throughput (rounds {min(shares):.0%}-{max(shares):.0%}; goal >= 80%)"
            )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
