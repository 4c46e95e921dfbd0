"""Whole processes against their floors, measured side by side in one run (CPU seconds and
peak RSS of each child process, median of ``--repeat`` runs):

- ``etl --version`` and ``etl plugins`` against ``python -c pass``;
- ``etl run`` over the 26 real exports against a process that only decodes them with fastavro;
- ``etl run`` over one 100,000-reading glucose export (the real exporter's schema) against a
  process that only decodes it.

    python benchmarks/process_bench.py [--json OUT.json] [--repeat 3] [--readings 100000]

Prints each ratio beside the issue's goal; nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from floors import DECODE_ONLY

from etl_core.testing import make_metadata, real_samples, write_health_connect

GOALS = {"version": None, "plugins": None, "real_files": 4.0, "glucose_100k": 2.0}


LAUNCHER = (
    "import json, os, subprocess, sys\n"
    "for line in sys.stdin:\n"
    "    command, env = json.loads(line)\n"
    "    child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,\n"
    "                             stderr=subprocess.PIPE)\n"
    "    error = child.stderr.read()[-500:].decode(errors='replace')\n"
    "    _, status, usage = os.wait4(child.pid, 0)\n"
    "    print(json.dumps([os.waitstatus_to_exitcode(status),\n"
    "                      usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, error]),\n"
    "          flush=True)\n"
)
"""Starts every measured process from a bare interpreter: a child's peak RSS counts the memory
of the process it was forked from, which here would be this benchmark with etl_core loaded."""


class Launcher:
    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", LAUNCHER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def run(self, command: list[str], env: dict[str, str]) -> tuple[float, float]:
        """CPU seconds and peak RSS (MiB) of one child process run to completion."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps([command, env]) + "\n")
        self.process.stdin.flush()
        code, seconds, peak, error = json.loads(self.process.stdout.readline())
        if code not in (0, 1):  # 1: some files failed, still a whole run
            raise SystemExit(f"{' '.join(command[:4])} exited {code}: {error}")
        return seconds, peak

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait()


LAUNCH = Launcher()


def median_of(
    repeat: int, command: list[str], env: dict[str, str], fresh: Path | None
) -> dict[str, float]:
    cpu, rss = [], []
    for attempt in range(repeat):
        args = [*command, "--out", str(fresh / str(attempt))] if fresh else command
        seconds, peak = LAUNCH.run(args, env)
        cpu.append(seconds)
        rss.append(peak)
    return {"cpu_seconds": statistics.median(cpu), "peak_rss_mib": statistics.median(rss)}


def glucose_export(readings: int, folder: Path) -> Path:
    """One CGM export of ``readings`` five-minute readings, as the real exporter writes it."""
    start = 1_758_400_000_000
    records = [
        {
            "metadata": make_metadata(f"g{i}", "com.dexcom.stelo", start + i * 300_000),
            "timeEpochMillis": start + i * 300_000,
            "zoneOffsetId": "Z",
            "levelInMilligramsPerDeciliter": float(90 + (i * 37) % 120),
            "specimenSource": "INTERSTITIAL_FLUID",
            "mealType": "UNKNOWN",
            "relationToMeal": "UNKNOWN",
            "appRecordFetchTimeEpochMillis": start + readings * 300_000,
        }
        for i in range(readings)
    ]
    path = folder / f"BloodGlucoseRecord_{start}.avro"
    path.write_bytes(write_health_connect("BloodGlucoseRecord", records))
    return path


def compare(name: str, engine: dict[str, float], floor: dict[str, float]) -> dict[str, Any]:
    return {
        "name": name,
        "engine": engine,
        "floor": floor,
        "cpu_ratio": engine["cpu_seconds"] / floor["cpu_seconds"],
        "memory_ratio": engine["peak_rss_mib"] / floor["peak_rss_mib"],
        "goal": GOALS.get(name),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--readings", type=int, default=100_000)
    args = parser.parse_args()
    env = {**os.environ, "ETL_PSEUDONYM_KEY": "bench-process-key", "ETL_ENABLE_METRICS": "false"}
    etl = [sys.executable, "-m", "etl_core"]
    python_pass = median_of(args.repeat, [sys.executable, "-c", "pass"], env, None)
    real = [str(path) for path in real_samples()]
    rows = [
        compare("version", median_of(args.repeat, [*etl, "--version"], env, None), python_pass),
        compare("plugins", median_of(args.repeat, [*etl, "plugins"], env, None), python_pass),
    ]
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        rows.append(
            compare(
                "real_files",
                median_of(args.repeat, [*etl, "run", *real], env, root / "real"),
                median_of(args.repeat, [sys.executable, "-c", DECODE_ONLY, *real], env, None),
            )
        )
        glucose = str(glucose_export(args.readings, root))
        rows.append(
            compare(
                "glucose_100k",
                median_of(args.repeat, [*etl, "run", glucose], env, root / "glucose"),
                median_of(args.repeat, [sys.executable, "-c", DECODE_ONLY, glucose], env, None),
            )
        )
    LAUNCH.close()
    result = {"readings": args.readings, "real_files": len(real), "rows": rows}
    for row in rows:
        goal = f"goal <= {row['goal']:.1f}x" if row["goal"] else ""
        print(
            f"{row['name']:>13}: {row['engine']['cpu_seconds']:.3f} s CPU, "
            f"{row['engine']['peak_rss_mib']:.0f} MiB | floor {row['floor']['cpu_seconds']:.3f} s, "
            f"{row['floor']['peak_rss_mib']:.0f} MiB | {row['cpu_ratio']:.1f}x CPU, "
            f"{row['memory_ratio']:.1f}x memory {goal}"
        )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
