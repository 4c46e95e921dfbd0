"""Summary statistics of glucose readings, in full precision (rounding is for display only).

Percentages are percent of readings, as the issue specifies; for evenly sampled CGM data this
equals percent of time.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import pairwise

from etl_glucose.rules import MINUTE_MS


def mean(values: Sequence[float]) -> float | None:
    return math.fsum(values) / len(values) if values else None


def sample_sd(values: Sequence[float]) -> float | None:
    """Standard deviation with ddof = 1; ``None`` below two readings."""
    if len(values) < 2:
        return None
    centre = math.fsum(values) / len(values)
    return math.sqrt(math.fsum((v - centre) ** 2 for v in values) / (len(values) - 1))


def cv_percent(sd: float | None, average: float | None) -> float | None:
    """Coefficient of variation, 100 x SD / mean."""
    if sd is None or average is None or average == 0:
        return None
    return 100.0 * sd / average


def percent_below(values: Sequence[float], threshold: float) -> float | None:
    if not values:
        return None
    return 100.0 * sum(1 for v in values if v < threshold) / len(values)


def percent_above(values: Sequence[float], threshold: float) -> float | None:
    if not values:
        return None
    return 100.0 * sum(1 for v in values if v > threshold) / len(values)


def percent_within(values: Sequence[float], low: float, high: float) -> float | None:
    """Percent of readings with ``low <= value <= high`` (both ends inclusive)."""
    if not values:
        return None
    return 100.0 * sum(1 for v in values if low <= v <= high) / len(values)


def gmi_percent(average: float | None) -> float | None:
    """Glucose management indicator (Bergenstal 2018): 3.31 + 0.02392 x mean mg/dL."""
    return None if average is None else 3.31 + 0.02392 * average


def ea1c_percent(average: float | None) -> float | None:
    """ADAG estimated A1c (Nathan 2008): (mean mg/dL + 46.7) / 28.7."""
    return None if average is None else (average + 46.7) / 28.7


def median_spacing_ms(times_ms: Sequence[int]) -> float | None:
    """Median of the positive gaps between consecutive (sorted) instants."""
    gaps = sorted(b - a for a, b in pairwise(times_ms) if b > a)
    if not gaps:
        return None
    middle = len(gaps) // 2
    if len(gaps) % 2:
        return float(gaps[middle])
    return (gaps[middle - 1] + gaps[middle]) / 2


def nominal_interval_ms(median_ms: float | None) -> int | None:
    """The sensor's sampling interval: the median gap snapped to whole minutes.

    Sensors sample on a whole-minute schedule (1, 5 or 15 min) while their timestamps drift by
    seconds (the Dexcom files show gaps of 296-303 s); snapping keeps a run of three 5-minute
    readings at exactly 15 minutes instead of 14 min 58 s.
    """
    if median_ms is None:
        return None
    return max(1, round(median_ms / MINUTE_MS)) * MINUTE_MS


def expected_readings(span_ms: int, interval_ms: int) -> int:
    """Readings a sensor sampling every ``interval_ms`` produces between the first and the
    last reading, both included."""
    return round(span_ms / interval_ms) + 1


def wear_percent(readings: int, expected: int) -> float:
    """Captured share of possible readings, capped at 100 (duplicates can exceed it)."""
    return min(100.0, 100.0 * readings / expected) if expected > 0 else 0.0
