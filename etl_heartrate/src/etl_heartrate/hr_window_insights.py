"""Heart-rate windows: metrics -> rounded insights (JSON-ready).

The day window reuses the per-file insights (``hr_insights.build_insights``) on the samples of
its one local day; the week window holds the daily resting values, their median and the
comparison with the person's baseline and the previous week.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from etl_core import Window
from etl_heartrate.formatting import round1
from etl_heartrate.hr_insights import build_insights
from etl_heartrate.hr_window import DailyHeartRate, days_between, resting_trend
from etl_heartrate.rules import DAY_MINUTES, HeartRateRules
from etl_heartrate.samples import DUPLICATE, MALFORMED, OUT_OF_RANGE, SampleSeries
from etl_heartrate.voice import weekday
from etl_heartrate.window_common import clock_insight, window_insight

Insights = dict[str, Any]


def _thresholds(rules: HeartRateRules) -> dict[str, Any]:
    return {
        "valid_low_bpm": rules.valid_low_bpm,
        "valid_high_bpm": rules.valid_high_bpm,
        "tachycardia_above_bpm": rules.tachycardia_above_bpm,
        "bradycardia_below_bpm": rules.bradycardia_below_bpm,
        "resting_normal_low_bpm": rules.resting_normal_low_bpm,
        "resting_normal_high_bpm": rules.resting_normal_high_bpm,
        "resting_window_minutes": rules.resting.window_minutes,
        "resting_min_window_minutes_monitored": rules.resting.min_window_minutes_covered,
        "resting_min_day_minutes_monitored": rules.resting.min_day_minutes_covered,
        "day_minutes": DAY_MINUTES,
        "zones_min_age_years": rules.min_age_for_zones,
    }


def _clock(window: Window, daily: DailyHeartRate) -> dict[str, Any]:
    samples = daily.samples_on(window.days())
    return clock_insight(window, [(s.time_ms, s.zone) for s in samples])


def day_window_insights(window: Window, daily: DailyHeartRate, rules: HeartRateRules) -> Insights:
    day = window.first_day
    samples = daily.samples_on([day])
    # The day's own left-out samples: the lookback day's, and the other day of a record that
    # crosses midnight, belong to their own windows.
    dropped = daily.series.dropped_on([day])
    series = SampleSeries(
        samples=samples,
        records=len(window.records),
        duplicates_dropped=dropped[DUPLICATE],
        out_of_range_dropped=dropped[OUT_OF_RANGE],
        malformed_dropped=dropped[MALFORMED],
        offset_ids=daily.series.offset_ids,
    )
    whole = build_insights(series, window.user.timezone, window.user.age_years, rules)
    today = whole["daily"][0] if whole["daily"] else None
    previous_day = day - timedelta(days=1)
    previous = daily.resting_by_day([previous_day]).get(previous_day)
    resting = None if today is None else today["resting_bpm"]
    change = round1(resting - previous) if resting is not None and previous is not None else None
    return {
        "record_type": whole["record_type"],
        "window": window_insight(window),
        "weekday": weekday(day),
        "clock": _clock(window, daily),
        "records": len(window.records),
        "samples": whole["samples"],
        "sources": whole["sources"],
        "first_sample": whole["start"],
        "last_sample": whole["end"],
        "monitored_minutes": 0 if today is None else today["monitored_minutes"],
        "day_minutes": DAY_MINUTES if today is None else today["day_minutes"],
        "coverage_percent": 0.0 if today is None else today["coverage_percent"],
        "mean_bpm": whole["mean_bpm"],
        "min_bpm": whole["min_bpm"],
        "max_bpm": whole["max_bpm"],
        "resting_bpm": resting,
        "resting_status": whole["resting_status"],
        "resting_window_start": None if today is None else today["resting_window_start"],
        "resting_window_end": None if today is None else today["resting_window_end"],
        "resting_window_minutes_monitored": (
            None if today is None else today["resting_window_minutes_monitored"]
        ),
        "resting_unavailable_reason": (
            "no samples" if today is None else today["resting_unavailable_reason"]
        ),
        "tachycardia_episodes": whole["episodes"]["tachycardia"],
        "bradycardia_episodes": whole["episodes"]["bradycardia"],
        "tachycardia_episode_count": whole["tachycardia_episodes"],
        "bradycardia_episode_count": whole["bradycardia_episodes"],
        "samples_above_tachycardia_threshold": whole["samples_above_tachycardia_threshold"],
        "samples_below_bradycardia_threshold": whole["samples_below_bradycardia_threshold"],
        "episode_rule": whole["episode_rule"],
        "age_years": whole["age_years"],
        "zones": whole["zones"],
        "activity_bouts": whole["activity_bouts"],
        "zones_unavailable_reason": whole["zones_unavailable_reason"],
        "previous_day": {
            "date": previous_day.isoformat(),
            "weekday": weekday(previous_day),
            "resting_bpm": previous,
        },
        "change_from_previous_day_bpm": change,
        "change_from_previous_day_size_bpm": None if change is None else abs(change),
        "thresholds": _thresholds(rules),
        "data_quality": whole["data_quality"],
    }


def week_window_insights(window: Window, daily: DailyHeartRate, rules: HeartRateRules) -> Insights:
    trend_rule = rules.trend
    week_days = window.days()
    lookback = days_between(
        window.first_day - timedelta(days=trend_rule.baseline_days), week_days[-1]
    )
    trend = resting_trend(daily.resting_by_day(lookback), window.first_day, trend_rule)
    samples = daily.samples_on(week_days)
    days: list[dict[str, Any]] = []
    for day, value in trend.week:
        summary = daily.summaries.get(day)
        reason = None
        if value is None:
            if summary is None:
                reason = "no samples"
            elif not summary.enough_coverage:
                reason = "too little coverage"
            else:
                reason = "no window with enough monitored minutes"
        days.append(
            {
                "date": day.isoformat(),
                "weekday": weekday(day),
                "resting_bpm": value,
                "monitored_minutes": 0 if summary is None else summary.minutes_covered,
                "resting_unavailable_reason": reason,
            }
        )
    valued = [d for d in days if d["resting_bpm"] is not None]
    lowest = min(valued, key=lambda d: (d["resting_bpm"], d["date"])) if valued else None
    highest = max(valued, key=lambda d: (d["resting_bpm"], d["date"])) if valued else None
    iso_year, iso_week, _ = window.first_day.isocalendar()
    return {
        "record_type": "HeartRateRecord",
        "window": window_insight(window),
        "iso_week": f"{iso_year}-W{iso_week:02d}",
        "clock": _clock(window, daily),
        "records": len(window.records),
        "samples": len(samples),
        "days_with_samples": sum(1 for d in week_days if daily.samples_by_day.get(d)),
        "daily": days,
        "days_with_resting": len(valued),
        "median_resting_bpm": trend.week_median,
        "lowest_resting": None
        if lowest is None
        else {"date": lowest["date"], "weekday": lowest["weekday"], "bpm": lowest["resting_bpm"]},
        "highest_resting": None
        if highest is None
        else {
            "date": highest["date"],
            "weekday": highest["weekday"],
            "bpm": highest["resting_bpm"],
        },
        "baseline": {
            "first_day": trend.baseline_first.isoformat(),
            "last_day": trend.baseline_last.isoformat(),
            "period_days": trend_rule.baseline_days,
            "days_with_resting": trend.baseline_days,
            "min_days": trend_rule.min_baseline_days,
            "median_bpm": trend.baseline_median,
        },
        "change_from_baseline_bpm": trend.change_bpm,
        "change_from_baseline_size_bpm": None
        if trend.change_bpm is None
        else abs(trend.change_bpm),
        "notable_rise": trend.notable_rise,
        "days_at_or_above_notable_rise": trend.days_at_or_above_rise,
        "previous_week": {
            "first_day": (window.first_day - timedelta(days=7)).isoformat(),
            "days_with_resting": trend.previous_week_days,
            "median_resting_bpm": trend.previous_week_median,
        },
        "change_from_previous_week_bpm": trend.change_from_previous_week_bpm,
        "change_from_previous_week_size_bpm": (
            None
            if trend.change_from_previous_week_bpm is None
            else abs(trend.change_from_previous_week_bpm)
        ),
        "rules": {
            "min_week_days": trend_rule.min_week_days,
            "notable_rise_bpm": round1(trend_rule.notable_rise_bpm),
            "week_days": len(week_days),
        },
        "thresholds": _thresholds(rules),
    }
