"""Peak memory of a 4-thread worker on large uploads, with and without the byte budget.

Eight glucose files of 100,000 readings (about 6.4 MB each) go through ``Pipeline.run`` on four
threads, each run holding its file's bytes of a :class:`~etl_core.engine.budget.ByteBudget` as the
worker does. Each budget runs in a fresh process, so its peak RSS is its own; the floor is the
same process before any file is decoded.

    python benchmarks/memory_budget.py
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from pipeline_bench import SETTINGS, glucose_file
from report import memory_table

from etl_core.engine.budget import ByteBudget
from etl_core.engine.pipeline import Job, Pipeline
from etl_core.engine.registry import load_plugins
from etl_core.observability.logs import configure_logging
from etl_core.stores.dedup.sql import SqlDedupStore
from etl_core.stores.objects.base import LocalObjectStore

FILES = 8
READINGS = 100_000
THREADS = 4


def measure(folder: Path, budget_mb: float) -> dict[str, float]:
    """One configuration, in this process: the files are read from ``folder``."""
    configure_logging("WARNING")
    registry = load_plugins()
    files = sorted(folder.glob("*.avro"))
    floor_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    budget = ByteBudget(round(budget_mb * 2**20))
    with tempfile.TemporaryDirectory() as out:
        dedup = SqlDedupStore.sqlite_file(Path(out) / "dedup.sqlite")
        pipeline = Pipeline(registry, LocalObjectStore(Path(out) / "out"), dedup, SETTINGS)

        def work(path: Path) -> str:
            size = path.stat().st_size
            with budget.held(size):
                data = path.read_bytes()
                job = Job(data=data, bucket="bench", key=path.name, user_id="bench-user")
                return str(pipeline.run(job).status)

        started = time.perf_counter()
        with ThreadPoolExecutor(THREADS) as pool:
            statuses = list(pool.map(work, files))
        seconds = time.perf_counter() - started
        dedup.close()
    assert statuses == ["processed"] * len(files), statuses
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "files": len(files),
        "threads": THREADS,
        "file_mb": files[0].stat().st_size / 2**20,
        "budget_mb": budget_mb,
        "seconds": seconds,
        "floor_mib": floor_kib / 1024,
        "growth_mib": (peak_kib - floor_kib) / 1024,
        "peak_inflight_mb": budget.peak_bytes / 2**20,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs=2, metavar=("FOLDER", "BUDGET_MB"), help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(Path(args.child[0]), float(args.child[1]))))
        return 0
    with tempfile.TemporaryDirectory() as folder:
        for n in range(FILES):
            data = glucose_file(READINGS + n)  # distinct record sets: no duplicate content
            (Path(folder) / f"BloodGlucoseRecord_{n}.avro").write_bytes(data)
        size_mb = (Path(folder) / "BloodGlucoseRecord_0.avro").stat().st_size / 2**20
        rows = []
        # No practical bound, room for two files, room for one (the rest wait or run alone).
        for budget_mb in (1024.0, 2.5 * size_mb, 1.0):
            child = subprocess.run(
                [sys.executable, __file__, "--child", folder, str(budget_mb)],
                capture_output=True,
                text=True,
                check=True,
            )
            rows.append(json.loads(child.stdout))
    print("\n".join(memory_table(rows)).strip())
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
