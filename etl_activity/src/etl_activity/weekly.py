"""Window maths over local-day totals: which days of a window count, the mean over complete
days, where a day stands against the age-based step range, the change from the previous week.

Definitions (``clinical.md``, sections "Activity" and "Longitudinal windows"):

- a day still in progress at fetch time is not a day: weekly means use complete days only;
- two weeks are compared only when each has at least :data:`MIN_COMPLETE_DAYS` complete days;
- the age-based range is where the mortality benefit of daily steps levels off (Paluch 2022):
  6,000-8,000 a day at 60 and over, 8,000-10,000 under 60; no age, no range.

Figures are decided on the values as reported (whole steps, whole kcal for means, whole
percentages), so that a label never contradicts the figure printed beside it.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from etl_activity.daily import DayTotal
from etl_activity.metrics import StepRange

MIN_COMPLETE_DAYS = 5
"""Complete days a week needs before its mean is a weekly figure that can be compared."""


class RangePosition(enum.StrEnum):
    BELOW = "below"
    WITHIN = "within"
    ABOVE = "above"


class ChangeDirection(enum.StrEnum):
    HIGHER = "higher"
    LOWER = "lower"
    UNCHANGED = "unchanged"


def range_position(steps: int, step_range: StepRange) -> RangePosition:
    """Where a whole number of daily steps stands against a range (both ends inclusive)."""
    if steps < step_range.low:
        return RangePosition.BELOW
    if steps <= step_range.high:
        return RangePosition.WITHIN
    return RangePosition.ABOVE


@dataclass(frozen=True, slots=True)
class DayStates:
    """A window's days sorted by what is known about them."""

    complete: tuple[DayTotal, ...]
    partial: tuple[DayTotal, ...]
    """Days with a total that was still running when the data were fetched."""
    missing: tuple[date, ...]
    """Days without any total although they had begun by the latest fetch."""
    not_reached: tuple[date, ...]
    """Days after the local date of the latest fetch: they had not begun."""


def day_states(
    totals: Mapping[date, DayTotal], days: Sequence[date], fetch_date: date | None
) -> DayStates:
    """Sort ``days`` by their totals; a day without a total is *not reached* when it lies after
    ``fetch_date`` (the local date of the latest fetch), else *missing*."""
    complete: list[DayTotal] = []
    partial: list[DayTotal] = []
    missing: list[date] = []
    not_reached: list[date] = []
    for day in days:
        total = totals.get(day)
        if total is not None:
            (partial if total.partial else complete).append(total)
        elif fetch_date is not None and day > fetch_date:
            not_reached.append(day)
        else:
            missing.append(day)
    return DayStates(tuple(complete), tuple(partial), tuple(missing), tuple(not_reached))


def mean_of(values: Sequence[float]) -> float | None:
    """The plain mean, or ``None`` without values."""
    if not values:
        return None
    return sum(values) / len(values)


def is_sufficient(complete_days: int) -> bool:
    return complete_days >= MIN_COMPLETE_DAYS


@dataclass(frozen=True, slots=True)
class Change:
    """This week's mean against the previous week's, both as reported (rounded)."""

    amount: int
    """Size of the difference (its sign is :attr:`direction`)."""
    percent: int | None
    """Size of the difference as a whole percentage of the previous mean (``None`` when the
    previous mean is 0)."""
    direction: ChangeDirection


def week_change(this_mean: int, previous_mean: int) -> Change:
    """The change between two reported (whole-number) weekly means."""
    difference = this_mean - previous_mean
    if difference > 0:
        direction = ChangeDirection.HIGHER
    elif difference < 0:
        direction = ChangeDirection.LOWER
    else:
        direction = ChangeDirection.UNCHANGED
    percent = None if previous_mean == 0 else round(100 * abs(difference) / previous_mean)
    return Change(abs(difference), percent, direction)
