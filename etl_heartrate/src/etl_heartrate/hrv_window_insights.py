"""HRV windows: metrics -> rounded insights (JSON-ready). ln RMSSD to two decimals, ms to one."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from etl_core import Window
from etl_heartrate.formatting import local_iso, round1, round2
from etl_heartrate.hrv import DUPLICATE, INVALID, RmssdSeries, nightly, rmssd_statistics
from etl_heartrate.hrv_window import NightJudgement, judge_nights, mean_of_nights
from etl_heartrate.rules import HrvRules
from etl_heartrate.voice import weekday
from etl_heartrate.window_common import clock_insight, window_insight

Insights = dict[str, Any]


def _rules(rules: HrvRules) -> dict[str, Any]:
    return {
        "rolling_window_nights": rules.baseline_window_nights,
        "rolling_min_nights": rules.min_nights_for_baseline,
        "band_period_nights": rules.band_nights,
        "band_min_nights": rules.min_band_nights,
        "band_sd_fraction": rules.normal_band_sd_fraction,
        "typical_adult_rmssd_mean_ms": 42,
        "typical_adult_rmssd_sd_ms": 15,
        "typical_adult_rmssd_low_ms": rules.typical_adult_rmssd_low_ms,
        "typical_adult_rmssd_high_ms": rules.typical_adult_rmssd_high_ms,
    }


def _judgement(j: NightJudgement) -> dict[str, Any]:
    band = j.band
    return {
        "night": j.night.night.isoformat(),
        "weekday": weekday(j.night.night),
        "measurements": j.night.measurements,
        "ln_rmssd": j.ln_rmssd,
        "mean_rmssd_ms": round1(j.night.mean_rmssd_ms),
        "first": local_iso(j.night.first.time_ms, j.night.first.zone),
        "last": local_iso(j.night.last.time_ms, j.night.last.zone),
        "rolling_first_night": j.rolling_first_night.isoformat(),
        "rolling_nights": j.rolling_nights,
        "rolling_ln_mean": j.rolling_mean,
        "band_first_night": band.first_night.isoformat(),
        "band_last_night": band.last_night.isoformat(),
        "band_nights": band.nights,
        "band_ln_mean": band.mean,
        "band_ln_sd": band.sd,
        "band_ln_low": band.low,
        "band_ln_high": band.high,
        "status": j.status,
    }


def _data_quality(series: RmssdSeries, nights: list[date]) -> dict[str, int]:
    """Measurements left out on the window's own nights (not those of its lookback)."""
    dropped = series.dropped_on(nights)
    return {
        "duplicate_measurements_dropped": dropped[DUPLICATE],
        "invalid_measurements_dropped": dropped[INVALID],
    }


def _clock(window: Window, series: RmssdSeries, nights: list[date]) -> dict[str, Any]:
    inside = [m for m in series.measurements if m.night in set(nights)]
    return clock_insight(window, [(m.time_ms, m.zone) for m in inside])


def night_window_insights(window: Window, series: RmssdSeries, rules: HrvRules) -> Insights:
    night = window.first_day
    previous = night - timedelta(days=1)
    judged = {
        j.night.night: j
        for j in judge_nights(nightly(series.measurements), [previous, night], rules)
    }
    inside = [m for m in series.measurements if m.night == night]
    stats = rmssd_statistics([m.rmssd_ms for m in inside])
    this = judged.get(night)
    before = judged.get(previous)
    sources: dict[str, int] = {}
    for m in inside:
        sources[m.origin] = sources.get(m.origin, 0) + 1
    change = (
        round2(this.ln_rmssd - before.ln_rmssd) if this is not None and before is not None else None
    )
    return {
        "record_type": "HeartRateVariabilityRmssdRecord",
        "window": window_insight(window),
        "weekday": weekday(night),
        "clock": _clock(window, series, [night]),
        "records": len(window.records),
        "measurements": len(inside),
        "sources": dict(sorted(sources.items(), key=lambda item: (-item[1], item[0]))),
        "mean_rmssd_ms": None if stats is None else round1(stats.mean_ms),
        "median_rmssd_ms": None if stats is None else round1(stats.median_ms),
        "min_rmssd_ms": None if stats is None else round1(stats.min_ms),
        "max_rmssd_ms": None if stats is None else round1(stats.max_ms),
        "night": None if this is None else _judgement(this),
        "previous_night": None if before is None else _judgement(before),
        "change_from_previous_night_ln": change,
        "change_from_previous_night_size_ln": None if change is None else abs(change),
        "rules": _rules(rules),
        "data_quality": _data_quality(series, [night]),
    }


def _week_part(judgements: list[NightJudgement], rules: HrvRules) -> dict[str, Any]:
    newest_first = sorted(judgements, key=lambda j: j.night.night, reverse=True)
    return {
        "nights_recorded": len(judgements),
        "ln_mean": mean_of_nights(judgements, rules),
        "nights_judged": sum(1 for j in judgements if j.status is not None),
        "nights_above_band": [
            j.night.night.isoformat() for j in newest_first if j.status == "above"
        ],
        "nights_below_band": [
            j.night.night.isoformat() for j in newest_first if j.status == "below"
        ],
        "nights_above_band_count": sum(1 for j in judgements if j.status == "above"),
        "nights_below_band_count": sum(1 for j in judgements if j.status == "below"),
        "nights_within_band": sum(1 for j in judgements if j.status == "within"),
    }


def week_window_insights(window: Window, series: RmssdSeries, rules: HrvRules) -> Insights:
    week_nights = window.days()
    previous_nights = [night - timedelta(days=7) for night in week_nights]
    all_judged = judge_nights(nightly(series.measurements), [*previous_nights, *week_nights], rules)
    this_week = [j for j in all_judged if j.night.night >= window.first_day]
    last_week = [j for j in all_judged if j.night.night < window.first_day]
    this_part = _week_part(this_week, rules)
    last_part = _week_part(last_week, rules)
    change = (
        round2(this_part["ln_mean"] - last_part["ln_mean"])
        if this_part["ln_mean"] is not None and last_part["ln_mean"] is not None
        else None
    )
    # What is missing, from the newest night of the week: the counts a reader needs to see why
    # there is no rolling mean or no band yet.
    newest = this_week[-1] if this_week else None
    iso_year, iso_week, _ = window.first_day.isocalendar()
    return {
        "record_type": "HeartRateVariabilityRmssdRecord",
        "window": window_insight(window),
        "iso_week": f"{iso_year}-W{iso_week:02d}",
        "clock": _clock(window, series, week_nights),
        "records": len(window.records),
        "measurements": sum(j.night.measurements for j in this_week),
        "week_nights": len(week_nights),
        "nights": [_judgement(j) for j in this_week],
        **this_part,
        "newest_night": None if newest is None else _judgement(newest),
        "previous_week": {"first_night": previous_nights[0].isoformat(), **last_part},
        "change_from_previous_week_ln": change,
        "change_from_previous_week_size_ln": None if change is None else abs(change),
        "rules": _rules(rules),
        "data_quality": _data_quality(series, week_nights),
    }
