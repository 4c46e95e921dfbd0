"""Latency of the dedup stores' operations on this machine (the issue's target: a claim well
under 10 ms), and of the S3 store on moto's server for scale.

    python benchmarks/dedup_stores.py [--n 500] [--threads 4]

Needs the services tests use (Redis on 6379, PostgreSQL on 5432); a missing one is reported
and skipped. Each run uses its own Redis key prefix and PostgreSQL schema and removes them.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path

from etl_core.stores.dedup import DedupStore, new_owner_token
from etl_core.stores.dedup.redis import RedisDedupStore
from etl_core.stores.dedup.sql import SqlDedupStore

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
REDIS = "redis://127.0.0.1:6379/0"


def timed(operation: Callable[[int], object], n: int, threads: int) -> list[float]:
    def one(index: int) -> float:
        started = time.perf_counter()
        operation(index)
        return (time.perf_counter() - started) * 1000

    if threads == 1:
        return [one(i) for i in range(n)]
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(one, range(n)))


def describe(samples: list[float]) -> str:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p95 = ordered[int(0.95 * (len(ordered) - 1))]
    return f"p50 {p50:6.2f} ms  p95 {p95:6.2f} ms  max {ordered[-1]:6.2f} ms"


@contextmanager
def sqlite_store() -> Iterator[DedupStore]:
    with tempfile.TemporaryDirectory() as folder:
        store = SqlDedupStore.sqlite_file(Path(folder) / "dedup.sqlite")
        yield store
        store.close()


@contextmanager
def postgres_store() -> Iterator[DedupStore]:
    from sqlalchemy import create_engine, text

    schema = f"etl_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES, connect_args={"connect_timeout": 2})
    with admin.begin() as connection:
        connection.execute(text(f'create schema "{schema}"'))
    store = SqlDedupStore(f"{POSTGRES}?options=-csearch_path%3D{schema}")
    try:
        yield store
    finally:
        store.close()
        with admin.begin() as connection:
            connection.execute(text(f'drop schema "{schema}" cascade'))
        admin.dispose()


@contextmanager
def redis_store() -> Iterator[DedupStore]:
    import redis

    prefix = f"etl-bench:{uuid.uuid4().hex[:8]}:"
    store = RedisDedupStore(REDIS, key_prefix=prefix)
    if not store.ping():
        raise ConnectionError(f"Redis is not reachable at {REDIS}")
    try:
        yield store
    finally:
        store.close()
        client = redis.Redis.from_url(REDIS)
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()


def bench_store(name: str, store: DedupStore, n: int, threads: int) -> None:
    owner = new_owner_token()
    run = uuid.uuid4().hex[:6]
    for label, width in (("1 thread", 1), (f"{threads} threads", threads)):
        keys = [f"file:{run}:{width}:{i}" for i in range(n)]

        def claim(i: int, keys: list[str] = keys) -> object:
            return store.claim(keys[i], owner)

        def complete(i: int, keys: list[str] = keys) -> object:
            return store.complete(keys[i], owner, "processed", "Record")

        def claim_again(i: int, keys: list[str] = keys) -> object:
            return store.claim(keys[i], new_owner_token())

        claims = timed(claim, n, width)
        completes = timed(complete, n, width)
        repeats = timed(claim_again, n, width)
        print(f"{name:10} {label:10} claim new       {describe(claims)}")
        print(f"{name:10} {label:10} complete        {describe(completes)}")
        print(f"{name:10} {label:10} claim completed {describe(repeats)}")


def bench_s3(n: int) -> None:
    from moto.server import ThreadedMotoServer

    from etl_core.stores.objects.s3 import S3ObjectStore

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        store = S3ObjectStore(
            "etl-bench",
            endpoint_url=f"http://{host}:{port}",
            access_key="bench",
            secret_key="bench",
        )
        store._client.create_bucket(Bucket="etl-bench")
        body = b"x" * 20_000
        puts = timed(lambda i: store.put(f"k/{i}.json", body), n, 1)
        gets = timed(lambda i: store.get(f"k/{i}.json"), n, 1)
        print(f"{'s3 (moto)':10} {'1 thread':10} put 20 kB       {describe(puts)}")
        print(f"{'s3 (moto)':10} {'1 thread':10} get 20 kB       {describe(gets)}")
        store.close()
    finally:
        server.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500, help="operations per measurement")
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    makers = {"sqlite": sqlite_store, "postgresql": postgres_store, "redis": redis_store}
    for name, maker in makers.items():
        try:
            with ExitStack() as stack:
                store = stack.enter_context(maker())
                bench_store(name, store, args.n, args.threads)
        except Exception as exc:  # a missing service is reported, the others still run
            print(f"{name:10} skipped: {type(exc).__name__}: {exc}", file=sys.stderr)
    bench_s3(min(args.n, 200))
    return 0


if __name__ == "__main__":
    sys.exit(main())
