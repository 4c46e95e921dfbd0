"""Time the glucose processor on synthetic 5-minute CGM traces of 1k, 10k and 100k readings.

Run: ``python etl_glucose/benchmarks/bench_glucose.py``. Prints the best of several runs of
``etl_process`` and the cost per reading, which stays roughly flat when the work grows linearly
with readings. ``--pipeline`` also times ``etl run`` on an Avro file of each size (core's
decoding, validation and output included; wall time of one subprocess run).
"""

from __future__ import annotations

import math
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from etl_core import UserContext, ValidationReport
from etl_core.testing import build_batch, make_metadata, run_etl, write_avro
from etl_glucose import plugin

SIZES = (1_000, 10_000, 100_000)
REPEATS = 5
START_MS = 1_735_689_600_000  # 2025-01-01T00:00:00Z
STEP_MS = 300_000


def synthetic_records(count: int, seed: int = 7) -> list[dict[str, Any]]:
    """A daily rhythm with meal peaks, noise and occasional lows, clipped to the CGM range."""
    rng = random.Random(seed)
    records = []
    for i in range(count):
        minutes = (i * 5) % 1440
        meal = sum(70 * math.exp(-(((minutes - m) / 45) ** 2)) for m in (480, 750, 1140))
        level = 105 + meal + 12 * math.sin(i / 50) + rng.gauss(0, 10)
        if rng.random() < 0.002:
            level -= 60
        records.append(
            {
                "metadata": make_metadata(f"bench-{i}", origin="com.example.cgm"),
                "timeEpochMillis": START_MS + i * STEP_MS + rng.randint(-2_000, 2_000),
                "zoneOffsetId": "Z",
                "levelInMilligramsPerDeciliter": float(round(min(400.0, max(40.0, level)))),
                "specimenSource": "INTERSTITIAL_FLUID",
                "mealType": "UNKNOWN",
                "relationToMeal": "UNKNOWN",
                "appRecordFetchTimeEpochMillis": START_MS,
            }
        )
    return records


def time_pipeline() -> None:
    [spec] = plugin.etl_record_types()
    assert spec.reader_schema is not None
    print("etl run (whole pipeline, one subprocess):")
    for size in SIZES:
        with tempfile.TemporaryDirectory() as folder:
            source = Path(folder) / f"BloodGlucoseRecord_{START_MS}.avro"
            source.write_bytes(write_avro(spec.reader_schema, synthetic_records(size)))
            began = time.perf_counter()
            run_etl([source], Path(folder) / "out")
            print(f"  {size:>7,} readings: {(time.perf_counter() - began) * 1000:8.1f} ms")


def main() -> int:
    [spec] = plugin.etl_record_types()
    validation = ValidationReport(findings=[], scores={}, quality_score=1.0, threshold=0.7)
    print("etl_process:")
    for zone in (None, ZoneInfo("America/Chicago")):
        label = zone.key if zone else "UTC fallback"
        print(f" zone: {label}")
        for size in SIZES:
            batch = build_batch(
                "BloodGlucoseRecord", synthetic_records(size), user=UserContext(timezone=zone)
            )
            best = math.inf
            for _ in range(REPEATS):
                began = time.perf_counter()
                result = plugin.etl_process(batch, spec, validation)
                best = min(best, time.perf_counter() - began)
            assert result is not None
            print(
                f"  {size:>7,} readings: {best * 1000:8.1f} ms"
                f"  ({best / size * 1e6:5.2f} us/reading)"
            )
    if "--pipeline" in sys.argv[1:]:
        time_pipeline()
    return 0


if __name__ == "__main__":
    sys.exit(main())
