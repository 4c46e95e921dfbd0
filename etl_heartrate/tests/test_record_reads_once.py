"""Heart-rate samples and HRV measurements are read once per record for all the windows of a
pass that hold it (``RecordMemo``), and each day's heart rate summarised once (``GroupMemo``):
every window, read from records the memos have seen or from fresh copies they have not, gets
the same series and the same days."""

from __future__ import annotations

import copy
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from heartrate_builders import MIDNIGHT_MS, MINUTE_MS, OURA, hr_record, hrv_record

from etl_heartrate.heart_rate import daily_summaries
from etl_heartrate.hrv import collect_measurements
from etl_heartrate.rules import DEFAULT_HEART_RATE_RULES, DEFAULT_HRV_RULES
from etl_heartrate.samples import flatten_samples

HOUR_MS = 60 * MINUTE_MS
OFFSETS = ["-05:00", None, "Z", "+05:30", "-05:00"]


def _hr_records() -> list[dict[str, Any]]:
    records = []
    for n in range(60):  # every four hours for ten days, some samples bad or repeated
        start = MIDNIGHT_MS + n * 4 * HOUR_MS
        samples: list[tuple[int, Any]] = [
            (start + i * MINUTE_MS, 55 + (n + i) % 60) for i in range(9)
        ]
        samples += [(start + 20 * MINUTE_MS, 400), (start + 21 * MINUTE_MS, None)]
        record = hr_record(samples, offset=OFFSETS[n % len(OFFSETS)])
        record["samples"].append({"timeEpochMillis": None, "beatsPerMinute": 70})
        records.append(record)
        if n % 7 == 0:  # another app's copy of the same samples
            records.append(hr_record(samples[:9], origin=OURA, offset="-05:00"))
    return records


def _hrv_records() -> list[dict[str, Any]]:
    values = [40.0, 0.5, float("nan"), 62.0, 62.0, 201.0, 33.3]
    return [
        hrv_record(
            MIDNIGHT_MS + n * 37 * MINUTE_MS - (n % 5 == 4) * 37 * MINUTE_MS,
            values[n % len(values)],
            offset=OFFSETS[n % len(OFFSETS)],
        )
        for n in range(400)
    ]


@pytest.mark.parametrize("zone", [None, ZoneInfo("America/Chicago")])
def test_overlapping_windows_read_what_fresh_records_give(zone: Any) -> None:
    hr, hrv = _hr_records(), _hrv_records()
    resting = DEFAULT_HEART_RATE_RULES.resting
    for low, high in [(0, 40), (10, 70), (30, 66), (0, 66), (20, 30)]:
        window = hr[low:high]
        shared = flatten_samples(window, zone, DEFAULT_HEART_RATE_RULES)
        fresh = flatten_samples(copy.deepcopy(window), zone, DEFAULT_HEART_RATE_RULES)
        assert shared == fresh
        # Each day's summary, memoised for the day's very samples, is the fresh one.
        assert daily_summaries(shared.samples, resting) == daily_summaries(fresh.samples, resting)
    for low, high in [(0, 150), (100, 300), (50, 400), (0, 400), (390, 400)]:
        window = hrv[low:high]
        assert collect_measurements(window, zone, DEFAULT_HRV_RULES) == collect_measurements(
            copy.deepcopy(window), zone, DEFAULT_HRV_RULES
        )
