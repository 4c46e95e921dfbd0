"""Clock-time spread on the 24-hour circle against the plain SD where nothing wraps."""

from __future__ import annotations

import statistics
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from etl_sleep.regularity import (
    circular_mean_minute,
    clock_time_sd,
    signed_clock_difference,
    spans_a_week,
)

# Times within an 8-hour window never wrap around their circular mean.
window = st.lists(st.floats(min_value=0, max_value=480), min_size=2, max_size=30)


@settings(max_examples=150, deadline=None)
@given(values=window, shift=st.floats(min_value=0, max_value=1440))
def test_sd_equals_plain_sd_and_ignores_where_midnight_falls(
    values: list[float], shift: float
) -> None:
    expected = statistics.stdev(values)
    shifted = [(v + shift) % 1440 for v in values]
    result = clock_time_sd(shifted)
    assert result is not None
    assert abs(result - expected) < 1e-6


def test_circular_mean_across_midnight() -> None:
    assert abs(signed_clock_difference(circular_mean_minute([1430, 10]), 0)) < 1e-9
    assert signed_clock_difference(10, 1430) == 20
    assert signed_clock_difference(1430, 10) == -20


def test_sd_needs_two_values() -> None:
    assert clock_time_sd([100.0]) is None


def test_a_week_needs_seven_nights_over_seven_days_of_both_kinds() -> None:
    week = [date(2025, 9, d) for d in range(15, 22)]  # Monday to Sunday
    assert spans_a_week(week)
    assert not spans_a_week(week[:6])
    assert not spans_a_week([date(2025, 9, 15)] * 7)
