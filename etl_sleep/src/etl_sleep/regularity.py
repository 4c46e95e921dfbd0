"""Figures across several nights: means, timing regularity, weekday against weekend.

Clock times wrap at midnight, so their spread is measured as the standard deviation
(ddof = 1) of each time's signed distance, in minutes, from the circular mean of all of them:
23:50 and 00:10 are 20 minutes apart, not 1,420.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from datetime import date

MINUTES_PER_DAY = 1440
MIN_NIGHTS_FOR_MEAN = 2
MIN_NIGHTS_FOR_REGULARITY = 3
MIN_NIGHTS_FOR_WEEKDAY_WEEKEND = 7
WEEKEND_WAKE_DAYS = frozenset({5, 6})
"""Nights that end on a Saturday or Sunday (Friday and Saturday nights) are weekend nights."""


def circular_mean_minute(minutes_of_day: Sequence[float]) -> float:
    """The mean clock time in minutes after midnight, on the 24-hour circle."""
    if not minutes_of_day:
        raise ValueError("no clock times")
    angles = [2 * math.pi * m / MINUTES_PER_DAY for m in minutes_of_day]
    sine = sum(math.sin(a) for a in angles)
    cosine = sum(math.cos(a) for a in angles)
    mean = math.atan2(sine, cosine) * MINUTES_PER_DAY / (2 * math.pi)
    return mean % MINUTES_PER_DAY


def signed_clock_difference(minute: float, reference: float) -> float:
    """``minute - reference`` on the 24-hour circle, in ``[-720, 720)``."""
    half = MINUTES_PER_DAY / 2
    return (minute - reference + half) % MINUTES_PER_DAY - half


def clock_time_sd(minutes_of_day: Sequence[float]) -> float | None:
    """SD in minutes of clock times around their circular mean; ``None`` below 2 values."""
    if len(minutes_of_day) < 2:
        return None
    centre = circular_mean_minute(minutes_of_day)
    deviations = [signed_clock_difference(m, centre) for m in minutes_of_day]
    return statistics.stdev(deviations)


def mean_or_none(values: Sequence[float], minimum: int = MIN_NIGHTS_FOR_MEAN) -> float | None:
    return statistics.fmean(values) if len(values) >= minimum else None


def is_weekend_night(wake_date: date) -> bool:
    return wake_date.weekday() in WEEKEND_WAKE_DAYS


def spans_a_week(dates: Sequence[date]) -> bool:
    """At least :data:`MIN_NIGHTS_FOR_WEEKDAY_WEEKEND` nights over at least seven calendar
    days, with weekday and weekend nights both present."""
    if len(dates) < MIN_NIGHTS_FOR_WEEKDAY_WEEKEND:
        return False
    if (max(dates) - min(dates)).days < 6:
        return False
    kinds = {is_weekend_night(d) for d in dates}
    return kinds == {True, False}
