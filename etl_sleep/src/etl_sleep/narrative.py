"""The clinician-facing narrative and the factual summary, written from the insights alone.

Every figure printed here is read from the insights dictionary, already rounded, so the text
cannot state a number the insights do not hold. Small counts are written as words.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from etl_sleep.nights import SleepPeriod
from etl_sleep.stages import ALL_STAGES

_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
MAX_DETAILED_NIGHTS = 7


def count_words(n: int) -> str:
    return _WORDS[n] if 0 <= n < len(_WORDS) else str(n)


def plural(n: int, singular: str, plural_form: str | None = None) -> str:
    word = singular if n == 1 else (plural_form or singular + "s")
    return f"{count_words(n)} {word}"


def _clock(iso_time: str) -> str:
    """``"2025-09-20T01:56:00-05:00"`` -> ``"01:56"``."""
    return iso_time[11:16]


def _join(parts: Sequence[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _num(value: float | int) -> str:
    return f"{value:.1f}" if isinstance(value, float) else str(value)


def _fmt(value: float | int) -> str:
    return f"{value:,.1f}" if isinstance(value, float) else f"{value:,}"


def write_narrative(insights: Mapping[str, Any]) -> str:
    """The narrative for one batch."""
    targets = insights["targets"]
    nights: list[dict[str, Any]] = insights["nights"]
    naps: list[dict[str, Any]] = insights["naps"]
    paragraphs: list[str] = [_opening(insights)]
    if len(nights) <= MAX_DETAILED_NIGHTS:
        paragraphs.extend(_night_paragraph(night, targets, insights) for night in nights)
    paragraphs.extend(_nap_sentence(nap) for nap in naps)
    if nights:
        paragraphs.append(_window(insights))
    suggestion = _suggestion(nights, targets)
    if suggestion:
        paragraphs.append(suggestion)
    excluded = insights["data_quality"]["sessions_excluded"]
    if excluded:
        paragraphs.append(
            f"{plural(excluded, 'session').capitalize()} failed validation and "
            f"{'was' if excluded == 1 else 'were'} left out."
        )
    return "\n\n".join(p for p in paragraphs if p)


def _opening(insights: Mapping[str, Any]) -> str:
    nights = insights["night_count"]
    naps = insights["nap_count"]
    sessions = insights["session_count"]
    found = []
    if nights:
        found.append(plural(nights, "night"))
    if naps:
        found.append(plural(naps, "nap"))
    if not found:
        return "This file holds no usable sleep session, so there is no night or nap to describe."
    sources = sorted({row["source_name"] for row in insights["sessions"]})
    verb = "is" if sessions == 1 else "make up"
    text = (
        f"This file holds {plural(sessions, 'sleep session')} from {_join(sources)}, "
        f"which {verb} {_join(found)}."
    )
    if sessions > nights + naps:
        text += (
            " Sessions from different sources that overlap in time are counted as one "
            "period, never added together or averaged; one record per period is primary "
            f"({insights['primary_source_rule']['description']}) and the others corroborate it."
        )
    # Say where local times came from only when it is not the records' own offsets.
    for label, note in re.findall(r"([^;()]+?) \(([^)]*)\)", insights["timezone"]):
        if "no offset" in note:
            text += f" Records without an offset are read in {label.strip()}."
    return text


def _night_paragraph(
    night: Mapping[str, Any], targets: Mapping[str, Any], insights: Mapping[str, Any]
) -> str:
    sentences = [
        f"Night ending {night['weekday']} {night['date']}: {night['source_name']} recorded "
        f"{_fmt(night['time_in_bed_min'])} min ({_num(night['time_in_bed_h'])} h) in bed, "
        f"from {_clock(night['bedtime'])} to {_clock(night['wake_time'])}."
    ]
    if not night["has_sleep_stages"]:
        sentences.append(
            "The record carries no sleep stages, so total sleep time, efficiency, onset "
            "latency and WASO cannot be determined, and time in bed alone does not show "
            "whether the recommended sleep duration was reached."
        )
    else:
        sentences.append(_duration_sentence(night, targets, insights))
        sentences.append(_quality_sentence(night, targets))
        sentences.append(_stage_sentence(night, targets))
        sentences.append(_coverage_sentence(night))
    sentences.append(_corrections_sentence(night["stage_corrections"]))
    sentences.extend(_corroboration_sentence(other) for other in night["corroboration"])
    return " ".join(s for s in sentences if s)


def _duration_sentence(
    night: Mapping[str, Any], targets: Mapping[str, Any], insights: Mapping[str, Any]
) -> str:
    text = (
        f"Total sleep time was {_fmt(night['total_sleep_min'])} min "
        f"({_num(night['total_sleep_h'])} h)"
    )
    met = night["meets"]["duration"]
    hours = targets["sleep_duration_min_h"]
    if met is None:
        age = insights["age_years"]
        return text + f"; the adult targets are not applied at the recorded age of {age} years."
    if met:
        text += f", meeting the adult recommendation of at least {hours} h"
    else:
        text += f", below the adult recommendation of at least {hours} h"
    nsf = targets.get("nsf_recommended_h")
    if nsf:
        text += f" (NSF range for this age: {nsf} h)"
    return text + "."


def _quality_sentence(night: Mapping[str, Any], targets: Mapping[str, Any]) -> str:
    meets = night["meets"]
    latency_note = (
        " Sleep onset latency is not recorded: the record starts with a sleep stage, with no "
        "time awake in bed before it."
        if night["latency_min"] is None
        else ""
    )
    if meets["efficiency"] is None and meets["latency"] is None and meets["waso"] is None:
        latency = (
            ""
            if night["latency_min"] is None
            else f", onset latency {_num(night['latency_min'])} min"
        )
        return (
            f"Sleep efficiency was {_num(night['efficiency_percent'])}%{latency} and wake after "
            f"sleep onset (WASO) {_num(night['waso_min'])} min.{latency_note}"
        )
    checks = [
        (
            meets["efficiency"],
            f"sleep efficiency of {_num(night['efficiency_percent'])}%",
            f"the {targets['efficiency_min_percent']}% mark",
            "reaches",
            "falls below",
        ),
        (
            meets["latency"],
            f"a sleep onset latency of {_num(night['latency_min'])} min",
            f"{targets['latency_max_min']} min",
            "is within",
            "exceeds",
        ),
        (
            meets["waso"],
            f"wake after sleep onset (WASO) of {_num(night['waso_min'])} min",
            f"{targets['waso_max_min']} min",
            "is within",
            "exceeds",
        ),
    ]
    met = [f"{what} {yes} {bound}" for ok, what, bound, yes, _ in checks if ok]
    missed = [f"{what} {no} {bound}" for ok, what, bound, _, no in checks if ok is False]
    clauses = []
    if met:
        clauses.append(_join(met))
    if missed:
        clauses.append(_join(missed))
    text = "Against the sleep quality indicators, " + "; ".join(clauses) + "." + latency_note
    awakenings = night["awakenings_over_5_min"]
    limit = targets["awakening_longer_than_min"]
    text += (
        f" {plural(awakenings, 'awakening').capitalize()} lasted longer than {limit} min, and "
        f"time awake in the whole session came to {_fmt(night['awake_min'])} min."
    )
    return text


def _stage_sentence(night: Mapping[str, Any], targets: Mapping[str, Any]) -> str:
    if night["light_percent"] is None:
        return "The stages do not separate light, deep and REM sleep."
    typical = targets["typical_stage_percent"]
    return (
        f"Of light, deep and REM sleep together, light made up {_num(night['light_percent'])}%, "
        f"deep {_num(night['deep_percent'])}% and REM {_num(night['rem_percent'])}% "
        f"(typical adult shares are about {typical['light']}%, {typical['deep']}% and "
        f"{typical['rem']}%; consumer devices estimate stages less precisely than a "
        "sleep laboratory)."
    )


def _coverage_sentence(night: Mapping[str, Any]) -> str:
    coverage = night["stage_coverage_percent"]
    if coverage is None or night["unstaged_gap_min"] == 0:
        return ""
    return (
        f"Stages cover {_num(coverage)}% of the time in bed; "
        f"{_fmt(night['unstaged_gap_min'])} min without stage data count as neither sleep nor "
        "wake, so total sleep time and efficiency may be underestimated."
    )


def _corrections_sentence(corrections: Mapping[str, Any]) -> str:
    parts = []
    if corrections["stages_outside_session"]:
        parts.append(
            f"{_fmt(corrections['outside_session_min'])} min of stage data outside the "
            "session were cut off"
        )
    if corrections["overlapping_min"]:
        parts.append(
            f"{_fmt(corrections['overlapping_min'])} min recorded under two stages at once "
            "were counted once"
        )
    if corrections["unsorted"]:
        parts.append("stages out of time order were sorted")
    if corrections["invalid_stages"]:
        parts.append(
            f"{plural(corrections['invalid_stages'], 'stage')} without a valid time span "
            f"{'was' if corrections['invalid_stages'] == 1 else 'were'} ignored"
        )
    if not parts:
        return ""
    return "Before analysis, " + _join(parts) + "."


def _corroboration_sentence(other: Mapping[str, Any]) -> str:
    text = (
        f"{other['source_name']} recorded the same night from {_clock(other['start'])} to "
        f"{_clock(other['end'])} ({_fmt(other['time_in_bed_min'])} min in bed"
    )
    if other["total_sleep_min"] is not None:
        text += f", {_fmt(other['total_sleep_min'])} min asleep"
    text += "); it corroborates the primary record rather than adding a night"
    direction = other["total_sleep_direction"]
    if direction == "same":
        text += ", with the same total sleep time"
    elif direction is not None:
        text += (
            f", with {_fmt(other['total_sleep_difference_min'])} min {direction} total sleep time"
        )
    else:
        tib_direction = other["time_in_bed_direction"]
        if tib_direction == "same":
            text += ", with the same time in bed"
        elif tib_direction is not None:
            text += (
                f", with {_fmt(other['time_in_bed_difference_min'])} min {tib_direction} "
                "time in bed"
            )
    return text + "."


def _nap_sentence(nap: Mapping[str, Any]) -> str:
    text = (
        f"A nap on {nap['weekday']} {nap['date']} from {_clock(nap['start'])} to "
        f"{_clock(nap['end'])} ({_fmt(nap['time_in_bed_min'])} min in bed"
    )
    if nap["total_sleep_min"] is not None:
        text += f", {_fmt(nap['total_sleep_min'])} min asleep"
    text += (
        f") was recorded by {nap['source_name']}; it is reported on its own and not counted "
        "in any night's figures."
    )
    for other in nap["corroboration"]:
        text += (
            f" {other['source_name']} recorded it too ({_fmt(other['time_in_bed_min'])} min); "
            "that record only corroborates it."
        )
    return text


def _window(insights: Mapping[str, Any]) -> str:
    across = insights["across_nights"]
    targets = insights["targets"]
    count = across["nights"]
    if count == 1:
        return (
            "This is a single night: it describes that night only and is not a sleep "
            "pattern; regularity and averages need more nights."
        )
    sentences = [f"Across the {count} nights from {across['first_date']} to {across['last_date']}"]
    staged = across["nights_with_sleep_stages"]
    if across["mean_total_sleep_min"] is not None:
        sentences[0] += (
            f", mean total sleep time was {_fmt(across['mean_total_sleep_min'])} min "
            f"({_num(across['mean_total_sleep_h'])} h) over the {staged} nights with sleep stages"
        )
        if across["mean_efficiency_percent"] is not None:
            sentences[0] += f" and mean efficiency {_num(across['mean_efficiency_percent'])}%"
    elif across["mean_time_in_bed_min"] is not None:
        sentences[0] += (
            f", mean time in bed was {_fmt(across['mean_time_in_bed_min'])} min; too few nights "
            "carry sleep stages for a mean total sleep time"
        )
    sentences[0] += "."
    meeting = across["nights_meeting"]
    if meeting is not None:
        sentences.append(_meeting_sentence(meeting, targets))
    if across["mid_sleep_sd_min"] is None:
        sentences.append(
            f"With {count_words(count)} nights this is not yet a pattern: timing regularity "
            f"needs at least {targets['min_nights_for_regularity']} nights."
        )
    else:
        sentences.append(
            f"Mid-sleep time averaged {across['mean_mid_sleep_time']} with a standard deviation "
            f"of {_num(across['mid_sleep_sd_min'])} min (bedtime SD "
            f"{_num(across['bedtime_sd_min'])} min, wake-time SD "
            f"{_num(across['wake_time_sd_min'])} min); a smaller spread means a more regular "
            "schedule."
        )
    split = across["weekday_weekend"]
    if split is None:
        sentences.append(
            "Weekday and weekend nights are not compared: that needs at least "
            f"{targets['min_nights_for_weekday_weekend']} nights spanning a week, and a window "
            "this short describes these nights rather than a lasting pattern."
        )
    elif split["weekend_direction"] is not None:
        if split["weekend_direction"] == "same":
            comparison = "the same total sleep time as"
        else:
            comparison = (
                f"{_fmt(split['weekend_difference_min'])} min {split['weekend_direction']} "
                "sleep than"
            )
        sentences.append(
            f"Weekend nights ({split['weekend_nights']}) averaged "
            f"{_fmt(split['weekend_mean_total_sleep_min'])} min of sleep, {comparison} weekday "
            f"nights ({split['weekday_nights']}, {_fmt(split['weekday_mean_total_sleep_min'])} "
            "min)."
        )
    return " ".join(sentences)


def _meeting_sentence(meeting: Mapping[str, Any], targets: Mapping[str, Any]) -> str:
    phrases = {
        "duration": f"at least {targets['sleep_duration_min_h']} h of sleep",
        "efficiency": f"efficiency of at least {targets['efficiency_min_percent']}%",
        "latency": f"onset latency within {targets['latency_max_min']} min",
        "waso": f"WASO within {targets['waso_max_min']} min",
    }
    parts = [
        f"{phrases[key]} on {counts['met']} of {counts['judged']}"
        for key, counts in meeting.items()
        if counts is not None
    ]
    return "Nights meeting each target: " + _join(parts) + "."


def _suggestion(nights: Sequence[Mapping[str, Any]], targets: Mapping[str, Any]) -> str:
    short = any(n["meets"]["duration"] is False for n in nights)
    disrupted = any(
        n["meets"][key] is False for n in nights for key in ("efficiency", "latency", "waso")
    )
    if not (short or disrupted):
        return ""
    aims = []
    if short:
        aims.append("to allow enough time in bed for the recommended sleep duration")
    if disrupted:
        aims.append("to review sleep habits and the sleep environment")
    return (
        "Where a target is missed, general guidance is "
        + _join(aims)
        + "; if short or disrupted nights persist over a longer record, discussing them with "
        "a clinician is reasonable."
    )


def write_summary(periods: Sequence[SleepPeriod], insights: Mapping[str, Any]) -> str:
    """A compact factual account of the input: the training example's ``input``."""
    age = insights["age_years"]
    lines = [
        f"SleepSessionRecord: {insights['session_count']} "
        f"{'session' if insights['session_count'] == 1 else 'sessions'}; "
        f"local times {insights['timezone']}; age "
        + (f"{age} years" if age is not None else "unknown")
        + "."
    ]
    ordered = [session for period in periods for session in period.sessions]
    for index, (session, row) in enumerate(zip(ordered, insights["sessions"], strict=True), 1):
        stage_text = "no stages"
        if session.hypnogram.stage_count:
            stage_text = f"{session.hypnogram.stage_count} stages: " + ", ".join(
                f"{stage} {session.stage_ms[stage] / 60_000:.1f} min"
                for stage in ALL_STAGES
                if session.stage_ms[stage]
            )
        lines.append(
            f"Session {index}: {row['source']}, {row['start']} to {row['end']}, "
            f"{row['time_in_bed_min']:.1f} min in bed; {stage_text}."
        )
    return "\n".join(lines)
