"""Daily-step judgements, means and trends, with the evidence behind each threshold.

Decisions (categories, trend direction) are taken on the values as reported (whole steps,
one-decimal percentages) so that a label never contradicts the figure printed beside it.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

PALUCH_REFERENCE = "Paluch et al., Lancet Public Health 2022;7:e219"
SEDENTARY_BELOW_STEPS = 5_000
"""Fewer steps than this in a complete day make it a sedentary day."""
BAND_AGE_YEARS = 60
MIN_COMPLETE_DAYS = 7
"""Means and trends are reported only over at least this many complete days."""
TREND_THRESHOLD_PERCENT = 10.0
"""A fitted change across the window of at least this share of the mean counts as a trend."""


@dataclass(frozen=True, slots=True)
class StepRange:
    """Daily steps at which the mortality benefit levels off (Paluch 2022)."""

    low: int
    high: int
    age_group: str


UNDER_60_RANGE = StepRange(8_000, 10_000, "under 60")
AGE_60_AND_OVER_RANGE = StepRange(6_000, 8_000, "60 and over")


class StepCategory(enum.StrEnum):
    SEDENTARY = "sedentary"
    """Fewer than 5,000 steps."""
    NOT_SEDENTARY = "not_sedentary"
    """At least 5,000 steps, with no age to choose a range by."""
    BELOW_RANGE = "below_range"
    WITHIN_RANGE = "within_range"
    ABOVE_RANGE = "above_range"


class Direction(enum.StrEnum):
    RISING = "rising"
    FALLING = "falling"
    STEADY = "steady"


def step_range_for_age(age_years: int | None) -> StepRange | None:
    """The range that applies at this age, or ``None`` when the age is unknown."""
    if age_years is None:
        return None
    return AGE_60_AND_OVER_RANGE if age_years >= BAND_AGE_YEARS else UNDER_60_RANGE


def step_category(steps: int, step_range: StepRange | None) -> StepCategory:
    """Where a (whole) number of daily steps stands; the sedentary cut-off comes first."""
    if steps < SEDENTARY_BELOW_STEPS:
        return StepCategory.SEDENTARY
    if step_range is None:
        return StepCategory.NOT_SEDENTARY
    if steps < step_range.low:
        return StepCategory.BELOW_RANGE
    if steps <= step_range.high:
        return StepCategory.WITHIN_RANGE
    return StepCategory.ABOVE_RANGE


def window_mean(values: Sequence[float]) -> float | None:
    """The mean of at least :data:`MIN_COMPLETE_DAYS` values, else ``None``."""
    if len(values) < MIN_COMPLETE_DAYS:
        return None
    return sum(values) / len(values)


@dataclass(frozen=True, slots=True)
class Trend:
    slope_per_day: float
    """Least-squares slope, units per calendar day."""
    change: float
    """The fitted line's change from the first to the last day."""
    change_percent: float
    """``change`` as a percentage of the mean, rounded to one decimal (the reported value)."""
    direction: Direction
    days: int


def least_squares_trend(points: Sequence[tuple[date, float]]) -> Trend | None:
    """An ordinary least-squares line through daily values (x = calendar date, so gaps
    between days are respected), or ``None`` below :data:`MIN_COMPLETE_DAYS` days."""
    if len(points) < MIN_COMPLETE_DAYS:
        return None
    xs = [day.toordinal() for day, _ in points]
    ys = [value for _, value in points]
    n = len(points)
    x_mean = sum(xs) / n
    y_mean = sum(ys) / n
    spread = sum((x - x_mean) ** 2 for x in xs)
    if spread == 0:
        return None  # every point on one date: no line
    slope = sum((x - x_mean) * (y - y_mean) for x, y in zip(xs, ys, strict=True)) / spread
    change = slope * (max(xs) - min(xs))
    change_percent = round(100 * change / y_mean, 1) if y_mean > 0 else 0.0
    if change_percent >= TREND_THRESHOLD_PERCENT:
        direction = Direction.RISING
    elif change_percent <= -TREND_THRESHOLD_PERCENT:
        direction = Direction.FALLING
    else:
        direction = Direction.STEADY
    return Trend(slope, change, change_percent, direction, n)
