"""The structured insights of one batch: every figure the narrative may state.

Values are computed in full precision and rounded here, once, for reporting: steps to whole
steps, kilocalories, hours and percentages to one decimal.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from etl_activity.daily import DayTotal, Interval, SourceDay
from etl_activity.measures import STEPS, Measure
from etl_activity.metrics import (
    AGE_60_AND_OVER_RANGE,
    BAND_AGE_YEARS,
    MIN_COMPLETE_DAYS,
    PALUCH_REFERENCE,
    SEDENTARY_BELOW_STEPS,
    TREND_THRESHOLD_PERCENT,
    UNDER_60_RANGE,
    StepCategory,
    Trend,
    least_squares_trend,
    step_category,
    step_range_for_age,
    window_mean,
)
from etl_activity.source_rule import SourceRule
from etl_activity.sources import app_name
from etl_core import UserContext
from etl_core.contract.timeutil import describe_zone_use, iso

_HOUR_MS = 3_600_000


def _hours(milliseconds: int) -> float:
    return round(milliseconds / _HOUR_MS, 1)


def _source_entry(measure: Measure, source_day: SourceDay) -> dict[str, Any]:
    return {
        "source": source_day.source,
        "source_name": app_name(source_day.source),
        measure.unit: measure.rounded(source_day.amount),
        "coverage_hours": _hours(source_day.covered_ms),
        "records": source_day.records,
    }


def _day_entry(measure: Measure, total: DayTotal, age_years: int | None) -> dict[str, Any]:
    entry = _source_entry(measure, total.chosen)
    entry = {
        "date": total.day.isoformat(),
        measure.unit: entry.pop(measure.unit),
        **entry,
        "overlapping_hours": _hours(total.chosen.overlap_ms),
        "selected_by": str(total.decided_by),
        "other_sources": [_source_entry(measure, other) for other in total.others],
        "partial": total.partial,
    }
    if measure is STEPS:
        entry["category"] = (
            None
            if total.partial
            else str(step_category(int(entry["steps"]), step_range_for_age(age_years)))
        )
    return entry


def _trend_entry(measure: Measure, trend: Trend | None) -> dict[str, Any] | None:
    if trend is None:
        return None
    return {
        "direction": str(trend.direction),
        "days": trend.days,
        f"change_{measure.unit}": measure.rounded(abs(trend.change)),
        "change_percent_of_mean": abs(trend.change_percent),
        f"slope_{measure.unit}_per_day": round(trend.slope_per_day, 1),
    }


def fetched_at(intervals: Iterable[Interval]) -> str | None:
    """The latest fetch time, in the local time of the record that carries it."""
    latest = max(
        (iv for iv in intervals if iv.fetch_ms is not None),
        key=lambda iv: iv.fetch_ms or 0,
        default=None,
    )
    if latest is None or latest.fetch_ms is None:
        return None
    return iso(datetime.fromtimestamp(latest.fetch_ms / 1000, tz=latest.tz))


def activity_insights(
    measure: Measure,
    totals: Sequence[DayTotal],
    intervals: Sequence[Interval],
    offset_ids: Iterable[str | None],
    user: UserContext,
    rule: SourceRule,
) -> dict[str, Any]:
    complete = [total for total in totals if not total.partial]
    mean = window_mean([total.chosen.amount for total in complete])
    trend = least_squares_trend([(total.day, total.chosen.amount) for total in complete])
    insights: dict[str, Any] = {
        "days": [_day_entry(measure, total, user.age_years) for total in totals],
        "day_count": len(totals),
        "complete_days": len(complete),
        "partial_days": len(totals) - len(complete),
        "first_date": totals[0].day.isoformat() if totals else None,
        "last_date": totals[-1].day.isoformat() if totals else None,
        f"mean_daily_{measure.unit}": None if mean is None else measure.rounded(mean),
        "trend": _trend_entry(measure, trend),
        "days_with_several_sources": sum(1 for total in totals if total.others),
        "days_by_source": dict(Counter(total.chosen.source for total in totals).most_common()),
        "records": len(intervals),
        "source_rule": rule.as_insight(),
        "fetched_at": fetched_at(intervals),
        "timezone": describe_zone_use(offset_ids, user.timezone),
    }
    targets: dict[str, Any] = {
        "min_complete_days_for_mean": MIN_COMPLETE_DAYS,
        "trend_threshold_percent": TREND_THRESHOLD_PERCENT,
    }
    if measure is STEPS:
        insights.update(_step_judgements(insights, user.age_years))
        targets.update(
            {
                "sedentary_below_steps": SEDENTARY_BELOW_STEPS,
                "step_range_under_60": [UNDER_60_RANGE.low, UNDER_60_RANGE.high],
                "step_range_60_and_over": [AGE_60_AND_OVER_RANGE.low, AGE_60_AND_OVER_RANGE.high],
                "range_age_threshold_years": BAND_AGE_YEARS,
                "reference": PALUCH_REFERENCE,
            }
        )
    insights["targets"] = targets
    return insights


def _step_judgements(insights: dict[str, Any], age_years: int | None) -> dict[str, Any]:
    step_range = step_range_for_age(age_years)
    complete_days = [day for day in insights["days"] if not day["partial"]]
    mean = insights["mean_daily_steps"]
    by_steps = sorted(complete_days, key=lambda day: (day["steps"], day["date"]))
    return {
        "age_years": age_years,
        "step_range": (
            None
            if step_range is None
            else {
                "low": step_range.low,
                "high": step_range.high,
                "age_group": step_range.age_group,
            }
        ),
        "mean_category": None if mean is None else str(step_category(mean, step_range)),
        "sedentary_days": sum(
            1 for day in complete_days if day["category"] == StepCategory.SEDENTARY
        ),
        "lowest_complete_day": (
            {"date": by_steps[0]["date"], "steps": by_steps[0]["steps"]} if by_steps else None
        ),
        "highest_complete_day": (
            {"date": by_steps[-1]["date"], "steps": by_steps[-1]["steps"]} if by_steps else None
        ),
    }
