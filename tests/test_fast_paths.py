"""The fast paths of the per-record loops give what the plain per-record helpers give: the
local days of a file (``local_days`` against ``window_days_of``), the generic checks' path
readers and range test, and the glucose window's offsets."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from etl_core.builtin.generic_checks import _MISSING, _outside, check_times, getter
from etl_core.contract.model import ValueRange
from etl_core.contract.timeutil import PersonZone
from etl_core.contract.windows import WindowRule, window_days_of
from etl_core.engine.stages import local_days

DAY_MS = 86_400_000
BASE = 1_758_400_000_000


def _span_records() -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    offsets: list[Any] = ["-05:00", "+09:30", "Z", "", None, "bogus", 7, "+14:00", "-12:00"]
    for i in range(300):
        start = BASE + i * 4_321_000 + (i % 7) * DAY_MS // 3
        end: Any = start + (i % 5) * DAY_MS // 2
        if i % 11 == 0:
            end = start - 1  # reversed: read as an instant
        if i % 13 == 0:
            end = None
        records.append(
            {
                "startTime": start if i % 17 else True,
                "endTime": end,
                "startZoneOffsetId": offsets[i % len(offsets)],
                "endZoneOffsetId": offsets[(i * 5) % len(offsets)],
            }
        )
    return records


@pytest.mark.parametrize(
    "zone", [None, UTC, ZoneInfo("America/Chicago"), PersonZone([(BASE // 3_600_000, -300)])]
)
@pytest.mark.parametrize(
    "fields", [("startTime", "endTime"), ("startTime",), ("timeEpochMillis",), ()]
)
def test_local_days_match_window_days_of(zone: Any, fields: tuple[str, ...]) -> None:
    records = _span_records()
    if fields == ("timeEpochMillis",):
        records = [
            {"timeEpochMillis": r["startTime"], "zoneOffsetId": r["startZoneOffsetId"]}
            for r in records
        ]
    expected = {
        day for record in records for day in window_days_of(WindowRule.day(), record, fields, zone)
    }
    assert local_days(records, fields, zone) == expected


def _read_slow(record: Any, path: str) -> Any:
    node: Any = record
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return _MISSING
        node = node[part]
    return node


@pytest.mark.parametrize(
    "record",
    [
        {"metadata": {"id": "a"}},
        {"metadata": {"id": None}},
        {"metadata": {}},
        {"metadata": None},
        {"metadata": ["id"]},
        {},
    ],
)
def test_two_part_getter_reads_like_the_general_one(record: dict[str, Any]) -> None:
    assert getter("metadata.id")(record) is _read_slow(record, "metadata.id")
    assert getter("a.b.c")(record) is _read_slow(record, "a.b.c")


class _Float(float):
    pass


@pytest.mark.parametrize(
    "value",
    [
        20,
        20.0,
        600,
        19.999,
        600.5,
        math.nan,
        math.inf,
        -math.inf,
        True,
        False,
        "100",
        None,
        _Float(50.0),
        _Float(700.0),
        10**30,
    ],
)
def test_inline_range_test_matches_value_range(value: Any) -> None:
    allowed = ValueRange(20, 600, "mg/dL")
    assert _outside(allowed)(value) is (value not in allowed)


def test_instant_time_checks_match_a_start_and_end_pair() -> None:
    now = BASE + 400 * DAY_MS
    values: list[Any] = [BASE, BASE - DAY_MS, 5, now + 3 * DAY_MS, True, None, 1.5e12, BASE]
    instant = [{"t": v} for v in values]
    paired = [{"t": v, "u": v} for v in values]
    assert check_times(instant, ("t",), now) == check_times(paired, ("t", "u"), now)


def test_window_offsets_ask_each_fixed_offset_once() -> None:
    from etl_glucose.window_readings import LocalReadings

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
    ],
)
def test_window_readings_keep_the_clock_of_to_local(zone: Any) -> None:
    from etl_core.contract.timeutil import readable_offset, to_local
    from etl_glucose.window_readings import local_readings

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
