"""The Ambulatory Glucose Profile (Johnson et al., Diabetes Technol Ther 2019;21:S2-17): the
report window's days folded onto one 24-hour clock, with per hour of the local day the 5th,
25th, 50th, 75th and 95th percentiles of the readings taken in that hour.

Percentiles are Hyndman and Fan's type 7 (linear interpolation between the order statistics
at ``(n - 1) p``), the default of R's ``quantile`` (which iglu, the reference implementation
of CGM metrics, uses) and of NumPy's ``percentile``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


def percentile(ordered: Sequence[float], percent: float) -> float:
    """Type-7 percentile of ascending ``ordered`` values (``percent`` from 0 to 100)."""
    if not ordered:
        raise ValueError("no values")
    if not 0 <= percent <= 100:
        raise ValueError("percent must be 0-100")
    position = (len(ordered) - 1) * percent / 100
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    share = position - below
    return ordered[below] + share * (ordered[above] - ordered[below])


@dataclass(frozen=True, slots=True)
class HourProfile:
    hour: int
    readings: int
    percentiles: tuple[float, ...]
    """In the order of the percentiles asked for, full precision."""


def hourly_profile(
    hours: Sequence[int], values: Sequence[float], percents: Sequence[int]
) -> list[HourProfile]:
    """Per local hour (0-23) holding readings, the percentiles of its readings."""
    if len(hours) != len(values):
        raise ValueError("hours and values differ in length")
    by_hour: list[list[float]] = [[] for _ in range(24)]
    for hour, value in zip(hours, values, strict=True):
        by_hour[hour].append(value)
    profile = []
    for hour, readings in enumerate(by_hour):
        if readings:
            readings.sort()
            profile.append(
                HourProfile(hour, len(readings), tuple(percentile(readings, p) for p in percents))
            )
    return profile
