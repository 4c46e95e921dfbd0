"""Time the heart-rate processor on synthetic 1-second series of growing length.

A week of 1-second samples is 604,800 samples, packed as the phone exports them: one series
record per hour. The script prints the processing time at several sizes so that linear growth
(constant time per sample) is visible. Run:

    python etl_heartrate/benchmarks/bench_heartrate.py [--repeat N] [--pipeline]

``--pipeline`` also writes the week as an Avro file and times ``etl run`` on it (decode, core
validation, processing and writing the example, plus interpreter start-up).
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path
from typing import Any

from etl_core import UserContext, ValidationReport
from etl_core.contract.schemas import load_avsc
from etl_core.testing import build_batch, make_metadata, run_etl, write_avro
from etl_heartrate import plugin

START_MS = 1_758_344_400_000  # 2025-09-20 00:00 at -05:00
HOUR_MS = 3_600_000
SECONDS_PER_WEEK = 7 * 24 * 3600


def synthetic_bpm(second: int) -> int:
    """A daily rhythm (low at night), an hour of exercise each evening, and some jitter."""
    hour_of_day = (second // 3600) % 24
    base = 72 + 12 * math.sin((second % 86_400) / 86_400 * 2 * math.pi - math.pi / 2)
    exercise = 60 if hour_of_day == 18 else 0
    jitter = (second * 7919) % 7 - 3
    return int(base + exercise + jitter)


def hourly_records(samples: int) -> list[dict[str, Any]]:
    records = []
    for hour_start in range(0, samples, 3600):
        seconds = range(hour_start, min(hour_start + 3600, samples))
        records.append(
            {
                "metadata": make_metadata(f"bench-{hour_start}"),
                "startTimeEpochMillis": START_MS + hour_start * 1000,
                "endTimeEpochMillis": START_MS + hour_start * 1000 + HOUR_MS - 1,
                "startZoneOffsetId": "-05:00",
                "endZoneOffsetId": "-05:00",
                "appRecordFetchTimeEpochMillis": START_MS,
                "samples": [
                    {"timeEpochMillis": START_MS + s * 1000, "beatsPerMinute": synthetic_bpm(s)}
                    for s in seconds
                ],
            }
        )
    return records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per size; the best is shown")
    parser.add_argument("--pipeline", action="store_true", help="also time etl run on the week")
    args = parser.parse_args()
    spec = {s.name: s for s in plugin.etl_record_types()}["HeartRateRecord"]
    report = ValidationReport(findings=(), scores={}, quality_score=1.0, threshold=0.0)
    print(f"{'samples':>9} {'records':>8} {'best s':>8} {'us/sample':>10}")
    for fraction in (8, 4, 2, 1):
        samples = SECONDS_PER_WEEK // fraction
        batch = build_batch(
            "HeartRateRecord", hourly_records(samples), user=UserContext(age_years=45)
        )
        best = math.inf
        for _ in range(args.repeat):
            started = time.perf_counter()
            result = plugin.etl_process(batch=batch, spec=spec, validation=report)
            best = min(best, time.perf_counter() - started)
        assert result is not None and result.insights["samples"] == samples
        print(f"{samples:>9,} {len(batch.records):>8} {best:>8.3f} {best / samples * 1e6:>10.2f}")
    if args.pipeline:
        time_pipeline(SECONDS_PER_WEEK)


def time_pipeline(samples: int) -> None:
    schema = load_avsc("etl_heartrate", "HeartRateRecord.avsc")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "HeartRateRecord_1759000000000.avro"
        path.write_bytes(write_avro(schema, hourly_records(samples)))
        started = time.perf_counter()
        run_etl([path], Path(folder) / "out", "--age", "45")
        elapsed = time.perf_counter() - started
    print(f"etl run on {samples:,} samples ({path.name}): {elapsed:.3f} s")


if __name__ == "__main__":
    main()
