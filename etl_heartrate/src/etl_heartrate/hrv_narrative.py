"""HRV (RMSSD): the narrative and the summary, written from the insights only."""

from __future__ import annotations

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
from etl_heartrate.hrv_insights import Insights

MAX_NIGHTS_LISTED = 7


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
    if base is None:
        if nights == 1:
            return (
                "This is a single night: a snapshot, not a trend, and no personal baseline can be "
                "set from it."
            )
        if nights < rule["min_nights"]:
            return (
                f"With {nights} nights there is no personal baseline (it needs "
                f"{rule['min_nights']} nights within {rule['window_nights']}), and no trend is "
                f"drawn between them."
            )
        return (
            f"The {nights} nights are too far apart for a personal baseline (it needs "
            f"{rule['min_nights']} nights within {rule['window_nights']}), so no trend is drawn."
        )
    text = (
        f"Personal baseline: on the night of {base['latest_night']} the "
        f"{rule['window_nights']}-night mean of ln RMSSD was "
        f"{show(base['latest_ln_rmssd_7night_mean'], 2)}, {base['latest_status']} the normal band "
        f"of {show(base['normal_band_ln_low'], 2)}-{show(base['normal_band_ln_high'], 2)} "
        f"(long-term mean {show(base['long_term_ln_rmssd_mean'], 2)} \u00b1 "
        f"{show(rule['normal_band_sd_fraction'])} SD over {base['nights']} nights)."
    )
    # Most recent first, and never cut: the latest night is the one a reader needs.
    outside = [p for p in reversed(base["rolling"]) if p["status"] != "within"]
    if outside:
        listed = join_words(
            [f"{p['night']} ({p['status']}, {show(p['ln_rmssd_7night_mean'], 2)})" for p in outside]
        )
        text += (
            f" The rolling mean was outside the band on {plural(len(outside), 'night')}, most "
            f"recent first: {listed}. In readiness practice a shift outside the band is a cue to "
            f"review training load, sleep and recovery, not a diagnosis."
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
            f"local times are {zone_phrase(ins['timezone'])}."
        )
    else:
        where = (
            f"{plural(ins['measurements'], 'RMSSD measurement')} {_sources_phrase(ins)} cover "
            f"{ins['nights']} nights from {nightly_rows[0]['night']} to "
            f"{nightly_rows[-1]['night']} (each night runs from local noon to noon and is named by "
            f"the date it begins); local times are {zone_phrase(ins['timezone'])}."
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
        # The latest nights, never the earliest: a cut list must keep the most recent night.
        rows = nightly_rows[-MAX_NIGHTS_LISTED:]
        listed = "; ".join(
            f"night of {n['night']}: {plural(n['measurements'], 'measurement')}, mean "
            f"{show(n['mean_rmssd_ms'])} ms, ln {show(n['ln_rmssd_mean'], 2)}"
            for n in rows
        )
        more = (
            "; only the latest nights are shown here, all are in the insights"
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
