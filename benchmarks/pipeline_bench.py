"""In-process pipeline speed against its floor, scaling, and the original targets.

    python benchmarks/pipeline_bench.py [--json OUT.json]

- The 26 real exports through ``Pipeline.run`` (fresh output and dedup each repetition)
  against fastavro decoding the same bytes and nothing else: the ratio says what the engine
  adds on top of the unavoidable decode.
- Glucose files of 1k, 10k and 100k readings through the pipeline: time and peak memory.
- The integration guide's targets, measured.
Best of several repetitions; prints a table and optionally writes the numbers as JSON.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import fastavro

from etl_core.engine.pipeline import Job, Pipeline
from etl_core.engine.registry import load_plugins
from etl_core.observability.logs import configure_logging
from etl_core.settings import Settings
from etl_core.stores.dedup import new_owner_token
from etl_core.stores.dedup.sql import SqlDedupStore
from etl_core.stores.objects.base import LocalObjectStore
from etl_core.testing import make_metadata, real_samples, write_health_connect

SETTINGS = Settings(_env_file=None, pseudonym_key="bench")  # type: ignore[call-arg]


def best_of(repeat: int, run: Callable[[], float]) -> float:
    return min(run() for _ in range(repeat))


def pipeline_seconds(files: list[tuple[str, bytes]], registry: Any) -> tuple[float, Any]:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        dedup = SqlDedupStore.sqlite_file(root / "dedup.sqlite")
        pipeline = Pipeline(registry, LocalObjectStore(root / "out"), dedup, SETTINGS)
        started = time.perf_counter()
        outcomes = [
            pipeline.run(Job(data=data, bucket="bench", key=name, user_id="bench-user"))
            for name, data in files
        ]
        elapsed = time.perf_counter() - started
        dedup.close()
    return elapsed, outcomes


def decode_only_seconds(files: list[tuple[str, bytes]]) -> float:
    started = time.perf_counter()
    for _, data in files:
        for _record in fastavro.reader(io.BytesIO(data)):
            pass
    return time.perf_counter() - started


def glucose_file(readings: int) -> bytes:
    start = 1_758_400_000_000
    records = [
        {
            "metadata": make_metadata(f"g{i}", "com.dexcom.stelo", start),
            "timeEpochMillis": start + i * 300_000,
            "zoneOffsetId": "-05:00",
            "levelInMilligramsPerDeciliter": float(100 + (i * 37) % 120),
            "specimenSource": "INTERSTITIAL_FLUID",
            "mealType": "UNKNOWN",
            "relationToMeal": "UNKNOWN",
            "appRecordFetchTimeEpochMillis": start + readings * 300_000,
        }
        for i in range(readings)
    ]
    return write_health_connect("BloodGlucoseRecord", records)


def scaling(registry: Any, sizes: list[int]) -> list[dict[str, float]]:
    rows = []
    for size in sizes:
        data = glucose_file(size)
        files = [(f"BloodGlucoseRecord_{size}.avro", data)]
        seconds = best_of(
            3 if size <= 10_000 else 2, lambda f=files: pipeline_seconds(f, registry)[0]
        )
        tracemalloc.start()
        pipeline_seconds(files, registry)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rows.append({"readings": size, "seconds": seconds, "peak_mib": peak / 2**20})
    return rows


def dedup_claim_ms(n: int = 300) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        store = SqlDedupStore.sqlite_file(Path(folder) / "d.sqlite")
        times = []
        for i in range(n):
            started = time.perf_counter()
            store.claim(f"bench:{i}", new_owner_token())
            times.append((time.perf_counter() - started) * 1000)
        store.close()
    times.sort()
    return {"p50": statistics.median(times), "p95": times[int(0.95 * (n - 1))]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    configure_logging("WARNING")

    paths = real_samples()
    if not paths:
        print("the real samples (../shared/samples/health-connect) are not here", file=sys.stderr)
        return 2
    files = [(p.name, p.read_bytes()) for p in paths]
    registry = load_plugins()
    plugins = sorted(name for name, info in registry.plugins.items() if not info.builtin)

    pipeline_best = best_of(args.repeat, lambda: pipeline_seconds(files, registry)[0])
    decode_best = best_of(args.repeat, lambda: decode_only_seconds(files))
    _, outcomes = pipeline_seconds(files, registry)
    emit_ms = max((o.timings.get("emit", 0.0) for o in outcomes), default=0.0) * 1000
    records = sum(o.records for o in outcomes)

    sizes = scaling(registry, [1_000, 10_000, 100_000])
    five_hundred = next(r for r in scaling(registry, [500]))
    claim = dedup_claim_ms()

    results = {
        "plugins": plugins,
        "real_files": len(files),
        "real_records": records,
        "pipeline_seconds": pipeline_best,
        "decode_only_seconds": decode_best,
        "ratio": pipeline_best / decode_best,
        "scaling": sizes,
        "targets": {
            "500_records_seconds": five_hundred["seconds"],
            "all_26_files_seconds": pipeline_best,
            "dedup_claim_ms_p50": claim["p50"],
            "dedup_claim_ms_p95": claim["p95"],
            "training_write_ms_max": emit_ms,
        },
    }
    print(f"plugins: {', '.join(plugins) or '(none: generic fallback)'}")
    print(
        f"26 real files ({records} records): pipeline {pipeline_best * 1000:.1f} ms, "
        f"fastavro decode only {decode_best * 1000:.1f} ms, ratio {results['ratio']:.1f}x"
    )
    for row in sizes:
        print(
            f"glucose {row['readings']:>7,} readings: {row['seconds'] * 1000:8.1f} ms, "
            f"peak {row['peak_mib']:6.1f} MiB"
        )
    print(
        f"500 records: {five_hundred['seconds'] * 1000:.1f} ms; dedup claim p50 "
        f"{claim['p50']:.2f} ms p95 {claim['p95']:.2f} ms; slowest training write {emit_ms:.2f} ms"
    )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
