"""The glucose window's fast clock paths give exactly what core's per-reading helpers give:
each zone offset id resolved once, a fixed-offset clock asked once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from etl_core.contract.timeutil import PersonZone, readable_offset, to_local
from etl_glucose.window_readings import LocalReadings, local_readings

BASE = 1_758_400_000_000


def test_window_offsets_ask_each_fixed_offset_once() -> None:
    chicago = ZoneInfo("America/Chicago")
    person = PersonZone([(BASE // 3_600_000, -300), (BASE // 3_600_000 + 2000, -360)])
    moments = [
        datetime.fromtimestamp((BASE + i * 3_600_000) / 1000, tz=zone)
        for i in range(0, 4000, 37)
        for zone in (UTC, timezone(timedelta(hours=-5)), chicago, person)
    ]
    readings = LocalReadings([0] * len(moments), [100.0] * len(moments), moments, 0)
    expected = sorted(
        {
            f"{'-' if (m := int(t.utcoffset().total_seconds()) // 60) < 0 else '+'}"
            f"{abs(m) // 60:02d}:{abs(m) % 60:02d}"
            for t in moments
            if t.utcoffset() is not None
        }
    )
    assert readings.offsets() == expected


@pytest.mark.parametrize(
    "zone",
    [
        None,
        UTC,
        timezone(timedelta(hours=3)),
        ZoneInfo("America/Chicago"),
        PersonZone([]),
        PersonZone([], timezone(timedelta(hours=-4))),
        PersonZone([], ZoneInfo("Europe/Berlin")),
        PersonZone([(BASE // 3_600_000 + 30, -300)]),
        # inferred, then another inferred offset, then the configured zone past the bound
        PersonZone(
            [(BASE // 3_600_000 + 30, -300), (BASE // 3_600_000 + 80, 60)],
            ZoneInfo("Europe/Berlin"),
        ),
    ],
)
def test_window_readings_keep_the_clock_of_to_local(zone: Any) -> None:
    offsets: list[Any] = ["Z", None, "-05:00", "+05:30", "", "bad", 3]
    records = [
        {
            "timeEpochMillis": BASE + i * 300_000 + i % 3,
            "levelInMilligramsPerDeciliter": 60.0 + i % 200,
            "zoneOffsetId": offsets[i % len(offsets)],
        }
        for i in range(2000)
    ]
    start, end = datetime(2025, 9, 21, 3), datetime(2025, 9, 26, 17)
    readings = local_readings(records, start, end, zone)
    expected = {}
    for record in records:
        moment = to_local(record["timeEpochMillis"], readable_offset(record["zoneOffsetId"]), zone)
        if start <= moment.replace(tzinfo=None) < end:
            expected[record["timeEpochMillis"]] = moment
    assert readings.epoch_ms == sorted(expected)
    for instant, moment in zip(readings.epoch_ms, readings.local, strict=True):
        want = expected[instant]
        assert moment.replace(tzinfo=None) == want.replace(tzinfo=None)
        assert moment.tzinfo is want.tzinfo and moment.isoformat() == want.isoformat()
    labels = {
        f"{'-' if (m := int(t.utcoffset().total_seconds()) // 60) < 0 else '+'}"
        f"{abs(m) // 60:02d}:{abs(m) % 60:02d}"
        for t in expected.values()
    }
    assert readings.offsets() == sorted(labels)


@pytest.mark.parametrize(
    "zone",
    [
        PersonZone([], ZoneInfo("America/New_York")),
        PersonZone([], ZoneInfo("Australia/Lord_Howe")),
        # a move west inferred from other records: 05:00Z-07:59Z repeat three wall hours
        PersonZone(
            [(1_762_056_000_000 // 3_600_000 - 2, -300), (1_762_056_000_000 // 3_600_000 + 6, -480)]
        ),
    ],
)
def test_readings_of_a_repeated_hour_keep_their_own_offsets(zone: PersonZone) -> None:
    """The CGM exporter writes "Z", so the person's zone places every reading; in the hour a
    clock goes back, the same wall-clock time names two readings, each with its own offset
    (New York's second 01:30 is -05:00), as core's to_local gives them."""
    first = 1_762_056_000_000 - 12 * 3_600_000  # 2025-11-01 16:00Z
    records = [
        {
            "timeEpochMillis": first + i * 300_000,
            "levelInMilligramsPerDeciliter": 100.0,
            "zoneOffsetId": "Z",
        }
        for i in range(12 * 24)  # a day of five-minute readings
    ] + [
        {
            "timeEpochMillis": 1_743_811_200_000 + i * 300_000,  # 2025-04-05 00:00Z on
            "levelInMilligramsPerDeciliter": 100.0,
            "zoneOffsetId": "Z",
        }
        for i in range(12 * 24)
    ]
    readings = local_readings(records, datetime(2025, 3, 1), datetime(2025, 12, 1), zone)
    assert len(readings) == len(records)
    repeated = 0
    for instant, moment in zip(readings.epoch_ms, readings.local, strict=True):
        want = to_local(instant, None, zone)
        assert moment.isoformat() == want.isoformat() and moment.fold == want.fold
        assert moment.astimezone(UTC) == datetime.fromtimestamp(instant / 1000, tz=UTC)
        repeated += moment.fold
    assert repeated >= 6  # at least half an hour of readings in a repeated hour
