"""The narrative and the factual input summary, written from the rounded insights only.

Every figure printed here is read from the insights dict, so the text states exactly the
reported (rounded) values and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

SPECIMEN_WORDS = {
    "INTERSTITIAL_FLUID": "interstitial fluid",
    "CAPILLARY_BLOOD": "capillary blood",
    "PLASMA": "plasma",
    "SERUM": "serum",
    "TEARS": "tears",
    "WHOLE_BLOOD": "whole blood",
    "UNKNOWN": "unrecorded specimen",
}
RELATION_WORDS = {
    "fasting": "fasting",
    "before_meal": "before meals",
    "after_meal": "after meals",
    "general": "not tied to a meal",
}
EVENTS_LISTED = 3
WINDOW_IN_DAYS_FROM_HOURS = 48.0
"""Windows of this many hours or more are described in days."""

Insights = Mapping[str, Any]


def num(value: float | int) -> str:
    """A figure as the insight holds it (ints with thousands separators)."""
    if isinstance(value, int):
        return f"{value:,}"
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}" if abs(value) >= 1000 else repr(value)
    return repr(value)


def two_places(value: float) -> str:
    """GMI and eA1c as clinicians write them (5.70, not 5.7)."""
    return f"{value:.2f}"


def whole(value: float) -> str:
    """A threshold such as 70.0 written as 70 (the figure check compares values, not text)."""
    return f"{value:g}"


def clock(iso_text: str) -> str:
    """``2025-09-20T03:10:00-05:00`` -> ``2025-09-20 03:10``."""
    return iso_text[:16].replace("T", " ")


def _plural(count: int, singular: str, plural: str | None = None) -> str:
    return f"{num(count)} {singular if count == 1 else (plural or singular + 's')}"


def _join(parts: Sequence[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _window_words(ins: Insights) -> str:
    if ins["span_hours"] < WINDOW_IN_DAYS_FROM_HOURS or ins["days_covered"] is None:
        return f"{num(ins['span_hours'])} hours"
    return f"{num(ins['days_covered'])} days"


def _sources(ins: Insights) -> str:
    specimens = ins["specimen_sources"]
    if len(specimens) == 1:
        specimen = SPECIMEN_WORDS.get(next(iter(specimens)), "unrecorded specimen")
    else:
        specimen = ", ".join(
            f"{SPECIMEN_WORDS.get(name, name.lower())} {num(count)}"
            for name, count in specimens.items()
        )
    return f"{specimen}; from {', '.join(ins['data_origins'])}"


def _coverage(ins: Insights) -> list[str]:
    t = ins["targets"]
    n = ins["readings"]
    sentences = [
        f"{_plural(n, 'glucose reading')} ({_sources(ins)}) "
        + (
            f"cover {_window_words(ins)}, from {clock(ins['start'])} to {clock(ins['end'])}."
            if n > 1
            else f"was recorded at {clock(ins['start'])}."
        ),
        f"Clock times are given in {ins['timezone']}.",
    ]
    if n == 1:
        sentences.append(
            "A single reading describes one moment only: variability, events and data "
            "sufficiency cannot be assessed."
        )
        return sentences
    if not ins["continuous"]:
        sentences.append(
            f"Readings are about {whole(ins['sampling_interval_min'])} minutes apart, too sparse "
            f"for continuous-monitoring measures: wear, data sufficiency and "
            f"{whole(t['event_minutes'])}-minute events are not assessed, and percentages are "
            "shares of individual readings."
        )
        sentences.append(f"They describe these {_window_words(ins)} only, not a trend.")
        return sentences
    sentences.append(
        f"The sensor reported every {whole(ins['sampling_interval_min'])} minutes and "
        f"{num(ins['wear_percent'])}% of possible readings were captured."
    )
    requirement = (
        f"at least {whole(t['sufficiency_days'])} days with at least "
        f"{whole(t['sufficiency_wear_percent'])}% of possible readings"
    )
    if ins["data_sufficient"]:
        sentences.append(
            f"The data meet the consensus requirement for a full CGM report ({requirement})."
        )
    elif ins["days_covered"] < t["sufficiency_days"]:
        sentences.append(
            f"These {_window_words(ins)} are a snapshot of this period, not a trend; a full "
            f"CGM report needs {requirement}."
        )
    else:
        sentences.append(
            f"That is below the {whole(t['sufficiency_wear_percent'])}% of possible readings a "
            "full CGM report needs, so the figures may not represent the whole period."
        )
    return sentences


def _level(ins: Insights) -> list[str]:
    t = ins["targets"]
    if ins["readings"] == 1:
        return [f"The reading was {num(ins['mean_mg_dl'])} mg/dL."]
    sentence = f"Mean glucose was {num(ins['mean_mg_dl'])} mg/dL"
    if ins["sd_mg_dl"] is not None and ins["cv_percent"] is not None:
        met = ins["targets_met"]["cv"]
        sentence += (
            f", with a standard deviation of {num(ins['sd_mg_dl'])} mg/dL and a coefficient of "
            f"variation of {num(ins['cv_percent'])}%"
        )
        if met is not None:
            sentence += (
                ", "
                + ("within" if met else "above")
                + f" the consensus stability target of {whole(t['cv_at_most_percent'])}% or less"
            )
    sentence += f"; readings ranged from {num(ins['min_mg_dl'])} to {num(ins['max_mg_dl'])} mg/dL."
    return [sentence]


def _ranges(ins: Insights) -> list[str]:
    t = ins["targets"]
    low, very_low = whole(t["low_mg_dl"]), whole(t["very_low_mg_dl"])
    high, very_high = whole(t["high_mg_dl"]), whole(t["very_high_mg_dl"])
    if ins["readings"] == 1:
        counts = ins["reading_counts"]
        if counts["below_54"]:
            place = f"below {very_low} mg/dL"
        elif counts["below_70"]:
            place = f"below {low} mg/dL"
        elif counts["above_250"]:
            place = f"above {very_high} mg/dL"
        elif counts["above_180"]:
            place = f"above {high} mg/dL"
        else:
            place = f"within the {t['range_mg_dl']} mg/dL range"
        return [f"It lies {place}."]
    sentences = [
        f"Of all readings, {num(ins['tir_percent'])}% were in the {t['range_mg_dl']} mg/dL "
        f"range, {num(ins['tbr70_percent'])}% below {low} mg/dL ({num(ins['tbr54_percent'])}% "
        f"below {very_low}) and {num(ins['tar180_percent'])}% above {high} mg/dL "
        f"({num(ins['tar250_percent'])}% above {very_high})."
    ]
    if not ins["continuous"]:
        sentences.append(
            "The consensus time-in-range targets are defined for continuous monitoring and are "
            "not applied to these readings."
        )
        return sentences
    met = ins["targets_met"]
    goals = [
        (
            "tir",
            f"time in range ({num(ins['tir_percent'])}%, target above "
            f"{whole(t['tir_above_percent'])}%)",
        ),
        (
            "tbr70",
            f"time below {low} mg/dL ({num(ins['tbr70_percent'])}%, target under "
            f"{whole(t['tbr70_below_percent'])}%)",
        ),
        (
            "tbr54",
            f"time below {very_low} mg/dL ({num(ins['tbr54_percent'])}%, target under "
            f"{whole(t['tbr54_below_percent'])}%)",
        ),
        (
            "tar180",
            f"time above {high} mg/dL ({num(ins['tar180_percent'])}%, target under "
            f"{whole(t['tar180_below_percent'])}%)",
        ),
        (
            "tar250",
            f"time above {very_high} mg/dL ({num(ins['tar250_percent'])}%, target under "
            f"{whole(t['tar250_below_percent'])}%)",
        ),
    ]
    missed = [words for key, words in goals if met[key] is False]
    if not missed:
        sentences.append(
            "In this window all five time-in-range targets of the international consensus "
            f"for adults with diabetes were met (in range above {whole(t['tir_above_percent'])}%, "
            f"below {low} under {whole(t['tbr70_below_percent'])}%, below {very_low} under "
            f"{whole(t['tbr54_below_percent'])}%, above {high} under "
            f"{whole(t['tar180_below_percent'])}%, above {very_high} under "
            f"{whole(t['tar250_below_percent'])}%)."
        )
    else:
        sentences.append(
            "Against the international consensus targets for adults with diabetes, "
            f"{_join(missed)} {'was' if len(missed) == 1 else 'were'} missed in this window"
            + ("; the other targets were met." if len(missed) < len(goals) else ".")
        )
    return sentences


def _episode_words(event: Mapping[str, Any], extreme_key: str, extreme_word: str) -> str:
    start, end = clock(event["start"]), clock(event["end"])
    end_shown = end[11:] if end[:10] == start[:10] else end
    words = (
        f"{start} to {end_shown} ({num(event['duration_min'])} minutes, {extreme_word} "
        f"{num(event[extreme_key])} mg/dL"
    )
    if not event["recovered"]:
        words += ", no recovery recorded before a gap or the end of the data"
    return words + ")"


def _event_group(
    group: Mapping[str, Any],
    noun: str,
    where: str,
    extreme_key: str,
    extreme_word: str,
    summary_key: str,
) -> str:
    count = group["count"]
    sentence = f"There {'was' if count == 1 else 'were'} {_plural(count, noun)} {where}"
    if count <= EVENTS_LISTED:
        listed = [_episode_words(e, extreme_key, extreme_word) for e in group["events"]]
        return sentence + ": " + "; ".join(listed)
    superlative = "lowest" if extreme_word == "nadir" else "highest"
    return sentence + (
        f"; the longest lasted {num(group['longest_min'])} minutes and the {superlative} "
        f"{extreme_word} was {num(group[summary_key])} mg/dL"
    )


def _events(ins: Insights) -> list[str]:
    hypo, hyper = ins["hypo_events"], ins["hyper_events"]
    if hypo is None or hyper is None:
        return []
    t = ins["targets"]
    minutes = whole(t["event_minutes"])
    low, very_low = whole(t["low_mg_dl"]), whole(t["very_low_mg_dl"])
    high, very_high = whole(t["high_mg_dl"]), whole(t["very_high_mg_dl"])
    counts = ins["reading_counts"]
    sentences: list[str] = []
    if hypo["below_70"]["count"] == 0:
        sentence = (
            f"No hypoglycaemic event (at least {minutes} consecutive minutes below {low} mg/dL) "
            "occurred"
        )
        if counts["below_70"]:
            sentence += (
                f"; {_plural(counts['below_70'], 'reading')} below {low} mg/dL "
                f"{'was' if counts['below_70'] == 1 else 'were'} too brief to count as an event"
            )
        sentences.append(sentence + ".")
    else:
        sentence = _event_group(
            hypo["below_70"],
            "hypoglycaemic event",
            f"(at least {minutes} consecutive minutes below {low} mg/dL)",
            "nadir_mg_dl",
            "nadir",
            "lowest_mg_dl",
        )
        deep, extended = hypo["below_54"]["count"], hypo["extended_below_70"]["count"]
        details = []
        if deep:
            details.append(
                f"{_plural(deep, 'event')} below {very_low} mg/dL for at least {minutes} minutes"
            )
        if extended:
            details.append(
                f"{_plural(extended, 'extended event')} lasting more than "
                f"{whole(t['extended_hypo_minutes'])} minutes below {low} mg/dL"
            )
        if details:
            within = "it" if hypo["below_70"]["count"] == 1 else "them"
            sentence += f"; within {within}, " + _join(details)
        sentences.append(sentence + ".")
    if hyper["above_180"]["count"] == 0:
        sentence = (
            f"No hyperglycaemic event (at least {minutes} consecutive minutes above {high} "
            "mg/dL) occurred"
        )
        if counts["above_180"]:
            sentence += (
                f"; {_plural(counts['above_180'], 'reading')} above {high} mg/dL "
                f"{'was' if counts['above_180'] == 1 else 'were'} too brief to count as an event"
            )
        sentences.append(sentence + ".")
    else:
        sentence = _event_group(
            hyper["above_180"],
            "hyperglycaemic event",
            f"(at least {minutes} consecutive minutes above {high} mg/dL)",
            "peak_mg_dl",
            "peak",
            "highest_mg_dl",
        )
        very = hyper["above_250"]["count"]
        if very:
            within = "it" if hyper["above_180"]["count"] == 1 else "them"
            sentence += (
                f"; within {within}, {_plural(very, 'event')} above {very_high} mg/dL "
                f"for at least {minutes} minutes"
            )
        sentences.append(sentence + ".")
    return sentences


def _time_of_day(ins: Insights) -> list[str]:
    if ins["readings"] == 1:
        return []
    parts = []
    for key, label in (("overnight", "Overnight"), ("daytime", "during the day")):
        window = ins["time_of_day"][key]
        if window["readings"] == 0:
            parts.append(f"{label} ({window['window']}) there were no readings")
        else:
            parts.append(
                f"{label} ({window['window']}) mean glucose was {num(window['mean_mg_dl'])} "
                f"mg/dL over {_plural(window['readings'], 'reading')}, "
                f"{num(window['tir_percent'])}% in range"
            )
    sentence = "; ".join(parts) + "."
    if not ins["local_time_known"]:
        sentence += (
            " These windows use UTC clock hours because no local time zone is known, so they "
            "may not match the person's night."
        )
    return [sentence]


def _estimates(ins: Insights) -> list[str]:
    t = ins["targets"]
    if ins["gmi_percent"] is None or ins["ea1c_percent"] is None:
        return [
            "A glucose management indicator or estimated A1c cannot be derived from a single "
            "reading."
        ]
    sentence = (
        f"The glucose management indicator was {two_places(ins['gmi_percent'])}% and the ADAG "
        f"estimated A1c {two_places(ins['ea1c_percent'])}%, both derived from mean glucose"
    )
    if ins["data_sufficient"]:
        return [sentence + "."]
    if ins["continuous"] and ins["days_covered"] >= t["sufficiency_days"]:
        return [
            sentence + f"; with {num(ins['wear_percent'])}% of possible readings captured they "
            "are indicative only."
        ]
    return [
        sentence + f"; they are validated on {whole(t['sufficiency_days'])} days or more of "
        f"data, so from {_window_words(ins)} they are indicative only."
    ]


def _meals(ins: Insights) -> list[str]:
    relations = ins["meal_relation"]
    if not relations:
        return [
            "No reading records its relation to a meal, so no fasting, before-meal or "
            "after-meal summary is given."
        ]
    parts = []
    for key, summary in relations.items():
        if summary["readings"] == 1:
            parts.append(f"{RELATION_WORDS[key]} {num(summary['mean_mg_dl'])} mg/dL (1 reading)")
        else:
            parts.append(
                f"{RELATION_WORDS[key]} mean {num(summary['mean_mg_dl'])} mg/dL "
                f"({_plural(summary['readings'], 'reading')}, {num(summary['min_mg_dl'])}-"
                f"{num(summary['max_mg_dl'])} mg/dL)"
            )
    return [f"By the recorded relation to meals: {'; '.join(parts)}."]


def _quality(ins: Insights) -> list[str]:
    excluded = ins["excluded_readings"]
    if not excluded:
        return []
    verb = "was" if excluded == 1 else "were"
    return [f"{_plural(excluded, 'record')} failed validation and {verb} left out of the figures."]


def _suggestion(ins: Insights) -> list[str]:
    met = ins["targets_met"]
    t = ins["targets"]
    names = {
        "tir": "time in range",
        "tbr70": f"time below {whole(t['low_mg_dl'])} mg/dL",
        "tbr54": f"time below {whole(t['very_low_mg_dl'])} mg/dL",
        "tar180": f"time above {whole(t['high_mg_dl'])} mg/dL",
        "tar250": f"time above {whole(t['very_high_mg_dl'])} mg/dL",
        "cv": "glucose variability",
    }
    missed = [names[key] for key in names if met.get(key) is False]
    if not missed:
        return []
    target = "its consensus target" if len(missed) == 1 else "their consensus targets"
    return [
        f"Because {_join(missed)} missed {target}, reviewing this glucose record with a "
        "clinician may be worthwhile."
    ]


def narrative(ins: Insights) -> str:
    """Paragraphs a clinician can sign: coverage, level, ranges, events, time of day,
    estimates, meals, data quality and, only when a target is missed, a neutral suggestion."""
    paragraphs = [
        _coverage(ins) + _quality(ins),
        _level(ins) + _ranges(ins),
        _events(ins),
        _time_of_day(ins) + _meals(ins),
        _estimates(ins),
        _suggestion(ins),
    ]
    return "\n\n".join(" ".join(p) for p in paragraphs if p)


def _event_lines(ins: Insights) -> list[str]:
    hypo, hyper = ins["hypo_events"], ins["hyper_events"]
    if hypo is None or hyper is None:
        return []
    lines = []
    for groups, extreme_key, summary_key in (
        (hypo, "nadir_mg_dl", "lowest_mg_dl"),
        (hyper, "peak_mg_dl", "highest_mg_dl"),
    ):
        for name, group in groups.items():
            line = f"events {name}: {num(group['count'])}"
            if group["count"]:
                line += (
                    f"; longest {num(group['longest_min'])} min; "
                    f"{summary_key.split('_')[0]} {num(group[summary_key])} mg/dL"
                )
                word = "nadir" if extreme_key == "nadir_mg_dl" else "peak"
                line += "".join(
                    f"; {_episode_words(event, extreme_key, word)}" for event in group["events"]
                )
            lines.append(line)
    return lines


def _figure_lines(ins: Insights) -> list[str]:
    """``key: value`` lines of every figure the narrative states."""
    t = ins["targets"]
    counts = ins["reading_counts"]
    lines = [
        f"span: {num(ins['span_hours'])} hours"
        + (
            f"; days covered: {num(ins['days_covered'])}" if ins["days_covered"] is not None else ""
        ),
        f"mean: {num(ins['mean_mg_dl'])} mg/dL"
        + (f"; SD: {num(ins['sd_mg_dl'])} mg/dL" if ins["sd_mg_dl"] is not None else "")
        + (f"; CV: {num(ins['cv_percent'])}%" if ins["cv_percent"] is not None else ""),
        f"in range {t['range_mg_dl']} mg/dL: {num(ins['tir_percent'])}%; below "
        f"{whole(t['low_mg_dl'])}: {num(ins['tbr70_percent'])}%; below "
        f"{whole(t['very_low_mg_dl'])}: {num(ins['tbr54_percent'])}%; above "
        f"{whole(t['high_mg_dl'])}: {num(ins['tar180_percent'])}%; above "
        f"{whole(t['very_high_mg_dl'])}: {num(ins['tar250_percent'])}%",
        f"readings below {whole(t['low_mg_dl'])}: {num(counts['below_70'])}; above "
        f"{whole(t['high_mg_dl'])}: {num(counts['above_180'])}",
    ]
    if ins["wear_percent"] is not None:
        lines.append(f"wear: {num(ins['wear_percent'])}% of possible readings")
    if ins["gmi_percent"] is not None and ins["ea1c_percent"] is not None:
        lines.append(
            f"GMI: {two_places(ins['gmi_percent'])}%; eA1c: {two_places(ins['ea1c_percent'])}%"
        )
    lines += _event_lines(ins)
    for key in ("overnight", "daytime"):
        window = ins["time_of_day"][key]
        line = f"{key} {window['window']}: {num(window['readings'])} readings"
        if window["readings"]:
            line += (
                f"; mean {num(window['mean_mg_dl'])} mg/dL; in range {num(window['tir_percent'])}%"
            )
        lines.append(line)
    for key, relation in ins["meal_relation"].items():
        lines.append(
            f"{key}: {num(relation['readings'])} readings; mean {num(relation['mean_mg_dl'])} "
            f"mg/dL; {num(relation['min_mg_dl'])}-{num(relation['max_mg_dl'])} mg/dL"
        )
    if ins["excluded_readings"]:
        lines.append(f"records failing validation: {num(ins['excluded_readings'])}")
    return lines


def summary(ins: Insights) -> str:
    """The training example's input: the data described factually, without interpretation,
    holding every figure the narrative states (so the example is grounded)."""
    parts = [
        f"BloodGlucoseRecord: {_plural(ins['readings'], 'reading')} ({_sources(ins)})",
        f"{clock(ins['start'])} to {clock(ins['end'])}, clock times in {ins['timezone']}",
    ]
    if ins["sampling_interval_min"] is not None:
        parts.append(f"median spacing {whole(ins['sampling_interval_min'])} minutes")
    parts.append(f"levels {num(ins['min_mg_dl'])}-{num(ins['max_mg_dl'])} mg/dL")
    meal_recorded = ins["meal_relation_readings"]
    parts.append(
        f"meal relation recorded for {_plural(meal_recorded, 'reading')}"
        if meal_recorded
        else "no meal relation recorded"
    )
    return "; ".join(parts) + ".\n" + "\n".join(_figure_lines(ins))
