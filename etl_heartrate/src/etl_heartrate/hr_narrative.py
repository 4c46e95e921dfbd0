"""Heart rate: the narrative and the summary, written from the insights only.

Every figure printed here is read from the insights dictionary, so the text can only state
values the insights hold.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import pairwise
from typing import Any

from etl_heartrate.formatting import (
    app_name,
    clock,
    date_and_clock,
    join_words,
    plural,
    show,
    zone_phrase,
)
from etl_heartrate.hr_insights import NO_COVERAGE, NO_WINDOW, Insights
from etl_heartrate.rules import HeartRateRules

MAX_EPISODES_LISTED = 5


def _sources_phrase(sources: Mapping[str, int]) -> str:
    parts = [f"{app_name(origin)} ({plural(count, 'sample')})" for origin, count in sources.items()]
    return join_words(parts)


def _overview(ins: Insights) -> str:
    start, end = ins["start"], ins["end"]
    sources = ins["sources"]
    text = (
        f"Heart rate was recorded in {plural(ins['samples'], 'sample')} over "
        f"{show(ins['span_hours'])} hours, from {date_and_clock(start)} to "
        f"{date_and_clock(end)} local time ({zone_phrase(ins['timezone'])}). "
    )
    if len(sources) > 1:
        text += f"The samples came from {ins['source_count']} sources: {_sources_phrase(sources)}. "
    else:
        origin = next(iter(sources))
        text += f"All samples came from {app_name(origin)}. "
    text += (
        f"The mean of all samples was {show(ins['mean_bpm'])} bpm, ranging from "
        f"{show(ins['min_bpm'])} to {show(ins['max_bpm'])} bpm."
    )
    return text


def _days_without_resting(days: Sequence[Mapping[str, Any]]) -> str:
    """``2025-09-19 (5.1% of minutes monitored) has no resting value: too little coverage.``"""
    sentences = []
    for reason in (NO_COVERAGE, NO_WINDOW):
        matching = [d for d in days if d["resting_unavailable_reason"] == reason]
        if not matching:
            continue
        listed = join_words(
            [f"{d['date']} ({show(d['coverage_percent'])}% of minutes monitored)" for d in matching]
        )
        verb = "has" if len(matching) == 1 else "have"
        sentences.append(f"{listed} {verb} no resting value: {reason}.")
    return " ".join(sentences)


def _resting_comparison(ins: Insights) -> str:
    thresholds = ins["thresholds"]
    window = ins["resting_rule"]["window_minutes"]
    normal = f"{thresholds['resting_normal_low_bpm']}-{thresholds['resting_normal_high_bpm']} bpm"
    status = ins["resting_status"]
    if status == "within":
        return f"That is within the usual adult resting range of {normal}."
    if status == "above":
        return (
            f"That is above the usual adult resting range of {normal} even at its lowest; it may "
            f"be worth reviewing with a clinician."
        )
    text = (
        f"That is below the usual adult resting range of {normal}; a wearable's lowest "
        f"{window}-minute mean often falls during sleep and below a seated clinic reading."
    )
    if ins["resting_bpm"] < thresholds["bradycardia_below_bpm"]:
        text += (
            f" It is also below {thresholds['bradycardia_below_bpm']} bpm, the bradycardia "
            f"threshold of the 2018 ACC/AHA/HRS guideline; it may be worth reviewing with a "
            f"clinician alongside symptoms, fitness and medication."
        )
    return text


def _resting_paragraph(ins: Insights) -> str:
    daily = ins["daily"]
    qualifying = [d for d in daily if d["resting_bpm"] is not None]
    lacking = _days_without_resting([d for d in daily if d["resting_bpm"] is None])
    if not qualifying:
        return f"Resting heart rate is unavailable. {lacking}"
    day_parts = [
        f"{show(d['resting_bpm'])} bpm on {d['date']} ({clock(d['resting_window_start'])}-"
        f"{clock(d['resting_window_end'])})"
        for d in qualifying
    ]
    if len(qualifying) == 1:
        text = f"Resting heart rate was {day_parts[0]}."
    else:
        text = (
            f"Resting heart rate averaged {show(ins['resting_bpm'])} bpm over "
            f"{len(qualifying)} days: {join_words(day_parts)}."
        )
    text += f" {_resting_comparison(ins)}"
    return f"{text} {lacking}" if lacking else text


def _daily_paragraph(ins: Insights, rules: HeartRateRules) -> str | None:
    daily = ins["daily"]
    if len(daily) < 2:
        return None
    if len(daily) > rules.max_daily_rows_in_narrative:
        return (
            f"The samples fall on {ins['local_days']} local days; the per-day figures are in the "
            f"structured insights."
        )
    parts = [
        f"{d['date']}, {plural(d['samples'], 'sample')} with {show(d['coverage_percent'])}% of "
        f"minutes monitored, mean {show(d['mean_bpm'])} bpm (range {show(d['min_bpm'])}-"
        f"{show(d['max_bpm'])})"
        for d in daily
    ]
    return f"By local day: {'; '.join(parts)}."


def _episode_list(runs: Sequence[Mapping[str, Any]], extreme_key: str, word: str) -> str:
    parts = [
        f"{date_and_clock(r['start'])} to {clock(r['end'])} ({show(r['duration_minutes'])} "
        f"minutes, {word} {show(r[extreme_key])} bpm)"
        for r in runs[:MAX_EPISODES_LISTED]
    ]
    text = join_words(parts)
    if len(runs) > MAX_EPISODES_LISTED:
        text += "; only the earliest are shown here, all are in the insights"
    return text


def _capitalised(text: str) -> str:
    return f"{text[0].upper()}{text[1:]}" if text else text


def _episodes_paragraph(ins: Insights) -> str:
    thresholds = ins["thresholds"]
    high, low = thresholds["tachycardia_above_bpm"], thresholds["bradycardia_below_bpm"]
    tachy, brady = ins["episodes"]["tachycardia"], ins["episodes"]["bradycardia"]
    sentences: list[str] = []
    if not tachy and not brady:
        sentences.append(f"No sustained period above {high} bpm or below {low} bpm was found.")
    else:
        if tachy:
            sentences.append(
                f"{_capitalised(plural(len(tachy), 'sustained period'))} above {high} bpm: "
                f"{_episode_list(tachy, 'max_bpm', 'peak')}; without activity context these may "
                f"reflect exercise or exertion."
            )
        else:
            sentences.append(f"No sustained period above {high} bpm was found.")
        if brady:
            sentences.append(
                f"{_capitalised(plural(len(brady), 'sustained period'))} below {low} bpm: "
                f"{_episode_list(brady, 'min_bpm', 'lowest')}; these may reflect sleep or "
                f"fitness, and could be reviewed with a clinician if symptoms occur."
            )
        else:
            sentences.append(f"No sustained period below {low} bpm was found.")
    above = ins["samples_above_tachycardia_threshold"]
    below = ins["samples_below_bradycardia_threshold"]
    beyond = []
    if above:
        beyond.append(f"{plural(above, 'sample')} above {high} bpm")
    if below:
        beyond.append(f"{plural(below, 'sample')} below {low} bpm")
    if beyond:
        listed = join_words(beyond)
        verb = "was" if above + below == 1 else "were"
        if tachy or brady:
            sentences.append(f"In all, {listed} {verb} recorded.")
        else:
            sentences.append(
                f"{_capitalised(listed)} {verb} recorded, none in a run long enough to count as "
                f"an episode."
            )
    return " ".join(sentences)


def _zones_paragraph(ins: Insights) -> str:
    zones, bouts = ins["zones"], ins["activity_bouts"]
    if zones is None or bouts is None:
        if ins["age_years"] is None:
            return (
                "Heart-rate zones and elevated-activity bouts need the person's age (for the "
                "age-predicted maximum heart rate); no age was provided, so neither is reported."
            )
        return (
            f"Heart-rate zones and elevated-activity bouts are not reported: the age-based "
            f"formulas are adult definitions (from {ins['thresholds']['zones_min_age_years']} "
            f"years) and the stated age is outside that range."
        )
    bands = zones["bands"]
    next_low = {
        band["name"]: following["low_percent_of_max"] for band, following in pairwise(bands)
    }
    band_parts = []
    for band in bands:
        if band["low_percent_of_max"] is None:
            scope = f"under {next_low[band['name']]}% of maximum"
        elif band["high_percent_of_max"] is None:
            scope = f"{band['low_percent_of_max']}% of maximum or more"
        else:
            scope = f"{band['low_percent_of_max']}-{band['high_percent_of_max']}%"
        band_parts.append(f"{show(band['percent'])}% {band['name']} ({scope})")
    text = (
        f"With the stated age of {ins['age_years']} years, the age-predicted maximum heart rate "
        f"({zones['hr_max_formula']}) is {zones['hr_max_bpm']} bpm. Of "
        f"{plural(zones['monitored_minutes'], 'monitored minute')}, by ACSM bands: "
        f"{join_words(band_parts)}."
    )
    bout_definition = (
        f"at least {show(bouts['threshold_bpm'])} bpm, {bouts['threshold_percent_of_max']}% of "
        f"maximum"
    )
    if bouts["count"] == 0:
        text += f" No elevated-activity bout ({bout_definition}) was found."
    else:
        parts = [
            f"{date_and_clock(b['start'])} to {clock(b['end'])} ({show(b['duration_minutes'])} "
            f"minutes, mean {show(b['mean_bpm'])} bpm)"
            for b in bouts["bouts"][:MAX_EPISODES_LISTED]
        ]
        listed = join_words(parts)
        if bouts["count"] > MAX_EPISODES_LISTED:
            listed += "; only the earliest are shown here, all are in the insights"
        text += (
            f" {_capitalised(plural(bouts['count'], 'elevated-activity bout'))} "
            f"({bout_definition}) totalled "
            f"{show(bouts['total_minutes'])} minutes: {listed}."
        )
    return text


def _quality_paragraph(ins: Insights) -> str | None:
    quality = ins["data_quality"]
    thresholds = ins["thresholds"]
    parts = []
    if quality["out_of_range_samples_dropped"]:
        parts.append(
            f"{plural(quality['out_of_range_samples_dropped'], 'sample')} outside the "
            f"{thresholds['valid_low_bpm']}-{thresholds['valid_high_bpm']} bpm range Health "
            f"Connect accepts"
        )
    if quality["malformed_samples_dropped"]:
        parts.append(
            f"{plural(quality['malformed_samples_dropped'], 'sample')} without a usable time or "
            f"value"
        )
    if quality["duplicate_samples_dropped"]:
        parts.append(
            f"{plural(quality['duplicate_samples_dropped'], 'exact duplicate sample')} from "
            f"overlapping records"
        )
    if not parts:
        return None
    return f"Left out of every figure: {join_words(parts)}."


def build_narrative(ins: Insights, rules: HeartRateRules) -> str:
    if ins["samples"] == 0:
        text = (
            f"The file holds {plural(ins['records'], 'heart-rate record')} but no usable sample, "
            f"so nothing can be said about heart rate."
        )
        quality = _quality_paragraph(ins)
        return f"{text} {quality}" if quality else text
    paragraphs = [
        _overview(ins),
        _resting_paragraph(ins),
        _daily_paragraph(ins, rules),
        _episodes_paragraph(ins),
        _zones_paragraph(ins),
        _quality_paragraph(ins),
    ]
    return "\n\n".join(p for p in paragraphs if p)


def build_summary(ins: Insights) -> str:
    """The training example's input: the data as compact facts, no interpretation."""
    if ins["samples"] == 0:
        return f"HeartRateRecord: {ins['records']} records, no usable samples."
    sources = ", ".join(f"{origin} {count}" for origin, count in ins["sources"].items())
    days = "; ".join(
        f"{d['date']}: {d['samples']} samples, {d['monitored_minutes']} minutes monitored, "
        f"bpm min {show(d['min_bpm'])} mean {show(d['mean_bpm'])} max {show(d['max_bpm'])}"
        for d in ins["daily"]
    )
    age = "unknown" if ins["age_years"] is None else str(ins["age_years"])
    return (
        f"HeartRateRecord: {ins['records']} records, {ins['samples']} samples ({sources}); "
        f"{ins['start']} to {ins['end']} ({show(ins['span_hours'])} h; {ins['timezone']}); "
        f"bpm min {show(ins['min_bpm'])} mean {show(ins['mean_bpm'])} max "
        f"{show(ins['max_bpm'])}; by local day: {days}; age: {age}."
    )
