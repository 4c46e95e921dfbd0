"""Timings of the sleep analysis on many synthetic sessions (prints, asserts nothing).

Run: python benchmarks/bench_sleep.py [--nights N] [--stages-per-night K]
Two sources per night (a phone and a ring, overlapping) plus a nap every third day.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from typing import Any

from etl_core import UserContext
from etl_core.testing import make_metadata, read_avro, real_samples
from etl_sleep.analysis import analyse
from etl_sleep.source_rule import parse_source_rule

BASE_MS = 1_758_315_600_000
MIN_MS = 60_000
STAGE_NAMES = ("LIGHT", "DEEP", "REM", "AWAKE", "LIGHT", "LIGHT")


def synthetic_session(
    rng: random.Random, start_ms: int, stage_count: int, origin: str, record_id: str
) -> dict[str, Any]:
    stages = []
    cursor = start_ms
    for _ in range(stage_count):
        length = rng.randint(1, 12) * 30_000
        stages.append(
            {
                "startTimeEpochMillis": cursor,
                "endTimeEpochMillis": cursor + length,
                "stage": rng.choice(STAGE_NAMES),
            }
        )
        cursor += length
    rng.shuffle(stages)  # exercise the sorting path too
    return {
        "metadata": make_metadata(record_id, origin),
        "startTimeEpochMillis": start_ms,
        "endTimeEpochMillis": cursor,
        "startZoneOffsetId": "-05:00",
        "endZoneOffsetId": "-05:00",
        "stages": stages,
    }


def synthetic_batch(nights: int, stages_per_night: int, seed: int = 1) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    records = []
    for night in range(nights):
        bedtime = BASE_MS + night * 86_400_000 + 7 * 3_600_000 + rng.randint(0, 90) * MIN_MS
        records.append(
            synthetic_session(
                rng, bedtime, stages_per_night, "com.sec.android.app.shealth", f"p{night}"
            )
        )
        records.append(
            synthetic_session(
                rng, bedtime + 20 * MIN_MS, stages_per_night // 3, "com.ouraring.oura", f"r{night}"
            )
        )
        if night % 3 == 0:
            records.append(
                synthetic_session(
                    rng, bedtime - 8 * 3_600_000, 20, "com.sec.android.app.shealth", f"n{night}"
                )
            )
    return records


def best_of(repeats: int, action: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(repeats):
        began = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - began)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nights", type=int, default=365)
    parser.add_argument("--stages-per-night", type=int, default=110)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rule = parse_source_rule(None)
    user = UserContext()

    records = synthetic_batch(args.nights, args.stages_per_night)
    stage_total = sum(len(r["stages"]) for r in records)
    seconds = best_of(args.repeats, lambda: analyse(records, user, rule, 180))
    print(
        f"synthetic: {len(records)} sessions, {stage_total} stages, {args.nights} nights: "
        f"{seconds * 1000:.1f} ms ({seconds / len(records) * 1e6:.0f} us per session)"
    )

    for path in real_samples("SleepSessionRecord"):
        real = read_avro(path)

        def analyse_file(records: list[dict[str, Any]] = real) -> object:
            return analyse(records, user, rule, 180)

        seconds = best_of(max(args.repeats, 20), analyse_file)
        print(f"{path.name}: {len(real)} sessions: {seconds * 1000:.2f} ms")


if __name__ == "__main__":
    main()
