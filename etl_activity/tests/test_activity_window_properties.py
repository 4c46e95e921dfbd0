"""Hypothesis properties of the window maths against the plain reference code: day states,
the step range, the week-to-week change, and whole weeks built from random records (crossing
midnight, two apps, fetch times before and after the records end)."""

from __future__ import annotations

import math
from datetime import date, timedelta

from activity_builders import PHONE, RING
from activity_window_reference import (
    age_range,
    local_midnight_ms,
    position,
    reference_days,
    reference_week,
)
from hypothesis import event, given, settings
from hypothesis import strategies as st

from etl_activity.daily import DayTotal, SourceDay
from etl_activity.measures import STEPS
from etl_activity.metrics import step_range_for_age
from etl_activity.source_rule import Criterion, SourceRule
from etl_activity.weekly import day_states, range_position, week_change
from etl_activity.window_insights import day_window_insights, week_window_insights
from etl_core import UserContext, WindowRule
from etl_core.contract.windows import build_window
from etl_core.testing import make_metadata

MONDAY = date(2025, 3, 10)
WEEK = [MONDAY + timedelta(days=i) for i in range(7)]
MINUTE_MS = 60_000


def _total(day: date, partial: bool) -> DayTotal:
    return DayTotal(day, SourceDay(PHONE, 1.0, 1, 1, 0), (), Criterion.ONLY_SOURCE, partial)


@given(
    states=st.lists(st.sampled_from(["none", "complete", "partial"]), min_size=7, max_size=7),
    fetch_shift=st.one_of(st.none(), st.integers(-3, 9)),
)
def test_day_states_sort_each_day_once_by_its_definition(
    states: list[str], fetch_shift: int | None
) -> None:
    totals = {
        day: _total(day, state == "partial")
        for day, state in zip(WEEK, states, strict=True)
        if state != "none"
    }
    fetch_date = None if fetch_shift is None else MONDAY + timedelta(days=fetch_shift)
    result = day_states(totals, WEEK, fetch_date)
    expected_missing = [
        d for d, s in zip(WEEK, states, strict=True)
        if s == "none" and (fetch_date is None or d <= fetch_date)
    ]  # fmt: skip
    assert [t.day for t in result.complete] == [
        d for d, s in zip(WEEK, states, strict=True) if s == "complete"
    ]
    assert [t.day for t in result.partial] == [
        d for d, s in zip(WEEK, states, strict=True) if s == "partial"
    ]
    assert list(result.missing) == expected_missing
    assert sorted([*result.missing, *result.not_reached]) == [
        d for d, s in zip(WEEK, states, strict=True) if s == "none"
    ]


@given(steps=st.integers(0, 40_000), age=st.one_of(st.none(), st.integers(18, 100)))
def test_range_position_follows_the_age_based_range_with_inclusive_ends(
    steps: int, age: int | None
) -> None:
    step_range = step_range_for_age(age)
    bounds = age_range(age)
    if bounds is None:
        assert step_range is None
        return
    assert step_range is not None
    assert (step_range.low, step_range.high) == bounds
    assert str(range_position(steps, step_range)) == position(steps, bounds)


@given(this=st.integers(0, 50_000), previous=st.integers(0, 50_000))
def test_week_change_is_the_difference_of_the_reported_means(this: int, previous: int) -> None:
    change = week_change(this, previous)
    assert change.amount == abs(this - previous)
    expected = "higher" if this > previous else "lower" if this < previous else "unchanged"
    assert str(change.direction) == expected
    if previous == 0:
        assert change.percent is None
    else:
        assert change.percent == round(100 * abs(this - previous) / previous)


# -- whole weeks from random records ---------------------------------------------------------

record_plan = st.tuples(
    st.integers(0, 1_500),  # gap before the record, minutes
    st.integers(1, 2_000),  # duration, minutes (often crossing local midnight)
    st.integers(0, 20_000),  # steps
    st.integers(-600, 6_000),  # fetch time relative to the record's end, minutes
)


daily_plan = st.lists(
    st.tuples(
        st.integers(-7, 6),  # day, relative to the Monday of the week under test
        st.integers(0, 20_000),  # steps
        st.integers(-300, 5_000),  # fetch time relative to the day's end, minutes
    ),
    min_size=4,
    max_size=14,
    unique_by=lambda item: item[0],
)


def _record(
    rid: str, source: str, start: int, end: int, steps: int, fetch: int, offset_id: str
) -> dict[str, object]:
    return {
        "metadata": make_metadata(rid, origin=source, last_modified_ms=fetch),
        "startTimeEpochMillis": start,
        "endTimeEpochMillis": end,
        "startZoneOffsetId": offset_id,
        "endZoneOffsetId": offset_id,
        "count": steps,
        "appRecordFetchTimeEpochMillis": fetch,
    }


def _records(
    intervals: list[tuple[int, int, int, int]],
    first_start_minutes: int,
    daily: list[tuple[int, int, int]],
    offset: int,
) -> list[dict[str, object]]:
    """The phone writes back-to-back intervals from ``first_start_minutes`` after the
    Monday's local midnight; the ring writes whole-day totals (ending 1 ms before midnight)."""
    offset_id = f"{'-' if offset < 0 else '+'}{abs(offset) // 60:02d}:{abs(offset) % 60:02d}"
    monday_ms = local_midnight_ms(MONDAY, offset)
    records: list[dict[str, object]] = []
    cursor = monday_ms + first_start_minutes * MINUTE_MS
    for n, (gap, duration, steps, fetch_after_end) in enumerate(intervals):
        start = cursor + gap * MINUTE_MS
        end = start + duration * MINUTE_MS
        cursor = end
        records.append(
            _record(f"p{n}", PHONE, start, end, steps, end + fetch_after_end * MINUTE_MS, offset_id)
        )
    for day, steps, fetch_after_end in daily:
        start = monday_ms + day * 86_400_000
        end = start + 86_400_000 - 1
        fetch = end + 1 + fetch_after_end * MINUTE_MS
        records.append(_record(f"r{day}", RING, start, end, steps, fetch, offset_id))
    return records


def _close(actual: float | None, exact: float | None) -> bool:
    """Equal as reported, allowing a different rounding only where the exact value sits on a
    half (float sums in another order can land either side)."""
    if actual is None or exact is None:
        return actual is exact
    if actual == round(exact):
        return True
    return abs(exact - math.floor(exact) - 0.5) < 1e-6 and abs(actual - exact) <= 0.5 + 1e-6


@settings(max_examples=150, deadline=None)
@given(
    phone=st.lists(record_plan, max_size=9),
    phone_start=st.integers(-8 * 1440, 7 * 1440),
    ring=daily_plan,
    offset=st.sampled_from([-300, 0, 120, 330]),
    age=st.one_of(st.none(), st.integers(30, 80)),
)
def test_random_weeks_match_the_reference(
    phone: list[tuple[int, int, int, int]],
    phone_start: int,
    ring: list[tuple[int, int, int]],
    offset: int,
    age: int | None,
) -> None:
    records = _records(phone, phone_start, ring, offset)
    user = UserContext(age_years=age)
    rule = WindowRule.iso_week(lookback_days=7)
    window = build_window(
        "StepsRecord", rule, MONDAY, records, time_fields=STEPS_TIME_FIELDS, user=user
    )
    insights = week_window_insights(STEPS, window, SourceRule())
    days = reference_days(records, "count")
    held = [d for d in WEEK if d in days]
    if not held:
        assert insights is None
        return
    assert insights is not None
    touching = list(window.records)
    latest = max(touching, key=lambda r: r["appRecordFetchTimeEpochMillis"])
    fetch_ms = latest["appRecordFetchTimeEpochMillis"]
    fetch_date = date.fromordinal(
        date(1970, 1, 1).toordinal() + (fetch_ms + offset * MINUTE_MS) // 86_400_000
    )
    ref = reference_week(days, MONDAY, fetch_date, age, "steps")
    event(f"complete days: {len(ref.complete)}, partial: {len(ref.partial)}")
    event(f"comparable: {ref.change is not None}")

    assert [d["date"] for d in insights["days"]] == [d.isoformat() for d in held]
    for entry in insights["days"]:
        ref_day = days[date.fromisoformat(entry["date"])]
        assert entry["source"] == ref_day.source
        assert entry["partial"] is ref_day.partial
        assert _close(entry["steps"], ref_day.amount)
    assert insights["complete_days"] == len(ref.complete)
    assert insights["not_reached_dates"] == [d.isoformat() for d in ref.not_reached]
    exact_mean = (
        math.fsum(d.amount for d in ref.complete) / len(ref.complete) if ref.complete else None
    )
    assert _close(insights["mean_daily_steps"], exact_mean)
    assert insights["data_sufficient"] is ref.sufficient
    assert insights["days_within_range"] == ref.within or any(
        abs(d.amount - math.floor(d.amount) - 0.5) < 1e-6 for d in ref.complete
    )
    previous = insights["previous_week"]
    assert (previous is None) == (ref.previous_complete is None)
    if previous is not None:
        assert previous["complete_days"] == ref.previous_complete
    assert insights["comparable"] is (ref.change is not None)

    for day in held:
        day_window = build_window(
            "StepsRecord", WindowRule.day(), day, records, time_fields=STEPS_TIME_FIELDS, user=user
        )
        day_insights = day_window_insights(STEPS, day_window, SourceRule())
        assert day_insights is not None
        assert day_insights["source"] == days[day].source
        assert day_insights["partial"] is days[day].partial
        assert _close(day_insights["steps"], days[day].amount)
        others = {o["source"]: o["steps"] for o in day_insights["other_sources"]}
        assert set(others) == set(days[day].others)
        for source, value in others.items():
            assert _close(value, days[day].others[source])


STEPS_TIME_FIELDS = ("startTimeEpochMillis", "endTimeEpochMillis")
