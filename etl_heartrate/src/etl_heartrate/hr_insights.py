"""Heart rate: metrics -> rounded insights (JSON-ready).

Metrics come from :mod:`etl_heartrate.heart_rate` in full precision; the values here are
rounded for display, and the narrative prints exactly these values.
"""

from __future__ import annotations

import math
from datetime import tzinfo
from typing import Any

from etl_core.contract.timeutil import describe_zone_use
from etl_heartrate.formatting import local_iso, round1, whole_or_round1
from etl_heartrate.heart_rate import (
    DaySummary,
    SustainedRun,
    age_predicted_max,
    daily_summaries,
    minute_means,
    moderate_threshold,
    sustained_runs,
    time_in_zones,
)
from etl_heartrate.rules import ACSM_ZONES, HOUR_MS, MINUTE_MS, HeartRateRules, SustainRule
from etl_heartrate.samples import SampleSeries

Insights = dict[str, Any]

NO_COVERAGE = "too little coverage"
NO_WINDOW = "no window with enough monitored minutes"


def _run_insight(run: SustainedRun) -> dict[str, Any]:
    return {
        "start": local_iso(run.start_ms, run.zone),
        "end": local_iso(run.end_ms, run.end_zone),
        "duration_minutes": round1(run.duration_minutes),
        "samples": run.samples,
        "mean_bpm": round1(run.mean_bpm),
        "min_bpm": whole_or_round1(run.min_bpm),
        "max_bpm": whole_or_round1(run.max_bpm),
    }


def _rule_insight(rule: SustainRule) -> dict[str, Any]:
    return {
        "min_duration_minutes": whole_or_round1(rule.min_duration_minutes),
        "min_samples": rule.min_samples,
        "max_gap_minutes": whole_or_round1(rule.max_gap_minutes),
    }


def _day_insight(summary: DaySummary) -> dict[str, Any]:
    resting = summary.resting
    zone = summary.zone
    no_resting_because = NO_WINDOW if summary.enough_coverage else NO_COVERAGE
    return {
        "date": summary.day.isoformat(),
        "samples": summary.samples,
        "monitored_minutes": summary.minutes_covered,
        "day_minutes": summary.day_minutes,
        "coverage_percent": round1(100 * summary.coverage_fraction),
        "mean_bpm": round1(summary.mean_bpm),
        "min_bpm": whole_or_round1(summary.min_bpm),
        "max_bpm": whole_or_round1(summary.max_bpm),
        "resting_bpm": None if resting is None else round1(resting.mean_bpm),
        "resting_window_start": (
            None
            if resting is None
            else local_iso(resting.first_minute * MINUTE_MS, summary.resting_start_zone or zone)
        ),
        "resting_window_end": (
            None
            if resting is None
            else local_iso((resting.last_minute + 1) * MINUTE_MS, summary.resting_end_zone or zone)
        ),
        "resting_window_minutes_monitored": None if resting is None else resting.minutes_covered,
        "resting_unavailable_reason": None if resting is not None else no_resting_because,
    }


def _zones_insight(
    series: SampleSeries, age_years: int | None, rules: HeartRateRules
) -> tuple[dict[str, Any] | None, dict[str, Any] | None, str | None]:
    """(zones, activity bouts, reason they are missing)."""
    if age_years is None:
        return None, None, "no age provided"
    if not rules.min_age_for_zones <= age_years <= rules.max_age_for_zones:
        return None, None, "age outside the adult range the formulas are defined for"
    hr_max = age_predicted_max(age_years)
    means = minute_means(series.samples)
    monitored = len(means)
    bands = []
    for zone_time in time_in_zones(means, hr_max):
        bands.append(
            {
                "name": zone_time.zone.name,
                "low_percent_of_max": zone_time.zone.label_low_pct,
                "high_percent_of_max": zone_time.zone.label_high_pct,
                "low_bpm": None if zone_time.low_bpm is None else round1(zone_time.low_bpm),
                "high_bpm": None if zone_time.high_bpm is None else round1(zone_time.high_bpm),
                "minutes": zone_time.minutes,
                "percent": round1(100 * zone_time.minutes / monitored) if monitored else None,
            }
        )
    zones = {
        "hr_max_bpm": hr_max,
        "hr_max_formula": "220 - age",
        "monitored_minutes": monitored,
        "bands": bands,
    }
    threshold = moderate_threshold(hr_max)
    runs = sustained_runs(series.samples, lambda bpm: bpm >= threshold, rules.bout)
    bouts = {
        "threshold_bpm": round1(threshold),
        "threshold_percent_of_max": ACSM_ZONES[1].label_low_pct,
        "rule": _rule_insight(rules.bout),
        "count": len(runs),
        "total_minutes": round1(math.fsum(r.duration_minutes for r in runs)),
        "bouts": [_run_insight(r) for r in runs],
    }
    return zones, bouts, None


def build_insights(
    series: SampleSeries,
    user_zone: tzinfo | None,
    age_years: int | None,
    rules: HeartRateRules,
) -> Insights:
    samples = series.samples
    days = daily_summaries(samples, rules.resting)
    resting_values = [d.resting.mean_bpm for d in days if d.resting is not None]
    tachycardia = sustained_runs(
        samples, lambda bpm: bpm > rules.tachycardia_above_bpm, rules.episode
    )
    bradycardia = sustained_runs(
        samples, lambda bpm: bpm < rules.bradycardia_below_bpm, rules.episode
    )
    zones, bouts, zones_missing = _zones_insight(series, age_years, rules)
    values = [s.bpm for s in samples]
    first, last = (samples[0], samples[-1]) if samples else (None, None)
    resting_bpm = (
        round1(math.fsum(resting_values) / len(resting_values)) if resting_values else None
    )
    return {
        "record_type": "HeartRateRecord",
        "records": series.records,
        "samples": len(samples),
        "start": None if first is None else local_iso(first.time_ms, first.zone),
        "end": None if last is None else local_iso(last.time_ms, last.zone),
        "span_hours": (
            None
            if first is None or last is None
            else round1((last.time_ms - first.time_ms) / HOUR_MS)
        ),
        "mean_bpm": round1(math.fsum(values) / len(values)) if values else None,
        "min_bpm": whole_or_round1(min(values)) if values else None,
        "max_bpm": whole_or_round1(max(values)) if values else None,
        "resting_bpm": resting_bpm,
        "resting_status": _resting_status(resting_bpm, rules),
        "resting_days": len(resting_values),
        "resting_window_minutes": rules.resting.window_minutes,
        "resting_rule": {
            "window_minutes": rules.resting.window_minutes,
            "min_window_minutes_monitored": rules.resting.min_window_minutes_covered,
            "min_day_coverage_percent": round1(100 * rules.resting.min_day_coverage),
            "min_day_minutes_monitored": rules.resting.min_day_minutes_covered,
        },
        "sources": series.by_origin(),
        "source_count": len(series.by_origin()),
        "timezone": describe_zone_use(series.offset_ids, user_zone),
        "daily": [_day_insight(d) for d in days],
        "local_days": len(days),
        "tachycardia_episodes": len(tachycardia),
        "bradycardia_episodes": len(bradycardia),
        "episode_rule": _rule_insight(rules.episode),
        "episodes": {
            "tachycardia": [_run_insight(r) for r in tachycardia],
            "bradycardia": [_run_insight(r) for r in bradycardia],
        },
        "samples_above_tachycardia_threshold": sum(
            1 for v in values if v > rules.tachycardia_above_bpm
        ),
        "samples_below_bradycardia_threshold": sum(
            1 for v in values if v < rules.bradycardia_below_bpm
        ),
        "thresholds": {
            "tachycardia_above_bpm": rules.tachycardia_above_bpm,
            "bradycardia_below_bpm": rules.bradycardia_below_bpm,
            "resting_normal_low_bpm": rules.resting_normal_low_bpm,
            "resting_normal_high_bpm": rules.resting_normal_high_bpm,
            "valid_low_bpm": rules.valid_low_bpm,
            "valid_high_bpm": rules.valid_high_bpm,
            "zones_min_age_years": rules.min_age_for_zones,
        },
        "age_years": age_years,
        "zones": zones,
        "activity_bouts": bouts,
        "zones_unavailable_reason": zones_missing,
        "data_quality": {
            "duplicate_samples_dropped": series.duplicates_dropped,
            "out_of_range_samples_dropped": series.out_of_range_dropped,
            "malformed_samples_dropped": series.malformed_dropped,
        },
        "definitions": {
            "resting_bpm": (
                "mean of the qualifying days' lowest rolling 30-minute means of per-minute "
                "average heart rate"
            ),
            "bradycardia": "below 50 bpm, as in the 2018 ACC/AHA/HRS bradycardia guideline",
            "zones": "ACSM intensity bands as percent of age-predicted maximum (220 - age)",
        },
    }


def _resting_status(resting_bpm: float | None, rules: HeartRateRules) -> str | None:
    if resting_bpm is None:
        return None
    if resting_bpm < rules.resting_normal_low_bpm:
        return "below"
    if resting_bpm > rules.resting_normal_high_bpm:
        return "above"
    return "within"
