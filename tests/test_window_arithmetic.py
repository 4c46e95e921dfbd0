"""The closed-form window arithmetic the history relies on agrees with its definition."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from etl_core.contract.windows import WindowRule


def _by_definition(rule: WindowRule, first: date, last: date) -> list[date]:
    found: set[date] = set()
    day = first
    while day <= last:
        found.update(rule.first_days_containing(day))
        day += timedelta(days=1)
    return sorted(found)


RULES = [
    WindowRule.day(),
    WindowRule.night(),
    WindowRule.iso_week(),
    WindowRule.days_ending(14),
    WindowRule("three", days=3),
    *(
        WindowRule(f"w{days}_{weekday}", days=days, ends_on=weekday)
        for days in (1, 3, 6, 7, 8, 13, 15, 30)
        for weekday in range(7)
    ),
]


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.name)
def test_first_days_overlapping_matches_the_union_of_days(rule: WindowRule) -> None:
    start = date(2025, 9, 1)
    for offset in range(14):
        first = start + timedelta(days=offset)
        for length in range(-2, 20):
            last = first + timedelta(days=length)
            assert rule.first_days_overlapping(first, last) == _by_definition(rule, first, last)


def _reference_split(rule, first_day, records, time_fields, zone):  # type: ignore[no-untyped-def]
    from etl_core.contract.windows import record_span

    window_start = rule.local_start(first_day)
    lookback_start = window_start - timedelta(days=rule.lookback_days)
    window_end = rule.local_end(first_day)
    inside, earlier = [], []
    for record in records:
        span = record_span(record, time_fields, zone)
        if span is None:
            continue
        start, end = span[0].replace(tzinfo=None), span[1].replace(tzinfo=None)
        if start < window_end and end >= window_start:
            inside.append(record)
        elif rule.lookback_days and start < window_start and end >= lookback_start:
            earlier.append(record)
    return inside, earlier


@pytest.mark.parametrize("zone_kind", ["none", "utc", "chicago", "person", "person_fallback"])
def test_build_window_reads_records_as_record_span_does(zone_kind: str) -> None:
    import random
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from etl_core.contract.model import UserContext
    from etl_core.contract.timeutil import HOUR_MS, PersonZone
    from etl_core.contract.windows import build_window

    rng = random.Random(5)
    base = int(datetime(2025, 3, 1, tzinfo=UTC).timestamp() * 1000)
    observations = sorted(
        {
            (base // HOUR_MS + rng.randrange(0, 24 * 20), rng.choice((-300, 330, 0)))
            for _ in range(15)
        }
    )
    zone = {
        "none": None,
        "utc": UTC,
        "chicago": ZoneInfo("America/Chicago"),
        "person": PersonZone(observations, None, 24),
        "person_fallback": PersonZone(observations, ZoneInfo("America/Chicago"), 24),
    }[zone_kind]
    fields = ("startTimeEpochMillis", "endTimeEpochMillis")
    records = []
    for n in range(1500):
        start = base + rng.randrange(0, 20 * 86_400_000)
        record = {
            "metadata": {"id": f"r{n}"},
            "startTimeEpochMillis": rng.choice((start, start, "bad", True)),
            "endTimeEpochMillis": rng.choice(
                (start + rng.randrange(0, 2 * 86_400_000), start - 1, None)
            ),
            "startZoneOffsetId": rng.choice((None, "Z", "-05:00", "+05:30", "junk", 7)),
            "endZoneOffsetId": rng.choice((None, "Z", "-04:00", "+01:00")),
        }
        records.append(record)
    for rule in (
        WindowRule.day(),
        WindowRule.night(lookback_days=2),
        WindowRule.iso_week(lookback_days=7),
    ):
        for offset in range(0, 20, 3):
            first = date(2025, 3, 1) + timedelta(days=offset)
            window = build_window(
                "T",
                rule,
                first,
                records,
                time_fields=fields,
                user=UserContext(timezone=zone),
                distinct=True,
            )
            inside, earlier = _reference_split(rule, first, records, fields, zone)
            key = lambda r: r["metadata"]["id"]  # noqa: E731
            assert sorted(map(key, window.records)) == sorted(map(key, inside))
            assert sorted(map(key, window.earlier)) == sorted(map(key, earlier))
