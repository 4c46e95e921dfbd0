"""What the person's record history costs, against the floors measured in the same run.

    python benchmarks/history_bench.py [--json OUT.json] [--days 365]

- Per file: the 26 real exports through ``Pipeline.run`` without a history (each upload
  processed on its own) and with one (records merged, windows rebuilt once at the end), per
  file, against fastavro decoding the same bytes.
- A year of one person's daily overlapping exports (``synthetic_person``: 365 files of each
  record type) through ``etl run`` as a whole process, each record type alone (its plugin's
  cost) and all together, against a whole process that only decodes the same files with
  fastavro (the fastest of three such processes).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import fastavro
from floors import DECODE_ONLY

from etl_core.contract.model import UserContext
from etl_core.engine.pipeline import Job, Pipeline
from etl_core.engine.registry import load_plugins
from etl_core.observability.logs import configure_logging
from etl_core.settings import Settings
from etl_core.stores.dedup.sql import SqlDedupStore
from etl_core.stores.history.sql import SqlHistoryStore
from etl_core.stores.objects.base import LocalObjectStore
from etl_core.testing import real_samples, write_synthetic_person

SETTINGS = Settings(_env_file=None, pseudonym_key="bench")  # type: ignore[call-arg]


def per_file(files: list[tuple[str, bytes]], registry: Any, *, history: bool) -> float:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        dedup = SqlDedupStore.sqlite_file(root / "dedup.sqlite")
        store = SqlHistoryStore.sqlite_file(root / "history.sqlite") if history else None
        pipeline = Pipeline(
            registry,
            LocalObjectStore(root / "out"),
            dedup,
            SETTINGS,
            history=store,
            build_windows=False,
        )
        started = time.perf_counter()
        for name, data in files:
            pipeline.run(Job(data=data, bucket="bench", key=name, user_id="bench-user"))
        pipeline.rebuild_windows("bench-user", UserContext(), "bench")
        elapsed = time.perf_counter() - started
        dedup.close()
        if store is not None:
            store.close()
    return elapsed


def decode_seconds(files: list[tuple[str, bytes]]) -> float:
    started = time.perf_counter()
    for _, data in files:
        for _record in fastavro.reader(io.BytesIO(data)):
            pass
    return time.perf_counter() - started


def child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def whole_process(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of a command run to completion."""
    cpu_before = child_cpu()
    started = time.perf_counter()
    subprocess.run(command, check=True, env=env, capture_output=True)
    return time.perf_counter() - started, child_cpu() - cpu_before


def year_through_etl_run(paths: list[Path], scratch: Path) -> dict[str, Any]:
    """``etl run`` over ``paths`` as a whole process, against a whole process that only decodes
    them with fastavro."""
    env = {**os.environ, "ETL_PSEUDONYM_KEY": "bench"}
    out = scratch / "out"
    # The floor is cheap: the fastest of three, so that one slow run does not flatter the ratio.
    floor_wall, floor_cpu = min(
        (whole_process([sys.executable, "-c", DECODE_ONLY, *map(str, paths)], env) for _ in "abc"),
        key=lambda measured: measured[1],
    )
    run_wall, run_cpu = whole_process(
        [sys.executable, "-m", "etl_core", "run", *map(str, paths), "--out", str(out)], env
    )
    records = sum(1 for p in paths for _ in fastavro.reader(io.BytesIO(p.read_bytes())))
    examples = sum(
        len(p.read_text().splitlines()) for p in (out / "training").rglob("health_journal_*.jsonl")
    )
    return {
        "files": len(paths),
        "records_in_files": records,
        "examples": examples,
        "etl_run_wall_seconds": run_wall,
        "etl_run_cpu_seconds": run_cpu,
        "decode_floor_wall_seconds": floor_wall,
        "decode_floor_cpu_seconds": floor_cpu,
        "cpu_ratio": run_cpu / floor_cpu,
    }


def year_of_exports(days: int) -> dict[str, dict[str, Any]]:
    """A synthetic person's ``days`` of daily overlapping exports through ``etl run``: each
    record type's files alone (what its plugin costs), then all of them together."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        paths = write_synthetic_person(root / "exports", days)
        by_type: dict[str, list[Path]] = {}
        for path in paths:
            by_type.setdefault(path.name.split("_", 1)[0], []).append(path)
        results = {}
        for record_type, typed in sorted(by_type.items()):
            results[record_type] = year_through_etl_run(typed, root / record_type)
        results["all record types"] = year_through_etl_run(paths, root / "all")
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    configure_logging("WARNING")
    paths = real_samples()
    if not paths:
        print("the real samples (../shared/samples/health-connect) are not here", file=sys.stderr)
        return 2
    files = [(p.name, p.read_bytes()) for p in paths]
    registry = load_plugins()
    without = min(per_file(files, registry, history=False) for _ in range(args.repeat))
    with_history = min(per_file(files, registry, history=True) for _ in range(args.repeat))
    decode = min(decode_seconds(files) for _ in range(args.repeat))
    year = year_of_exports(args.days)
    results = {
        "real_files": len(files),
        "per_file_ms_without_history": 1000 * without / len(files),
        "per_file_ms_with_history": 1000 * with_history / len(files),
        "per_file_ms_decode_floor": 1000 * decode / len(files),
        "days": args.days,
        "year": year,
    }
    print(
        f"26 real files, per file: without history {results['per_file_ms_without_history']:.2f} "
        f"ms, with history {results['per_file_ms_with_history']:.2f} ms, fastavro decode "
        f"{results['per_file_ms_decode_floor']:.2f} ms"
    )
    for record_type, row in year.items():
        print(
            f"{args.days} days, {record_type}: {row['files']} files ({row['records_in_files']:,} "
            f"records, {row['examples']} examples): etl run {row['etl_run_wall_seconds']:.1f} s "
            f"wall, {row['etl_run_cpu_seconds']:.1f} s CPU; decode-only process "
            f"{row['decode_floor_cpu_seconds']:.2f} s CPU; ratio {row['cpu_ratio']:.1f}x"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
