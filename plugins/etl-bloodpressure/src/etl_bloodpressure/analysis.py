"""Insights of a batch of blood pressure readings: pure functions, full precision inside,
one decimal in what is reported."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from statistics import fmean
from typing import Any

from etl_core.contract.timeutil import describe_zone_use, iso

from etl_bloodpressure.categories import CATEGORIES, CRISIS, DEFINITIONS, classify, severity
from etl_bloodpressure.readings import Reading

MINIMUM_READINGS_FOR_CATEGORY = 2
MINIMUM_DAYS_FOR_CATEGORY = 2
"""The guideline classifies blood pressure from the average of at least two readings on at
least two occasions; we count local days as occasions."""

GUIDELINE = "2017 ACC/AHA guideline for high blood pressure in adults"


@dataclass(frozen=True, slots=True)
class Analysis:
    insights: dict[str, Any]
    start: datetime
    end: datetime
    crisis_readings: int


def _mmhg(value: float) -> float:
    return round(value, 1)


def reading_category(reading: Reading) -> str:
    """Classified on the values as reported (one decimal), so that a printed reading and its
    category never disagree at a band edge."""
    return classify(_mmhg(reading.systolic), _mmhg(reading.diastolic))


def _enum_counts(values: Sequence[str]) -> dict[str, int]:
    """Counts by lower-case enum name, most frequent first (ties alphabetical)."""
    counts = Counter(value.lower() for value in values)
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def most_severe(readings: Sequence[Reading]) -> Reading:
    """The reading of the highest category; among those the highest systolic, then diastolic,
    then the earliest."""
    return max(
        readings,
        key=lambda r: (severity(reading_category(r)), r.systolic, r.diastolic, -r.time_ms),
    )


def analyse(readings: Sequence[Reading], user_zone: tzinfo | None, excluded: int = 0) -> Analysis:
    """``readings`` must not be empty and be in time order."""
    local_times = [reading.local_time(user_zone) for reading in readings]
    days = len({moment.date() for moment in local_times})
    mean_systolic = _mmhg(fmean(r.systolic for r in readings))
    mean_diastolic = _mmhg(fmean(r.diastolic for r in readings))
    enough = len(readings) >= MINIMUM_READINGS_FOR_CATEGORY and days >= MINIMUM_DAYS_FOR_CATEGORY
    per_reading = Counter(reading_category(r) for r in readings)
    worst = most_severe(readings)
    insights: dict[str, Any] = {
        "readings": len(readings),
        "excluded_readings": excluded,
        "days_with_readings": days,
        "first_reading": iso(local_times[0]),
        "last_reading": iso(local_times[-1]),
        "mean_systolic_mmhg": mean_systolic,
        "mean_diastolic_mmhg": mean_diastolic,
        # The category of the average as reported, so that the figure and its label agree.
        "average_category": classify(mean_systolic, mean_diastolic) if enough else None,
        "category_counts": {category: per_reading.get(category, 0) for category in CATEGORIES},
        "most_severe_reading": {
            "time": iso(worst.local_time(user_zone)),
            "systolic_mmhg": _mmhg(worst.systolic),
            "diastolic_mmhg": _mmhg(worst.diastolic),
            "category": reading_category(worst),
        },
        "body_positions": _enum_counts([r.body_position for r in readings]),
        "measurement_locations": _enum_counts([r.measurement_location for r in readings]),
        "timezone": describe_zone_use((r.offset_id for r in readings), user_zone),
        "classification": GUIDELINE,
        "category_definitions": dict(DEFINITIONS),
        "minimum_readings_for_category": MINIMUM_READINGS_FOR_CATEGORY,
        "minimum_days_for_category": MINIMUM_DAYS_FOR_CATEGORY,
    }
    return Analysis(insights, local_times[0], local_times[-1], per_reading.get(CRISIS, 0))
