"""Daily totals: proration at local midnight, one source per day, overlaps, partial days."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from activity_builders import (
    DAY_MS,
    HOUR_MS,
    MINUTE_MS,
    PHONE,
    RING,
    WATCH,
    activity_record,
    local_ms,
    utc_date_of,
    whole_day_steps,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from etl_activity.daily import (
    DayTotal,
    daily_totals,
    intervals_from_records,
)
from etl_activity.source_rule import Criterion, SourceRule

LATER = local_ms(2025, 10, 30)  # a fetch long after every crafted day


def totals_of(
    records: list[dict[str, Any]], rule: SourceRule | None = None, zone: ZoneInfo | None = None
) -> dict[str, DayTotal]:
    intervals = intervals_from_records(records, "count", zone)
    return {t.day.isoformat(): t for t in daily_totals(intervals, rule or SourceRule())}


# -- crafted -------------------------------------------------------------------------------


def test_interval_crossing_local_midnight_is_split_by_overlap() -> None:
    start = local_ms(2025, 9, 20, 21, 0)
    end = local_ms(2025, 9, 21, 0, 30)  # 3 h before midnight, 30 min after
    days = totals_of([activity_record("a", PHONE, start, end, count=700, fetch_ms=LATER)])
    assert days["2025-09-20"].chosen.amount == pytest.approx(600)
    assert days["2025-09-21"].chosen.amount == pytest.approx(100)
    assert days["2025-09-20"].chosen.covered_ms == 3 * HOUR_MS


def test_midnight_follows_the_record_offset_not_utc() -> None:
    # 22:00-02:00 at +05:30 is 16:30-20:30 UTC: one UTC day, but two local days.
    plus_530 = "+05:30"
    start = local_ms(2025, 9, 20, 16, 30, tz=UTC)
    record = activity_record(
        "a", PHONE, start, start + 4 * HOUR_MS, count=400, fetch_ms=LATER, offset=plus_530
    )
    days = totals_of([record])
    assert {d: round(t.chosen.amount) for d, t in days.items()} == {
        "2025-09-20": 200,
        "2025-09-21": 200,
    }


def test_records_without_offset_use_the_user_zone_across_a_dst_change() -> None:
    chicago = ZoneInfo("America/Chicago")
    # 2025-11-02 is 25 h long in Chicago; a record from 23:00 on the 1st to 01:00 on the 3rd.
    start = int(datetime(2025, 11, 1, 23, tzinfo=chicago).timestamp() * 1000)
    end = int(datetime(2025, 11, 3, 1, tzinfo=chicago).timestamp() * 1000)
    hours = (end - start) / HOUR_MS
    assert hours == 27
    record = activity_record("a", PHONE, start, end, count=2700, fetch_ms=LATER, offset=None)
    days = totals_of([record], zone=chicago)
    assert days["2025-11-01"].chosen.amount == pytest.approx(100)
    assert days["2025-11-02"].chosen.amount == pytest.approx(2500)
    assert days["2025-11-03"].chosen.amount == pytest.approx(100)


def test_unreadable_offset_is_treated_as_missing() -> None:
    start = local_ms(2025, 9, 20, 23, 30)
    record = activity_record(
        "a", PHONE, start, start + HOUR_MS, count=60, fetch_ms=LATER, offset="bogus"
    )
    # Read in UTC: 04:30-05:30 UTC on the 21st, one day.
    assert list(totals_of([record])) == ["2025-09-21"]


def three_sources_one_day() -> list[dict[str, Any]]:
    day = datetime(2025, 9, 20)
    records = [
        whole_day_steps("phone", PHONE, day, 6000, LATER),
        activity_record(
            "ring",
            RING,
            local_ms(2025, 9, 20, 4),
            local_ms(2025, 9, 21) - 1,
            count=5000,
            fetch_ms=LATER,
        ),
    ]
    for hour in range(8, 18):  # ten hourly records, 700 each
        start = local_ms(2025, 9, 20, hour)
        records.append(
            activity_record(f"w{hour}", WATCH, start, start + HOUR_MS, count=700, fetch_ms=LATER)
        )
    return records


def test_three_sources_on_one_day_are_never_summed() -> None:
    day = totals_of(three_sources_one_day())["2025-09-20"]
    assert day.chosen.source == PHONE
    assert day.chosen.amount == 6000
    assert day.decided_by is Criterion.COVERAGE
    assert [(o.source, round(o.amount)) for o in day.others] == [(RING, 5000), (WATCH, 7000)]
    assert day.others[1].records == 10
    assert day.others[1].covered_ms == 10 * HOUR_MS


def test_priority_first_rule_picks_the_listed_source() -> None:
    rule = SourceRule(priority_first=True, priority=(WATCH, RING))
    day = totals_of(three_sources_one_day(), rule)["2025-09-20"]
    assert (day.chosen.source, round(day.chosen.amount)) == (WATCH, 7000)
    assert day.decided_by is Criterion.PRIORITY
    assert [o.source for o in day.others] == [RING, PHONE]


def test_overlapping_records_of_one_source_count_each_stretch_once() -> None:
    a = activity_record(
        "a",
        PHONE,
        local_ms(2025, 9, 20, 8),
        local_ms(2025, 9, 20, 10),
        count=1200,
        fetch_ms=LATER,
    )
    b = activity_record(
        "b",
        PHONE,
        local_ms(2025, 9, 20, 9),
        local_ms(2025, 9, 20, 11),
        count=600,
        fetch_ms=LATER,
    )
    day = totals_of([a, b])["2025-09-20"]
    # 08-09 only a (600); 09-10 a's rate beats b's (600 vs 300); 10-11 only b (300).
    assert day.chosen.amount == pytest.approx(1500)
    assert day.chosen.overlap_ms == HOUR_MS
    assert day.chosen.covered_ms == 3 * HOUR_MS


def test_duplicate_and_nested_records_are_not_double_counted() -> None:
    whole = whole_day_steps("day", PHONE, datetime(2025, 9, 20), 4800, LATER)
    copy = {**whole, "metadata": {**whole["metadata"], "id": "copy"}}
    assert totals_of([whole, copy])["2025-09-20"].chosen.amount == 4800
    hour = activity_record(
        "h",
        PHONE,
        local_ms(2025, 9, 20, 12),
        local_ms(2025, 9, 20, 13),
        count=1000,
        fetch_ms=LATER,
    )
    nested = totals_of([whole, hour])["2025-09-20"].chosen.amount
    assert nested == pytest.approx(4800 * (DAY_MS - 1 - HOUR_MS) / (DAY_MS - 1) + 1000)


def test_day_running_at_fetch_time_is_partial_and_earlier_days_are_not() -> None:
    fetch = local_ms(2025, 9, 21, 17, 25)
    records = [
        whole_day_steps("d1", PHONE, datetime(2025, 9, 20), 9000, fetch),
        whole_day_steps("d2", PHONE, datetime(2025, 9, 21), 3000, fetch),
    ]
    days = totals_of(records)
    assert not days["2025-09-20"].partial
    assert days["2025-09-21"].partial


def test_hourly_records_that_ended_before_fetch_still_make_a_partial_day() -> None:
    fetch = local_ms(2025, 9, 20, 17, 25)
    records = [
        activity_record(
            f"h{h}",
            PHONE,
            local_ms(2025, 9, 20, h),
            local_ms(2025, 9, 20, h + 1),
            count=300,
            fetch_ms=fetch,
        )
        for h in range(8, 17)
    ]
    assert totals_of(records)["2025-09-20"].partial


def test_record_ending_after_its_fetch_makes_every_day_it_touches_partial() -> None:
    fetch = local_ms(2025, 9, 21, 10)
    record = activity_record(
        "a",
        PHONE,
        local_ms(2025, 9, 20, 12),
        local_ms(2025, 9, 21, 12),
        count=100,
        fetch_ms=fetch,
    )
    days = totals_of([record])
    assert days["2025-09-20"].partial and days["2025-09-21"].partial


def test_records_without_a_usable_interval_or_value_are_ignored() -> None:
    start = local_ms(2025, 9, 20, 8)
    records = [
        activity_record("zero", PHONE, start, start, count=10, fetch_ms=LATER),
        activity_record("back", PHONE, start, start - 1, count=10, fetch_ms=LATER),
        activity_record("none", PHONE, start, start + 1, fetch_ms=LATER),
    ]
    assert intervals_from_records(records, "count", None) == []


# -- properties against a minute-by-minute reference --------------------------------------

BASE_MINUTE = local_ms(2025, 9, 19) // MINUTE_MS
OFFSETS = {"-05:00": -300, "+05:30": 330, "Z": 0, "+09:00": 540}

record_strategy = st.tuples(
    st.sampled_from([PHONE, RING, WATCH]),
    st.integers(0, 3 * 1440),  # start, minutes after BASE_MINUTE
    st.integers(1, 2000),  # duration in minutes
    st.integers(0, 30_000),  # steps
    st.sampled_from(sorted(OFFSETS)),
)


Row = tuple[str, int, int, int, str]


def reference_daily(rows: list[Row]) -> dict[str, dict[str, tuple[int, float]]]:
    """Per local date and source: (covered minutes, amount) where every minute counts once at
    the highest per-minute rate among that source's records covering it."""
    minute_rates: dict[str, dict[str, dict[int, float]]] = defaultdict(lambda: defaultdict(dict))
    for source, start, duration, steps, offset in rows:
        for minute in range(BASE_MINUTE + start, BASE_MINUTE + start + duration):
            day = utc_date_of(minute * MINUTE_MS, OFFSETS[offset])
            rates = minute_rates[day][source]
            rates[minute] = max(rates.get(minute, 0.0), steps / duration)
    return {
        day: {source: (len(rates), sum(rates.values())) for source, rates in by_source.items()}
        for day, by_source in minute_rates.items()
    }


def as_records(rows: list[tuple[str, int, int, int, str]]) -> list[dict[str, Any]]:
    return [
        activity_record(
            f"r{i}",
            source,
            (BASE_MINUTE + start) * MINUTE_MS,
            (BASE_MINUTE + start + duration) * MINUTE_MS,
            count=steps,
            fetch_ms=LATER,
            offset=offset,
        )
        for i, (source, start, duration, steps, offset) in enumerate(rows)
    ]


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(record_strategy, min_size=1, max_size=8))
def test_daily_totals_match_a_minute_by_minute_reference(
    rows: list[tuple[str, int, int, int, str]],
) -> None:
    expected = reference_daily(rows)
    days = totals_of(as_records(rows))
    assert set(days) == set(expected)
    for day, by_source in expected.items():
        # Default rule: most minutes covered, then package name.
        chosen = min(by_source, key=lambda s: (-by_source[s][0], s))
        total = days[day]
        assert total.chosen.source == chosen
        assert total.chosen.covered_ms == by_source[chosen][0] * MINUTE_MS
        assert total.chosen.amount == pytest.approx(by_source[chosen][1], rel=1e-9, abs=1e-6)
        others = {o.source: o.amount for o in total.others}
        assert set(others) == set(by_source) - {chosen}
        for source, amount in others.items():
            assert amount == pytest.approx(by_source[source][1], rel=1e-9, abs=1e-6)
        assert not total.partial


@settings(max_examples=60, deadline=None)
@given(
    durations=st.lists(
        st.tuples(st.integers(0, 600), st.integers(1, 3000), st.integers(0, 20_000)),
        min_size=1,
        max_size=10,
    ),
    offset=st.sampled_from(sorted(OFFSETS)),
)
def test_back_to_back_records_of_one_source_conserve_their_total(
    durations: list[tuple[int, int, int]], offset: str
) -> None:
    rows, cursor = [], 0
    for gap, duration, steps in durations:
        cursor += gap
        rows.append((PHONE, cursor, duration, steps, offset))
        cursor += duration
    days = totals_of(as_records(rows))
    assert sum(t.chosen.amount for t in days.values()) == pytest.approx(
        sum(steps for *_, steps, _ in rows), rel=1e-9, abs=1e-6
    )


@settings(max_examples=40, deadline=None)
@given(
    fetch_minute=st.integers(0, 4 * 1440),
    rows=st.lists(record_strategy, min_size=1, max_size=6),
)
def test_partial_days_follow_the_fetch_time(
    fetch_minute: int, rows: list[tuple[str, int, int, int, str]]
) -> None:
    rows = [(s, start, d, n, "-05:00") for s, start, d, n, _ in rows]
    fetch_ms = (BASE_MINUTE + fetch_minute) * MINUTE_MS
    records = [{**r, "appRecordFetchTimeEpochMillis": fetch_ms} for r in as_records(rows)]
    days = totals_of(records)
    for day_iso, total in days.items():
        day_end = local_ms(*date.fromisoformat(day_iso).timetuple()[:3]) + DAY_MS
        touching_ends = [
            (BASE_MINUTE + start + duration) * MINUTE_MS
            for _, start, duration, _, _ in rows
            if day_iso
            in {
                utc_date_of((BASE_MINUTE + m) * MINUTE_MS, -300)
                for m in (start, start + duration - 1)
            }
            or utc_date_of((BASE_MINUTE + start) * MINUTE_MS, -300)
            < day_iso
            < utc_date_of((BASE_MINUTE + start + duration - 1) * MINUTE_MS, -300)
        ]
        expected = day_end > fetch_ms or any(end > fetch_ms for end in touching_ends)
        assert total.partial == expected
