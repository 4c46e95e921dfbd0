"""The insights of one calendar window (a local day or an ISO week): every figure its
examples may state, rounded once, here.

Local-day totals come from :mod:`etl_activity.daily` (one source per day, proration at local
midnight, partial days); the week's figures from :mod:`etl_activity.weekly`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from etl_activity.daily import DayTotal, Interval, daily_totals, intervals_from_records
from etl_activity.insights import fetched_at
from etl_activity.measures import STEPS, Measure
from etl_activity.metrics import StepRange, step_range_for_age
from etl_activity.source_rule import SourceRule
from etl_activity.sources import app_name
from etl_activity.weekly import (
    MIN_COMPLETE_DAYS,
    day_states,
    is_sufficient,
    mean_of,
    range_position,
    week_change,
)
from etl_activity.window_rules import DAY_RULE_NAME as DAY_RULE_NAME
from etl_activity.window_rules import WEEK_RULE_NAME as WEEK_RULE_NAME
from etl_activity.wording import WEEKDAYS
from etl_core import Record, Window

WEEK_DAYS = 7
_HOUR_MS = 3_600_000


def weekday_name(day: date) -> str:
    return WEEKDAYS[day.weekday()]


def _hours(milliseconds: int) -> float:
    return round(milliseconds / _HOUR_MS, 1)


def offset_label(zone: tzinfo, moment: datetime) -> str:
    """``-05:00`` for a zone at a (naive local) moment."""
    delta = zone.utcoffset(moment) or timedelta(0)
    minutes = int(delta.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def totals_by_day(
    measure: Measure, records: Sequence[Record], zone: tzinfo | None, rule: SourceRule
) -> tuple[dict[date, DayTotal], list[Interval]]:
    intervals = intervals_from_records(records, measure.value_field, zone)
    return {total.day: total for total in daily_totals(intervals, rule)}, intervals


def _window_entry(window: Window) -> dict[str, Any]:
    return {
        "rule": window.rule.name,
        "key": window.key,
        "first_date": window.first_day.isoformat(),
        "last_date": window.last_day.isoformat(),
        "days": window.rule.days,
    }


def _range_entry(step_range: StepRange | None) -> dict[str, Any] | None:
    if step_range is None:
        return None
    return {"low": step_range.low, "high": step_range.high, "age_group": step_range.age_group}


def _other_entry(measure: Measure, total: DayTotal) -> list[dict[str, Any]]:
    return [
        {
            "source": other.source,
            "source_name": app_name(other.source),
            measure.unit: measure.rounded(other.amount),
            "coverage_hours": _hours(other.covered_ms),
        }
        for other in total.others
    ]


def _day_entry(measure: Measure, total: DayTotal, step_range: StepRange | None) -> dict[str, Any]:
    amount = measure.rounded(total.chosen.amount)
    entry: dict[str, Any] = {
        "date": total.day.isoformat(),
        "weekday": weekday_name(total.day),
        measure.unit: amount,
        "partial": total.partial,
        "source": total.chosen.source,
        "source_name": app_name(total.chosen.source),
        "selected_by": str(total.decided_by),
        "coverage_hours": _hours(total.chosen.covered_ms),
        "records": total.chosen.records,
        "other_sources": _other_entry(measure, total),
    }
    if measure is STEPS:
        entry["range_position"] = (
            None
            if total.partial or step_range is None
            else str(range_position(int(amount), step_range))
        )
    return entry


def _common(window: Window, rule: SourceRule, intervals: Sequence[Interval]) -> dict[str, Any]:
    zone = intervals[0].tz if intervals else window.user.timezone
    return {
        "record_type": window.record_type,
        "window": _window_entry(window),
        "clock": str(window.clock),
        "local_offset": None if zone is None else offset_label(zone, window.local_start),
        "fetched_at": fetched_at(intervals),
        "source_rule": rule.as_insight(),
    }


def _step_context(measure: Measure, age_years: int | None) -> dict[str, Any]:
    if measure is not STEPS:
        return {}
    return {"age_years": age_years, "step_range": _range_entry(step_range_for_age(age_years))}


def day_window_insights(
    measure: Measure, window: Window, rule: SourceRule
) -> dict[str, Any] | None:
    """A local day's total, its source and state; ``None`` when no record has an amount on
    the day (nothing to interpret)."""
    totals, intervals = totals_by_day(measure, window.records, window.user.timezone, rule)
    total = totals.get(window.first_day)
    if total is None:
        return None
    step_range = step_range_for_age(window.user.age_years)
    return {
        **_common(window, rule, intervals),
        **_day_entry(measure, total, step_range),
        "overlapping_hours": _hours(total.chosen.overlap_ms),
        **_step_context(measure, window.user.age_years),
    }


def _extreme(measure: Measure, totals: Sequence[DayTotal], highest: bool) -> dict[str, Any] | None:
    if len(totals) < 2:
        return None
    ranked = sorted(totals, key=lambda t: (measure.rounded(t.chosen.amount), t.day))
    pick = ranked[-1] if highest else ranked[0]
    return {
        "date": pick.day.isoformat(),
        "weekday": weekday_name(pick.day),
        measure.unit: measure.rounded(pick.chosen.amount),
    }


def _week_days(first_day: date) -> list[date]:
    return [first_day + timedelta(days=i) for i in range(WEEK_DAYS)]


def _previous_week(
    measure: Measure, totals: Mapping[date, DayTotal], first_day: date
) -> dict[str, Any] | None:
    previous_first = first_day - timedelta(days=WEEK_DAYS)
    days = _week_days(previous_first)
    held = [totals[day] for day in days if day in totals]
    if not held:
        return None
    complete = [total for total in held if not total.partial]
    mean = mean_of([total.chosen.amount for total in complete])
    return {
        "first_date": previous_first.isoformat(),
        "last_date": days[-1].isoformat(),
        "complete_days": len(complete),
        "data_sufficient": is_sufficient(len(complete)),
        f"mean_daily_{measure.unit}": None if mean is None else round(mean),
        "sources": sorted({total.chosen.source for total in complete}),
    }


def week_window_insights(
    measure: Measure, window: Window, rule: SourceRule
) -> dict[str, Any] | None:
    """An ISO week: its days by state, the mean over complete days, days in the step range,
    the change from the previous week; ``None`` when no day of the week has a total."""
    unit = measure.unit
    zone = window.user.timezone
    intervals = intervals_from_records(window.records, measure.value_field, zone)
    # A record crossing the week's first midnight is in ``records``, not ``earlier``: the
    # previous week's days take both. Records of ``earlier`` touch no day of this week.
    earlier = intervals_from_records(window.earlier, measure.value_field, zone)
    totals = {total.day: total for total in daily_totals([*earlier, *intervals], rule)}
    days = _week_days(window.first_day)
    if not any(day in totals for day in days):
        return None
    latest = fetched_at(intervals)
    states = day_states(totals, days, None if latest is None else date.fromisoformat(latest[:10]))
    complete = list(states.complete)
    step_range = step_range_for_age(window.user.age_years)
    mean = mean_of([total.chosen.amount for total in complete])
    reported_mean = None if mean is None else round(mean)
    sufficient = is_sufficient(len(complete))
    held = sorted([*states.complete, *states.partial], key=lambda t: t.day)
    insights: dict[str, Any] = {
        **_common(window, rule, intervals),
        "iso_week": "{}-W{:02d}".format(*window.first_day.isocalendar()[:2]),
        "days": [_day_entry(measure, total, step_range) for total in held],
        "days_with_data": len(held),
        "complete_days": len(complete),
        "partial_days": len(states.partial),
        "days_without_data": len(states.missing),
        "days_not_reached": len(states.not_reached),
        "partial_dates": [total.day.isoformat() for total in states.partial],
        "missing_dates": [day.isoformat() for day in states.missing],
        "not_reached_dates": [day.isoformat() for day in states.not_reached],
        "min_complete_days": MIN_COMPLETE_DAYS,
        "data_sufficient": sufficient,
        f"mean_daily_{unit}": reported_mean,
        "highest_day": _extreme(measure, complete, highest=True),
        "lowest_day": _extreme(measure, complete, highest=False),
        "sources": [
            {"source": source, "source_name": app_name(source), "days": count}
            for source, count in sorted(
                Counter(total.chosen.source for total in held).items(),
                key=lambda item: (-item[1], item[0]),
            )
        ],
        "days_with_several_sources": sum(1 for total in held if total.others),
        "mixed_sources": len({total.chosen.source for total in complete}) > 1,
    }
    insights.update(_step_context(measure, window.user.age_years))
    if measure is STEPS:
        insights.update(_range_counts(insights["days"], step_range, reported_mean, sufficient))
    insights.update(_comparison(measure, totals, window.first_day, reported_mean, complete))
    return insights


def _range_counts(
    days: Sequence[Mapping[str, Any]],
    step_range: StepRange | None,
    mean: int | None,
    sufficient: bool,
) -> dict[str, Any]:
    if step_range is None:
        return {
            "days_within_range": None,
            "days_below_range": None,
            "days_above_range": None,
            "mean_range_position": None,
        }
    positions = Counter(day["range_position"] for day in days if not day["partial"])
    return {
        "days_within_range": positions["within"],
        "days_below_range": positions["below"],
        "days_above_range": positions["above"],
        "mean_range_position": (
            str(range_position(mean, step_range)) if sufficient and mean is not None else None
        ),
    }


def _comparison(
    measure: Measure,
    totals: Mapping[date, DayTotal],
    first_day: date,
    mean: int | None,
    complete: Sequence[DayTotal],
) -> dict[str, Any]:
    unit = measure.unit
    previous = _previous_week(measure, totals, first_day)
    comparable = bool(
        previous is not None
        and previous["data_sufficient"]
        and is_sufficient(len(complete))
        and mean is not None
    )
    change = None
    if comparable and previous is not None and mean is not None:
        delta = week_change(mean, previous[f"mean_daily_{unit}"])
        this_sources = sorted({total.chosen.source for total in complete})
        change = {
            unit: delta.amount,
            "percent": delta.percent,
            "direction": str(delta.direction),
            "same_sources": this_sources == previous["sources"],
        }
    return {"previous_week": previous, "comparable": comparable, "change": change}
