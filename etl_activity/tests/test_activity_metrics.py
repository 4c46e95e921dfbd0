from __future__ import annotations

import statistics
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from etl_activity.metrics import (
    AGE_60_AND_OVER_RANGE,
    MIN_COMPLETE_DAYS,
    UNDER_60_RANGE,
    Direction,
    StepCategory,
    least_squares_trend,
    step_category,
    step_range_for_age,
    window_mean,
)


def test_paluch_range_follows_age_and_unknown_age_has_none() -> None:
    assert step_range_for_age(None) is None
    assert step_range_for_age(59) == UNDER_60_RANGE
    assert (UNDER_60_RANGE.low, UNDER_60_RANGE.high) == (8000, 10000)
    assert step_range_for_age(60) == AGE_60_AND_OVER_RANGE
    assert (AGE_60_AND_OVER_RANGE.low, AGE_60_AND_OVER_RANGE.high) == (6000, 8000)


@pytest.mark.parametrize(
    ("steps", "age", "category"),
    [
        (4999, 30, StepCategory.SEDENTARY),
        (4999, None, StepCategory.SEDENTARY),
        (5000, None, StepCategory.NOT_SEDENTARY),
        (5000, 30, StepCategory.BELOW_RANGE),
        (7999, 30, StepCategory.BELOW_RANGE),
        (8000, 30, StepCategory.WITHIN_RANGE),
        (10000, 30, StepCategory.WITHIN_RANGE),
        (10001, 30, StepCategory.ABOVE_RANGE),
        (5999, 70, StepCategory.BELOW_RANGE),
        (6000, 70, StepCategory.WITHIN_RANGE),
        (8001, 70, StepCategory.ABOVE_RANGE),
    ],
)
def test_step_categories_at_their_edges(steps: int, age: int | None, category: str) -> None:
    assert step_category(steps, step_range_for_age(age)) == category


def test_mean_needs_seven_values() -> None:
    assert window_mean([5000.0] * (MIN_COMPLETE_DAYS - 1)) is None
    assert window_mean([1.0, 2, 3, 4, 5, 6, 7]) == 4


def test_trend_needs_seven_days_and_calls_small_changes_steady() -> None:
    start = date(2025, 9, 1)
    assert least_squares_trend([(start + timedelta(i), 5000.0) for i in range(6)]) is None
    flat = least_squares_trend([(start + timedelta(i), 5000.0 + (i % 2)) for i in range(7)])
    assert flat is not None and flat.direction is Direction.STEADY
    rising = least_squares_trend([(start + timedelta(i), 4000.0 + 1000 * i) for i in range(7)])
    assert rising is not None
    assert rising.direction is Direction.RISING
    assert rising.slope_per_day == pytest.approx(1000)
    assert rising.change == pytest.approx(6000)
    assert rising.change_percent == 85.7  # 6000 / 7000
    falling = least_squares_trend([(start + timedelta(i), 9000.0 - 500 * i) for i in range(7)])
    assert falling is not None and falling.direction is Direction.FALLING


@settings(max_examples=80, deadline=None)
@given(
    days=st.lists(
        st.tuples(st.integers(0, 60), st.floats(0, 40_000, allow_nan=False)),
        min_size=MIN_COMPLETE_DAYS,
        max_size=20,
        unique_by=lambda item: item[0],
    )
)
def test_trend_matches_statistics_linear_regression(days: list[tuple[int, float]]) -> None:
    start = date(2025, 1, 1)
    points = sorted((start + timedelta(offset), value) for offset, value in days)
    trend = least_squares_trend(points)
    xs = [float(d.toordinal()) for d, _ in points]
    ys = [v for _, v in points]
    reference = statistics.linear_regression(xs, ys)
    assert trend is not None
    assert trend.slope_per_day == pytest.approx(reference.slope, rel=1e-6, abs=1e-6)
    assert trend.change == pytest.approx(reference.slope * (xs[-1] - xs[0]), rel=1e-6, abs=1e-4)
    mean = statistics.fmean(ys)
    if mean > 0:
        expected_percent = round(100 * trend.change / mean, 1)
        assert trend.change_percent == expected_percent
        if expected_percent >= 10:
            assert trend.direction is Direction.RISING
        elif expected_percent <= -10:
            assert trend.direction is Direction.FALLING
        else:
            assert trend.direction is Direction.STEADY


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0, 50_000, allow_nan=False), min_size=7, max_size=40))
def test_mean_matches_statistics(values: list[float]) -> None:
    assert window_mean(values) == pytest.approx(statistics.fmean(values))
