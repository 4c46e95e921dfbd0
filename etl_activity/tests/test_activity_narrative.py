"""Narratives against their insights: crafted windows and random batches."""

from __future__ import annotations

import json
import statistics
from datetime import datetime, timedelta
from typing import Any

import pytest
from activity_builders import (
    HOUR_MS,
    MINUTE_MS,
    PHONE,
    RING,
    WATCH,
    activity_record,
    local_ms,
    whole_day_steps,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from etl_activity.measures import ACTIVE_ENERGY, STEPS, Measure
from etl_activity.report import process_records
from etl_activity.source_rule import SourceRule
from etl_core import UserContext
from etl_core.contract.figures import unsupported_figures

FIRST_DAY = datetime(2025, 9, 1)


def week(steps: list[int], *, fetch_ms: int | None = None) -> list[dict[str, Any]]:
    fetch = fetch_ms or local_ms(2025, 9, 1 + len(steps), 9, 15)
    return [
        whole_day_steps(f"d{i}", PHONE, FIRST_DAY + timedelta(days=i), count, fetch)
        for i, count in enumerate(steps)
    ]


def run(
    measure: Measure, records: list[dict[str, Any]], age: int | None = None
) -> tuple[str, dict[str, Any]]:
    result = process_records(measure, records, UserContext(age_years=age), SourceRule())
    insights = dict(result.insights)
    json.dumps(insights, allow_nan=False)  # serialisable, no NaN
    assert unsupported_figures(result.narrative, insights) == []
    return result.narrative, insights


def test_a_week_with_a_rising_trend() -> None:
    steps = [4000, 5200, 5900, 7100, 8300, 8800, 10100]
    partial_today = whole_day_steps(
        "today", PHONE, FIRST_DAY + timedelta(days=7), 900, local_ms(2025, 9, 8, 9, 15)
    )
    narrative, insights = run(STEPS, [*week(steps), partial_today], age=45)
    assert insights["complete_days"] == 7 and insights["partial_days"] == 1
    assert insights["mean_daily_steps"] == round(statistics.fmean(steps))
    reference = statistics.linear_regression(range(7), steps)
    assert insights["trend"]["direction"] == "rising"
    assert insights["trend"]["change_steps"] == round(reference.slope * 6)
    assert insights["sedentary_days"] == 1
    assert insights["mean_category"] == "below_range"  # 7,057 < 8,000
    assert "rising over this window" in narrative
    assert "1 of them was sedentary" in narrative
    assert "discuss with a clinician" in narrative
    assert "8,000-10,000 steps a day" in narrative
    assert "Tuesday 2 September 2025" not in narrative  # 8 days: summarised, not listed
    assert "Monday 8 September 2025" in narrative  # the partial day is named


def test_a_steady_week_within_the_range_for_an_older_adult() -> None:
    narrative, insights = run(STEPS, week([7000, 7100, 6900, 7050, 6950, 7000, 7020]), age=72)
    assert insights["step_range"] == {"low": 6000, "high": 8000, "age_group": "60 and over"}
    assert insights["mean_category"] == "within_range"
    assert insights["trend"]["direction"] == "steady"
    assert "steady" in narrative and "within that range" in narrative
    assert "clinician" not in narrative  # no suggestion when the target is met
    assert "none was sedentary" in narrative


def test_unknown_age_says_so_and_names_both_ranges() -> None:
    narrative, insights = run(STEPS, week([9000] * 7))
    assert insights["step_range"] is None and insights["age_years"] is None
    assert "Age is not known" in narrative
    assert "8,000-10,000" in narrative and "6,000-8,000" in narrative


def test_short_window_gives_no_mean_and_no_trend() -> None:
    narrative, insights = run(STEPS, week([3000, 12000, 4000]), age=30)
    assert insights["mean_daily_steps"] is None and insights["trend"] is None
    assert "Only 3 complete days are available" in narrative
    assert "mean was" not in narrative and "least-squares" not in narrative
    assert narrative.count("a sedentary day") == 2


def test_several_sources_on_a_day_are_reported_not_added() -> None:
    fetch = local_ms(2025, 9, 3, 8)
    records = [
        whole_day_steps("p", PHONE, FIRST_DAY, 6400, fetch),
        activity_record(
            "r",
            RING,
            local_ms(2025, 9, 1, 4),
            local_ms(2025, 9, 2) - 1,
            count=5900,
            fetch_ms=fetch,
        ),
        activity_record(
            "w",
            WATCH,
            local_ms(2025, 9, 1, 9),
            local_ms(2025, 9, 1, 10),
            count=2000,
            fetch_ms=fetch,
        ),
    ]
    narrative, insights = run(STEPS, records, age=30)
    (day,) = insights["days"]
    assert day["steps"] == 6400 and day["source"] == PHONE
    assert [o["steps"] for o in day["other_sources"]] == [5900, 2000]
    assert "14,300" not in narrative and "not added" in narrative
    assert "Oura, 5,900 steps over 20.0 h of the day" in narrative


def test_active_energy_week() -> None:
    fetch = local_ms(2025, 9, 8, 12)
    kcal = [310.5, 402.25, 280.0, 350.0, 365.5, 420.0, 298.75]
    records = [
        activity_record(
            f"k{i}",
            RING,
            local_ms(2025, 9, 1 + i, 4),
            local_ms(2025, 9, 2 + i) - 1,
            kcal=value,
            fetch_ms=fetch,
        )
        for i, value in enumerate(kcal)
    ]
    narrative, insights = run(ACTIVE_ENERGY, records)
    assert [d["kcal"] for d in insights["days"]] == [round(v, 1) for v in kcal]
    assert insights["mean_daily_kcal"] == round(statistics.fmean(kcal), 1)
    assert "no consensus target" in narrative
    assert "sedentary" not in narrative


# -- every generated batch gives a consistent narrative ----------------------------------

BASE = local_ms(2025, 9, 1)

records_strategy = st.lists(
    st.tuples(
        st.sampled_from([PHONE, RING, WATCH, "org.example.app2"]),
        st.integers(0, 12 * 24 * 60),  # start minute
        st.integers(1, 30 * 60),  # duration minutes
        st.integers(0, 40_000),
    ),
    min_size=1,
    max_size=20,
)


@settings(max_examples=60, deadline=None)
@given(
    rows=records_strategy,
    fetch_hours=st.integers(0, 14 * 24),
    age=st.one_of(st.none(), st.integers(18, 95)),
    energy=st.booleans(),
)
def test_every_narrative_is_supported_by_its_insights(
    rows: list[tuple[str, int, int, int]], fetch_hours: int, age: int | None, energy: bool
) -> None:
    measure = ACTIVE_ENERGY if energy else STEPS
    fetch = BASE + fetch_hours * HOUR_MS
    records = [
        activity_record(
            f"r{i}",
            source,
            BASE + start * MINUTE_MS,
            BASE + (start + minutes) * MINUTE_MS,
            fetch_ms=fetch,
            **({"kcal": amount / 10} if energy else {"count": amount}),
        )
        for i, (source, start, minutes, amount) in enumerate(rows)
    ]
    narrative, insights = run(measure, records, age)
    complete = [d for d in insights["days"] if not d["partial"]]
    if insights[f"mean_daily_{measure.unit}"] is None:
        assert "mean was" not in narrative and "least-squares" not in narrative
        assert len(complete) < 7
    if any(d["partial"] for d in insights["days"]):
        assert "in progress" in narrative
    if measure is STEPS:
        if "a sedentary day" in narrative:
            assert any(d["category"] == "sedentary" for d in complete)
        assert ("Age is not known" in narrative) == (age is None)
        for day in insights["days"]:
            assert (day["category"] is None) == day["partial"]
    else:
        assert "sedentary" not in narrative


@pytest.mark.parametrize("measure", [STEPS, ACTIVE_ENERGY])
def test_no_usable_record_gives_an_honest_empty_report(measure: Measure) -> None:
    result = process_records(measure, [], UserContext(), SourceRule())
    assert result.insights["days"] == [] and result.insights[f"mean_daily_{measure.unit}"] is None
    assert unsupported_figures(result.narrative, result.insights) == []


def test_unknown_age_with_a_sedentary_mean_says_so_without_a_range() -> None:
    narrative, insights = run(STEPS, week([3000, 4100, 3900, 4500, 2800, 5200, 3600]))
    assert insights["mean_category"] == "sedentary" and insights["step_range"] is None
    assert "below the sedentary level of 5,000" in narrative
