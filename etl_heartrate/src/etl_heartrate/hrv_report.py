"""HRV (RMSSD): metrics -> rounded insights -> narrative and summary.

ln RMSSD values are rounded to two decimals (one decimal would hide the differences the
readiness band is about); millisecond values to one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from etl_core.timeutil import describe_zone_use
from etl_heartrate.formatting import (
    app_name,
    clock,
    date_and_clock,
    join_words,
    local_datetime,
    local_iso,
    plural,
    round1,
    round2,
    show,
)
from etl_heartrate.hrv import RmssdSeries, baseline, nightly, rmssd_statistics
from etl_heartrate.rules import HOUR_MS, HrvRules

Insights = dict[str, Any]

MAX_NIGHTS_LISTED = 7


@dataclass(frozen=True, slots=True)
class HrvReport:
    narrative: str
    insights: Insights
    summary: str
    events: dict[str, int]
    data_start: datetime | None
    data_end: datetime | None


def build_insights(series: RmssdSeries, user_zone: ZoneInfo | None, rules: HrvRules) -> Insights:
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
            None if first is None or last is None
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


def _night_window(night: dict[str, Any]) -> str:
    first, last = night["first"], night["last"]
    if first[:10] == last[:10]:
        return f"{date_and_clock(first)} to {clock(last)}"
    return f"{date_and_clock(first)} to {date_and_clock(last)}"


def _sources_phrase(ins: Insights) -> str:
    sources = ins["sources"]
    if len(sources) == 1:
        return f"from {app_name(next(iter(sources)))}"
    parts = [f"{app_name(o)} ({plural(c, 'measurement')})" for o, c in sources.items()]
    return f"from {join_words(parts)}"


def _baseline_paragraph(ins: Insights) -> str:
    rule = ins["baseline_rule"]
    base = ins["baseline"]
    nights = ins["nights"]
    definition = (
        f"the rolling {rule['window_nights']}-night mean of nightly ln RMSSD, which needs at "
        f"least {rule['min_nights']} nights in the window"
    )
    if base is None:
        if nights == 1:
            return (
                f"This is a single night: a snapshot, not a trend, and no personal baseline "
                f"({definition}) can be set from it."
            )
        if nights < rule["min_nights"]:
            return (
                f"With {nights} nights there is no personal baseline ({definition}), and no trend "
                f"is drawn between them."
            )
        return (
            f"The {nights} nights are too far apart for a personal baseline ({definition}), so "
            f"no trend is drawn."
        )
    status_words = {
        "within": "within",
        "below": "below",
        "above": "above",
    }
    text = (
        f"Personal baseline ({definition}): on the night of {base['latest_night']} it was "
        f"{show(base['latest_ln_rmssd_7night_mean'], 2)}, "
        f"{status_words[base['latest_status']]} the normal band of "
        f"{show(base['normal_band_ln_low'], 2)}-{show(base['normal_band_ln_high'], 2)} (long-term "
        f"mean {show(base['long_term_ln_rmssd_mean'], 2)} \u00b1 "
        f"{show(rule['normal_band_sd_fraction'])} SD over {base['nights']} nights)."
    )
    outside = [p for p in base["rolling"] if p["status"] != "within"]
    if outside:
        listed = join_words(
            [f"{p['night']} ({p['status']}, {show(p['ln_rmssd_7night_mean'], 2)})" for p in outside]
        )
        text += (
            f" The rolling mean was outside the band on {plural(len(outside), 'night')}: {listed}. "
            f"In readiness practice a shift outside the band is a cue to review training load, "
            f"sleep and recovery, not a diagnosis."
        )
    else:
        text += " The rolling mean stayed within the band on every night it could be computed."
    return text


def build_narrative(ins: Insights) -> str:
    if ins["measurements"] == 0:
        return (
            f"The file holds {plural(ins['records'], 'HRV record')} but no usable RMSSD value, so "
            f"nothing can be said about heart-rate variability."
        )
    nightly_rows = ins["nightly"]
    if ins["nights"] == 1:
        night = nightly_rows[0]
        where = (
            f"{plural(ins['measurements'], 'RMSSD measurement')} {_sources_phrase(ins)} cover one "
            f"night, {_night_window(night)} local time (the night beginning {night['night']}); "
            f"local times are read in {ins['timezone']}."
        )
    else:
        where = (
            f"{plural(ins['measurements'], 'RMSSD measurement')} {_sources_phrase(ins)} cover "
            f"{ins['nights']} nights from {nightly_rows[0]['night']} to "
            f"{nightly_rows[-1]['night']} (each night runs from local noon to noon and is named by "
            f"the date it begins); local times are read in {ins['timezone']}."
        )
    sd = ins["sd_rmssd_ms"]
    spread = f", standard deviation {show(sd)} ms" if sd is not None else ""
    stats = (
        f"Mean RMSSD was {show(ins['mean_rmssd_ms'])} ms, median {show(ins['median_rmssd_ms'])} "
        f"ms{spread}, range {show(ins['min_rmssd_ms'])}-{show(ins['max_rmssd_ms'])} ms; mean "
        f"ln(RMSSD) {show(ins['ln_rmssd_mean'], 2)}."
    )
    paragraphs = [f"{where[0].upper()}{where[1:]} {stats}"]
    if ins["nights"] > 1:
        rows = nightly_rows[:MAX_NIGHTS_LISTED]
        listed = "; ".join(
            f"night of {n['night']}: {plural(n['measurements'], 'measurement')}, mean "
            f"{show(n['mean_rmssd_ms'])} ms, ln {show(n['ln_rmssd_mean'], 2)}"
            for n in rows
        )
        more = (
            "; only the earliest nights are shown here, all are in the insights"
            if len(nightly_rows) > MAX_NIGHTS_LISTED
            else ""
        )
        paragraphs.append(f"By night: {listed}{more}.")
    paragraphs.append(_baseline_paragraph(ins))
    targets = ins["targets"]
    paragraphs.append(
        f"For orientation only: short-term adult RMSSD is about "
        f"{targets['typical_adult_rmssd_mean_ms']} \u00b1 {targets['typical_adult_rmssd_sd_ms']} "
        f"ms (roughly {targets['typical_adult_rmssd_low_ms']}-"
        f"{targets['typical_adult_rmssd_high_ms']} ms) and falls with age; overnight wearable "
        f"values are not strictly comparable, so no judgement is made against it."
    )
    quality = ins["data_quality"]
    dropped = []
    if quality["invalid_measurements_dropped"]:
        dropped.append(
            f"{plural(quality['invalid_measurements_dropped'], 'measurement')} without a usable "
            f"time or a value in {show(targets['valid_low_ms'])}-{show(targets['valid_high_ms'])} "
            f"ms"
        )
    if quality["duplicate_measurements_dropped"]:
        dropped.append(
            f"{plural(quality['duplicate_measurements_dropped'], 'exact duplicate measurement')}"
        )
    if dropped:
        paragraphs.append(f"Left out of every figure: {join_words(dropped)}.")
    return "\n\n".join(paragraphs)


def build_summary(ins: Insights) -> str:
    if ins["measurements"] == 0:
        return f"HeartRateVariabilityRmssdRecord: {ins['records']} records, no usable values."
    sources = ", ".join(f"{origin} {count}" for origin, count in ins["sources"].items())
    nights = "; ".join(
        f"night of {n['night']}: {n['measurements']} values {n['first']} to {n['last']}, mean "
        f"{show(n['mean_rmssd_ms'])} ms"
        for n in ins["nightly"]
    )
    return (
        f"HeartRateVariabilityRmssdRecord: {ins['records']} records, {ins['measurements']} RMSSD "
        f"values in ms ({sources}); {ins['start']} to {ins['end']} ({ins['timezone']}); min "
        f"{show(ins['min_rmssd_ms'])} mean {show(ins['mean_rmssd_ms'])} max "
        f"{show(ins['max_rmssd_ms'])}; {nights}."
    )


def hrv_report(series: RmssdSeries, user_zone: ZoneInfo | None, rules: HrvRules) -> HrvReport:
    insights = build_insights(series, user_zone, rules)
    events: dict[str, int] = {}
    base = insights["baseline"]
    if base is not None:
        events["hrv_rolling_mean_outside_band"] = base["nights_outside_band"]
    ms = series.measurements
    return HrvReport(
        narrative=build_narrative(insights),
        insights=insights,
        summary=build_summary(insights),
        events=events,
        data_start=local_datetime(ms[0].time_ms, ms[0].zone) if ms else None,
        data_end=local_datetime(ms[-1].time_ms, ms[-1].zone) if ms else None,
    )
