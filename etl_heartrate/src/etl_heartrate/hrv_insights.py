"""HRV (RMSSD): metrics -> rounded insights (JSON-ready).

ln RMSSD values are rounded to two decimals (one decimal would hide the differences the
readiness band is about); millisecond values to one.
"""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from etl_core.contract.timeutil import describe_zone_use
from etl_heartrate.formatting import local_iso, round1, round2
from etl_heartrate.hrv import RmssdSeries, baseline, nightly, rmssd_statistics
from etl_heartrate.rules import HOUR_MS, HrvRules

Insights = dict[str, Any]


def build_insights(series: RmssdSeries, user_zone: tzinfo | None, rules: HrvRules) -> Insights:
    measurements = series.measurements
    stats = rmssd_statistics([m.rmssd_ms for m in measurements])
    nights = nightly(measurements)
    base = baseline(nights, rules)
    first, last = (measurements[0], measurements[-1]) if measurements else (None, None)
    baseline_insight: dict[str, Any] | None = None
    if base is not None:
        baseline_insight = {
            "long_term_ln_rmssd_mean": round2(base.long_term_ln_mean),
            "long_term_ln_rmssd_sd": round2(base.long_term_ln_sd),
            "normal_band_ln_low": round2(base.band_low),
            "normal_band_ln_high": round2(base.band_high),
            "nights": base.nights,
            "rolling": [
                {
                    "night": point.night.isoformat(),
                    "ln_rmssd_7night_mean": round2(point.ln_rmssd_rolling_mean),
                    "nights_in_window": point.nights_in_window,
                    "status": point.status,
                }
                for point in base.rolling
            ],
            "latest_night": base.latest.night.isoformat(),
            "latest_ln_rmssd_7night_mean": round2(base.latest.ln_rmssd_rolling_mean),
            "latest_status": base.latest.status,
            "nights_outside_band": sum(1 for p in base.rolling if p.status != "within"),
        }
    return {
        "record_type": "HeartRateVariabilityRmssdRecord",
        "records": series.records,
        "measurements": len(measurements),
        "start": None if first is None else local_iso(first.time_ms, first.zone),
        "end": None if last is None else local_iso(last.time_ms, last.zone),
        "span_hours": (
            None
            if first is None or last is None
            else round1((last.time_ms - first.time_ms) / HOUR_MS)
        ),
        "nights": len(nights),
        "mean_rmssd_ms": None if stats is None else round1(stats.mean_ms),
        "median_rmssd_ms": None if stats is None else round1(stats.median_ms),
        "sd_rmssd_ms": None if stats is None or stats.sd_ms is None else round1(stats.sd_ms),
        "min_rmssd_ms": None if stats is None else round1(stats.min_ms),
        "max_rmssd_ms": None if stats is None else round1(stats.max_ms),
        "ln_rmssd_mean": None if stats is None else round2(stats.ln_mean),
        "nightly": [
            {
                "night": n.night.isoformat(),
                "measurements": n.measurements,
                "mean_rmssd_ms": round1(n.mean_rmssd_ms),
                "ln_rmssd_mean": round2(n.ln_rmssd_mean),
                "first": local_iso(n.first.time_ms, n.first.zone),
                "last": local_iso(n.last.time_ms, n.last.zone),
            }
            for n in nights
        ],
        "baseline": baseline_insight,
        "baseline_rule": {
            "min_nights": rules.min_nights_for_baseline,
            "window_nights": rules.baseline_window_nights,
            "normal_band_sd_fraction": rules.normal_band_sd_fraction,
            "night": "local noon to the next local noon, named by its first date",
        },
        "sources": series.by_origin(),
        "timezone": describe_zone_use(series.offset_ids, user_zone),
        "targets": {
            "typical_adult_rmssd_mean_ms": 42,
            "typical_adult_rmssd_sd_ms": 15,
            "typical_adult_rmssd_low_ms": rules.typical_adult_rmssd_low_ms,
            "typical_adult_rmssd_high_ms": rules.typical_adult_rmssd_high_ms,
            "valid_low_ms": rules.valid_low_ms,
            "valid_high_ms": rules.valid_high_ms,
        },
        "data_quality": {
            "duplicate_measurements_dropped": series.duplicates_dropped,
            "invalid_measurements_dropped": series.invalid_dropped,
        },
    }
