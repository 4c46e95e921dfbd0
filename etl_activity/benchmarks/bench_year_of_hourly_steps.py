"""Time the plugin on a year of hourly step records (prints timings; asserts nothing).

Run: python etl_activity/benchmarks/bench_year_of_hourly_steps.py [--cli]

Scenarios: one phone writing 8,760 hourly records; the same plus a ring writing a whole-day
total every day (two sources per day); the same plus a duplicated copy of every hourly record
(overlaps within one source). ``--cli`` also times ``etl run`` on the first scenario written as
an Avro file.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from etl_activity.measures import STEPS
from etl_activity.report import process_records
from etl_activity.source_rule import SourceRule
from etl_activity.specs import STEPS_SPEC
from etl_core import UserContext
from etl_core.testing import make_metadata, run_etl, write_avro

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
START_MS = int(datetime(2024, 9, 1, 5, tzinfo=UTC).timestamp() * 1000)  # local midnight, -05:00
FETCH_MS = START_MS + 366 * DAY_MS


def steps_record(record_id: str, source: str, start: int, end: int, count: int) -> dict[str, Any]:
    return {
        "metadata": make_metadata(record_id, origin=source, last_modified_ms=FETCH_MS),
        "startTimeEpochMillis": start,
        "endTimeEpochMillis": end,
        "startZoneOffsetId": "-05:00",
        "endZoneOffsetId": "-05:00",
        "count": count,
        "appRecordFetchTimeEpochMillis": FETCH_MS,
    }


def hourly_phone(rng: random.Random) -> list[dict[str, Any]]:
    return [
        steps_record(
            f"h{i}",
            "com.sec.android.app.shealth",
            START_MS + i * HOUR_MS,
            START_MS + (i + 1) * HOUR_MS,
            rng.randint(0, 1200),
        )
        for i in range(365 * 24)
    ]


def daily_ring(rng: random.Random) -> list[dict[str, Any]]:
    return [
        steps_record(
            f"d{i}",
            "com.ouraring.oura",
            START_MS + i * DAY_MS + 4 * HOUR_MS,
            START_MS + (i + 1) * DAY_MS - 1,
            rng.randint(2000, 12000),
        )
        for i in range(365)
    ]


def time_process(label: str, records: list[dict[str, Any]], repeats: int = 3) -> None:
    best = float("inf")
    for _ in range(repeats):
        began = time.perf_counter()
        result = process_records(STEPS, records, UserContext(age_years=40), SourceRule())
        best = min(best, time.perf_counter() - began)
    days = result.insights["day_count"]
    print(
        f"{label:<48} {len(records):>6} records {days:>4} days  {best * 1000:8.1f} ms (best of "
        f"{repeats})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cli", action="store_true", help="also time etl run on an Avro file")
    args = parser.parse_args()
    rng = random.Random(20250920)
    phone = hourly_phone(rng)
    ring = daily_ring(rng)
    duplicated = [
        *phone,
        *({**r, "metadata": {**r["metadata"], "id": r["metadata"]["id"] + "b"}} for r in phone),
    ]
    time_process("hourly phone, one source", phone)
    time_process("hourly phone + daily ring (two sources a day)", [*phone, *ring])
    time_process("hourly phone duplicated + daily ring (overlaps)", [*duplicated, *ring])
    if args.cli:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"StepsRecord_{FETCH_MS}.avro"
            path.write_bytes(write_avro(STEPS_SPEC.reader_schema or {}, phone))
            began = time.perf_counter()
            run_etl([path], Path(folder) / "out")
            print(
                f"{'etl run (subprocess, includes start-up)':<48} {len(phone):>6} records "
                f"          {(time.perf_counter() - began) * 1000:8.1f} ms"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
