"""Heart rate, one local day: the example input (summary) and the example outputs.

Everything is written from the insights; every figure an output states is in the summary.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from etl_core import ExampleKind, ExampleText
from etl_heartrate.formatting import app_name, show
from etl_heartrate.voice import (
    Voice,
    bpm,
    count_phrase,
    listed,
    paragraphs,
    sentences,
    spoken_date,
)
from etl_heartrate.window_common import clock_line, clock_sentence, wall_time

Insights = Mapping[str, Any]
NO_COVERAGE = "too little coverage"


# -- the input ----------------------------------------------------------------------------------


def _episode_line(ins: Insights, kind: str, extreme: str, word: str) -> str:
    runs = ins[f"{kind}_episodes"]
    if not runs:
        return "none"
    parts = [
        f"{_span(r['start'], r['end'], ins['clock'])} ({show(r['duration_minutes'])} min, {word} "
        f"{bpm(r[extreme])} bpm)"
        for r in runs
    ]
    # The count is an insight of its own: core checks every figure of the input against them.
    return f"{ins[f'{kind}_episode_count']:,}: " + "; ".join(parts)


def _span(start: str, end: str, clock: Mapping[str, Any]) -> str:
    """``10:00-10:30``; with the offset on a day the offset changed (``01:00-01:30 (-05:00)``),
    when a clock time alone can name two instants."""
    if start[-6:] == end[-6:]:
        return f"{wall_time(start, {})}-{wall_time(end, clock)}"
    return f"{wall_time(start, clock)}-{wall_time(end, clock)}"


def _zones_line(ins: Insights) -> str:
    zones, bouts = ins["zones"], ins["activity_bouts"]
    if zones is None or bouts is None:
        if ins["age_years"] is None:
            return "none (no age on record)"
        return f"none (age {ins['age_years']} is outside the adult range of the formulas)"
    bands = ", ".join(f"{band['name']} {show(band['percent'])}%" for band in zones["bands"])
    return (
        f"age {ins['age_years']}, predicted maximum {zones['hr_max_bpm']} bpm; of "
        f"{count_phrase(zones['monitored_minutes'], 'monitored minute')} {bands}; "
        f"elevated-activity bouts "
        f"{bouts['count']} ({show(bouts['total_minutes'])} min)"
    )


def left_out_parts(ins: Insights) -> list[str]:
    """The day's samples left out as unusable, as phrases (``2 samples outside the 1-300 bpm
    range``); exact duplicates of another record's samples are not a data problem and are left
    to the insights."""
    quality, th = ins["data_quality"], ins["thresholds"]
    parts = []
    if quality["out_of_range_samples_dropped"]:
        parts.append(
            f"{count_phrase(quality['out_of_range_samples_dropped'], 'sample')} outside the "
            f"{th['valid_low_bpm']}-{th['valid_high_bpm']} bpm range"
        )
    if quality["malformed_samples_dropped"]:
        parts.append(
            f"{count_phrase(quality['malformed_samples_dropped'], 'sample')} without a usable value"
        )
    return parts


def day_summary(ins: Insights) -> str:
    """The example input: the day's findings as ``key: value`` lines."""
    th = ins["thresholds"]
    sources = " and ".join(
        f"{app_name(origin)} ({count:,})" for origin, count in ins["sources"].items()
    )
    lines = [
        "record: heart rate (HeartRateRecord), one local day",
        f"window: {ins['weekday']} {ins['window']['first_day']}",
        clock_line(ins["clock"]),
        f"samples: {ins['samples']:,} from {sources or 'no source'}"
        + (
            f", {wall_time(ins['first_sample'], ins['clock'])} to "
            f"{wall_time(ins['last_sample'], ins['clock'])}"
            if ins["samples"]
            else ""
        ),
        f"monitored: {ins['monitored_minutes']:,} of {ins['day_minutes']:,} minutes "
        f"({show(ins['coverage_percent'])}%)",
    ]
    if ins["samples"]:
        lines.append(
            f"heart rate: mean {bpm(ins['mean_bpm'])} bpm, range {bpm(ins['min_bpm'])}-"
            f"{bpm(ins['max_bpm'])} bpm"
        )
    if left_out := left_out_parts(ins):
        lines.append("left out: " + "; ".join(left_out))
    normal = f"{th['resting_normal_low_bpm']}-{th['resting_normal_high_bpm']} bpm"
    if ins["resting_bpm"] is not None:
        lines.append(
            f"resting heart rate: {bpm(ins['resting_bpm'])} bpm, "
            f"{_span(ins['resting_window_start'], ins['resting_window_end'], ins['clock'])} "
            f"({ins['resting_status']} the usual adult range of {normal})"
        )
    elif ins["resting_unavailable_reason"] == NO_COVERAGE or not ins["samples"]:
        lines.append(
            f"resting heart rate: none, too little coverage ({ins['monitored_minutes']:,} of "
            f"{th['resting_min_day_minutes_monitored']} monitored minutes needed)"
        )
    else:
        lines.append(
            f"resting heart rate: none, no {th['resting_window_minutes']}-minute stretch with "
            f"{th['resting_min_window_minutes_monitored']} monitored minutes"
        )
    lines += [
        f"sustained above {th['tachycardia_above_bpm']} bpm: "
        f"{_episode_line(ins, 'tachycardia', 'max_bpm', 'peak')}"
        f" (readings above: {ins['samples_above_tachycardia_threshold']:,})",
        f"sustained below {th['bradycardia_below_bpm']} bpm: "
        f"{_episode_line(ins, 'bradycardia', 'min_bpm', 'lowest')}"
        f" (readings below: {ins['samples_below_bradycardia_threshold']:,})",
        f"zones: {_zones_line(ins)}",
    ]
    previous = ins["previous_day"]
    if previous["resting_bpm"] is None:
        lines.append(f"previous day: {previous['weekday']} {previous['date']}, no resting value")
    else:
        change = ins["change_from_previous_day_bpm"]
        change_text = "" if change is None else f", change {change:+.1f} bpm"
        lines.append(
            f"previous day: {previous['weekday']} {previous['date']}, resting "
            f"{bpm(previous['resting_bpm'])} bpm{change_text}"
        )
    return "\n".join(line for line in lines if line)


# -- shared pieces of the outputs ---------------------------------------------------------------


def _values(ins: Insights) -> dict[str, str]:
    th = ins["thresholds"]
    values = {
        "weekday": ins["weekday"],
        "date": ins["window"]["first_day"],
        "spoken": spoken_date(ins["window"]["first_day"]),
        "samples": f"{ins['samples']:,}",
        "samples_n": count_phrase(ins["samples"], "sample"),
        "hr_samples_n": count_phrase(ins["samples"], "heart-rate sample"),
        "monitored": f"{ins['monitored_minutes']:,}",
        "monitored_n": count_phrase(ins["monitored_minutes"], "minute"),
        "monitored_mon_n": count_phrase(ins["monitored_minutes"], "monitored minute"),
        "day_minutes": f"{ins['day_minutes']:,}",
        "coverage": show(ins["coverage_percent"]),
        "sources": listed([app_name(o) for o in ins["sources"]]),
        "low": str(th["resting_normal_low_bpm"]),
        "high": str(th["resting_normal_high_bpm"]),
        "tachy": str(th["tachycardia_above_bpm"]),
        "brady": str(th["bradycardia_below_bpm"]),
        "need": str(th["resting_min_day_minutes_monitored"]),
        "window_minutes": str(th["resting_window_minutes"]),
        "window_need": str(th["resting_min_window_minutes_monitored"]),
    }
    if ins["samples"]:
        values |= {
            "first_at": wall_time(ins["first_sample"], ins["clock"]),
            "last_at": wall_time(ins["last_sample"], ins["clock"]),
            "mean": bpm(ins["mean_bpm"]),
            "min": bpm(ins["min_bpm"]),
            "max": bpm(ins["max_bpm"]),
        }
    if ins["resting_bpm"] is not None:
        values |= {
            "rest": bpm(ins["resting_bpm"]),
            "rest_from": wall_time(ins["resting_window_start"], ins["clock"]),
            "rest_to": wall_time(ins["resting_window_end"], ins["clock"]),
        }
    return values


def _episodes_text(ins: Insights, kind: str, extreme: str, word: str) -> str:
    return listed(
        [
            f"{_span(r['start'], r['end'], ins['clock'])} ({show(r['duration_minutes'])} minutes, "
            f"{word} {bpm(r[extreme])} bpm)"
            for r in ins[f"{kind}_episodes"]
        ]
    )


def _coverage_sentence(voice: Voice, v: dict[str, str]) -> str:
    return voice.pick(
        "coverage",
        (
            "On {weekday} {date} heart rate was recorded over {monitored} of {day_minutes} "
            "minutes ({coverage}%), {samples_n} from {sources}.",
            "{weekday} {date}: {hr_samples_n} from {sources}, over {monitored_n} of the "
            "day, {coverage}% of {day_minutes}.",
            "Monitoring on {weekday}, {date}, spans {monitored} of {day_minutes} minutes "
            "({coverage}% of the day), with {samples_n} from {sources}.",
            "For {weekday} {date} the record holds {samples_n} from {sources}, covering "
            "{coverage}% of the day ({monitored} of {day_minutes} minutes).",
            "{sources} supplied {samples_n} on {weekday} {date}, covering {monitored} of "
            "the day's {day_minutes} minutes ({coverage}%).",
            "The record for {weekday}, {date}, holds {samples_n} from {sources}; "
            "monitoring covered {monitored_n} of {day_minutes} ({coverage}%).",
        ),
        **v,
    )


def _level_sentence(voice: Voice, v: dict[str, str]) -> str:
    return voice.pick(
        "level",
        (
            "Heart rate averaged {mean} bpm, ranging from {min} to {max} bpm.",
            "The mean of all samples was {mean} bpm (range {min}-{max} bpm).",
            "Across the day the rate ran from {min} to {max} bpm, with a mean of {mean} bpm.",
            "Samples ranged {min}-{max} bpm around a mean of {mean} bpm.",
            "Average heart rate was {mean} bpm; the lowest reading was {min} bpm and the highest "
            "{max} bpm.",
            "Its readings spread from {min} to {max} bpm and averaged {mean} bpm.",
        ),
        **v,
    )


def _resting_finding(voice: Voice, ins: Insights, v: dict[str, str]) -> str:
    if ins["resting_bpm"] is None:
        return _resting_missing(voice, ins, v)
    found = voice.pick(
        "resting",
        (
            "Resting heart rate was {rest} bpm, reached between {rest_from} and {rest_to}.",
            "The resting rate, the lowest sustained half hour, came to {rest} bpm "
            "({rest_from}-{rest_to}).",
            "Heart rate settled lowest between {rest_from} and {rest_to}, giving a resting "
            "value of {rest} bpm.",
            "A resting heart rate of {rest} bpm was reached from {rest_from} to {rest_to}.",
            "The day's resting heart rate was {rest} bpm ({rest_from} to {rest_to}).",
            "Its lowest sustained level, the resting heart rate, was {rest} bpm at "
            "{rest_from}-{rest_to}.",
        ),
        **v,
    )
    return sentences(found, _resting_meaning(voice, ins, v))


def _resting_meaning(voice: Voice, ins: Insights, v: dict[str, str]) -> str:
    status = ins["resting_status"]
    if status == "within":
        return voice.pick(
            "resting-within",
            (
                "That is within the usual adult range of {low}-{high} bpm.",
                "This lies inside the usual adult resting range ({low}-{high} bpm).",
                "It falls within the {low}-{high} bpm range usual for adults.",
                "That sits inside the typical adult range of {low} to {high} bpm.",
                "The value is in the usual adult range, {low}-{high} bpm.",
            ),
            **v,
        )
    if status == "above":
        return voice.pick(
            "resting-above",
            (
                "That is above the usual adult range of {low}-{high} bpm even at its lowest, "
                "which may be worth reviewing with a clinician.",
                "Even at rest the rate stayed above the {low}-{high} bpm adult range; a review "
                "with a clinician may be worthwhile.",
                "This lies above the usual adult resting range ({low}-{high} bpm) and could be "
                "discussed with a clinician.",
            ),
            **v,
        )
    text = voice.pick(
        "resting-below",
        (
            "That is below the usual adult range of {low}-{high} bpm; a wearable's lowest half "
            "hour often falls in sleep, below a seated clinic reading.",
            "This is under the {low}-{high} bpm adult range, as is common when the lowest half "
            "hour falls during sleep or in fit people.",
            "It lies below the usual adult range ({low}-{high} bpm); the quietest half hour of a "
            "wearable day is often asleep and lower than a clinic value.",
        ),
        **v,
    )
    if ins["resting_bpm"] < ins["thresholds"]["bradycardia_below_bpm"]:
        text += " " + voice.pick(
            "resting-brady",
            (
                "It is also below {brady} bpm, the bradycardia threshold of the 2018 ACC/AHA/HRS "
                "guideline; worth reviewing with a clinician alongside symptoms, fitness and "
                "medication.",
                "Being under {brady} bpm, the 2018 ACC/AHA/HRS bradycardia threshold, it may be "
                "worth a clinician's review together with symptoms and medication.",
            ),
            **v,
        )
    return text


def _resting_missing(voice: Voice, ins: Insights, v: dict[str, str]) -> str:
    if ins["resting_unavailable_reason"] == NO_COVERAGE or not ins["samples"]:
        return voice.pick(
            "resting-missing-coverage",
            (
                "There is no resting value: monitoring covered only {monitored_n}, and a day "
                "needs {need}.",
                "No resting heart rate can be given, since {monitored_mon_n} fall short of the "
                "{need} a day needs.",
                "Resting heart rate is missing: the day has {monitored_mon_n} of the {need} "
                "required, too few for its lowest half hour to be a rest period.",
                "With {monitored} of the {need} monitored minutes a day needs, no resting value "
                "is reported.",
            ),
            **v,
        )
    return voice.pick(
        "resting-missing-window",
        (
            "There is no resting value: no {window_minutes}-minute stretch had {window_need} "
            "monitored minutes.",
            "No resting heart rate: the samples are too sparse for any {window_minutes}-minute "
            "stretch to hold {window_need} monitored minutes.",
            "Resting heart rate is missing because no {window_minutes}-minute stretch reached "
            "{window_need} monitored minutes.",
        ),
        **v,
    )


def _episodes_finding(voice: Voice, ins: Insights, v: dict[str, str]) -> str:
    tachy, brady = ins["tachycardia_episodes"], ins["bradycardia_episodes"]
    parts: list[str] = []
    if tachy:
        values = v | {
            "periods": count_phrase(len(tachy), "sustained period"),
            "list": _episodes_text(ins, "tachycardia", "max_bpm", "peak"),
            "they": "it" if len(tachy) == 1 else "they",
            "these": "this" if len(tachy) == 1 else "these",
        }
        parts.append(
            voice.pick(
                "tachy",
                (
                    "{periods} above {tachy} bpm: {list}; without activity data {these} may "
                    "simply reflect exercise or exertion.",
                    "Heart rate stayed above {tachy} bpm in {periods}, {list}; with no activity "
                    "context {they} may reflect exercise.",
                    "Sustained rates above {tachy} bpm: {list} ({periods}); exertion is a likely "
                    "context, though no activity data confirm it.",
                    "The record shows {periods} above {tachy} bpm ({list}); such periods usually "
                    "reflect exercise, which the data here cannot confirm.",
                ),
                **values,
            )
        )
    if brady:
        values = v | {
            "periods": count_phrase(len(brady), "sustained period"),
            "list": _episodes_text(ins, "bradycardia", "min_bpm", "lowest"),
            "they": "it" if len(brady) == 1 else "they",
            "these": "this" if len(brady) == 1 else "these",
        }
        parts.append(
            voice.pick(
                "brady",
                (
                    "{periods} below {brady} bpm: {list}; {these} may reflect sleep or fitness, "
                    "and could be reviewed with a clinician if symptoms occur.",
                    "Heart rate stayed below {brady} bpm in {periods}, {list}; common in sleep "
                    "or in fit people, worth a clinician's view only with symptoms.",
                    "Sustained rates under {brady} bpm: {list} ({periods}); sleep or fitness may "
                    "explain them, symptoms would call for a review.",
                ),
                **values,
            )
        )
    if not tachy and not brady:
        parts.append(
            voice.pick(
                "no-episodes",
                (
                    "No sustained period above {tachy} or below {brady} bpm occurred.",
                    "There was no sustained period above {tachy} bpm or below {brady} bpm.",
                    "Heart rate never stayed above {tachy} or below {brady} bpm for a sustained "
                    "period.",
                    "No sustained high (above {tachy} bpm) or low (below {brady} bpm) period was "
                    "found.",
                    "Neither a sustained rate above {tachy} bpm nor one below {brady} bpm was "
                    "seen.",
                ),
                **v,
            )
        )
    stray = []
    above, below = (
        ins["samples_above_tachycardia_threshold"],
        ins["samples_below_bradycardia_threshold"],
    )
    if above and not tachy:
        stray.append(f"{count_phrase(above, 'reading')} above {v['tachy']} bpm")
    if below and not brady:
        stray.append(f"{count_phrase(below, 'reading')} below {v['brady']} bpm")
    if stray:
        parts.append(
            voice.pick(
                "stray",
                (
                    "{stray} did not last long enough to count as a sustained period.",
                    "Single readings ({stray}) were too brief to form a sustained period.",
                    "There were {stray}, each too short-lived to be a sustained period.",
                ),
                stray=listed(stray),
            )
        )
    return sentences(*parts)


def _zones_sentence(voice: Voice, ins: Insights) -> str | None:
    zones, bouts = ins["zones"], ins["activity_bouts"]
    if zones is None or bouts is None:
        if ins["age_years"] is None:
            return voice.pick(
                "no-age",
                (
                    "Intensity zones need an age, which is not on record.",
                    "No age is on record, so time in intensity zones is not reported.",
                    "Without an age, heart-rate zones cannot be personal and are left out.",
                    "Zones are not given: they need the person's age.",
                ),
            )
        return voice.pick(
            "age-outside",
            (
                "Intensity zones are left out: the age on record is outside the adult range the "
                "formulas are meant for.",
                "The stated age lies outside the adult range of the zone formulas, so no zones are "
                "given.",
            ),
        )
    bands = {band["name"]: band for band in zones["bands"]}
    return voice.pick(
        "zones",
        (
            "With an age of {age} (predicted maximum {hr_max} bpm), {moderate}% of monitored "
            "minutes were moderate and {vigorous}% vigorous, in {bouts} elevated-activity bouts.",
            "At {age} years the predicted maximum is {hr_max} bpm; {moderate}% of monitored "
            "minutes reached moderate and {vigorous}% vigorous intensity ({bouts} bouts).",
            "Intensity, from the predicted maximum of {hr_max} bpm at age {age}: {moderate}% "
            "moderate, {vigorous}% vigorous, {bouts} elevated-activity bouts.",
        ),
        age=ins["age_years"],
        hr_max=zones["hr_max_bpm"],
        moderate=show(bands["moderate"]["percent"]),
        vigorous=show(bands["vigorous"]["percent"]),
        bouts=bouts["count"],
    )


def _left_out_sentence(voice: Voice, ins: Insights) -> str | None:
    parts = left_out_parts(ins)
    if not parts:
        return None
    return voice.pick(
        "left-out",
        (
            "Left out as unusable: {left_out}.",
            "The figures exclude {left_out}.",
            "Not counted in these figures: {left_out}.",
            "These figures leave out {left_out}.",
        ),
        left_out=listed(parts),
    )


def _snapshot_limit(voice: Voice, v: dict[str, str]) -> str:
    return voice.pick(
        "limit",
        (
            "A single day is a snapshot: a change in resting heart rate shows only against the "
            "weekly baseline.",
            "One day cannot show a trend; the weekly view compares the resting rate with the "
            "person's own baseline.",
            "On its own, {weekday} says nothing about a trend; that needs several days against a "
            "personal baseline.",
            "These are one day's figures, not a trend, which only weeks of data can show.",
            "As a single day this is a snapshot; a sustained shift would show in the weekly "
            "figures.",
            "No trend can be read from one day; the weekly summary carries the comparison with "
            "the baseline.",
        ),
        **v,
    )


# -- the examples --------------------------------------------------------------------------------


def _clinician_summary(ins: Insights, key: str) -> str:
    voice = Voice(key, ExampleKind.SUMMARY.value)
    v = _values(ins)
    if not ins["samples"]:
        return sentences(
            voice.pick(
                "empty",
                (
                    "No heart-rate sample falls on {weekday} {date}, so nothing can be said "
                    "about that day.",
                    "{weekday} {date} holds no heart-rate samples; the day cannot be described.",
                ),
                **v,
            ),
            clock_sentence(ins["clock"]),
        )
    opening = voice.order("opening", [_coverage_sentence(voice, v), _level_sentence(voice, v)])
    return paragraphs(
        sentences(*opening, _left_out_sentence(voice, ins), clock_sentence(ins["clock"])),
        _resting_finding(voice, ins, v),
        _episodes_finding(voice, ins, v),
        sentences(_zones_sentence(voice, ins), _snapshot_limit(voice, v)),
    )


def _note_resting(voice: Voice, ins: Insights, v: dict[str, str]) -> str:
    if ins["resting_bpm"] is None:
        if ins["resting_unavailable_reason"] == NO_COVERAGE or not ins["samples"]:
            return voice.pick(
                "note-missing",
                (
                    "Your device recorded {monitored_n} of {weekday}, not enough for a "
                    "resting heart rate; a day needs {need}.",
                    "There's no resting heart rate for {weekday}: your device recorded only "
                    "{monitored_n}, and at least {need} are needed.",
                    "I can't give you a resting heart rate for {weekday} {date}; your device "
                    "caught {monitored_n}, short of the {need} it takes.",
                    "{weekday} had only {monitored_n} of heart-rate data, below the {need} "
                    "needed for a resting value.",
                ),
                **v,
            )
        return voice.pick(
            "note-missing-window",
            (
                "Your readings on {weekday} were too spread out for a resting heart rate: no "
                "{window_minutes}-minute stretch had {window_need} minutes recorded.",
                "There's no resting value for {weekday}; the samples never filled {window_need} "
                "minutes of any {window_minutes}-minute stretch.",
            ),
            **v,
        )
    found = voice.pick(
        "note-resting",
        (
            "Your resting heart rate on {weekday} was {rest} bpm, reached between {rest_from} "
            "and {rest_to}.",
            "On {weekday} your heart settled to {rest} bpm at its calmest, from {rest_from} to "
            "{rest_to}.",
            "Your calmest half hour on {weekday} ({rest_from}-{rest_to}) gave a resting heart "
            "rate of {rest} bpm.",
            "{weekday}'s resting heart rate came out at {rest} bpm, around {rest_from}-{rest_to}.",
            "You hit a resting heart rate of {rest} bpm on {weekday}, between {rest_from} and "
            "{rest_to}.",
            "At rest on {weekday} your heart beat about {rest} times a minute ({rest_from}-"
            "{rest_to}).",
        ),
        **v,
    )
    status = ins["resting_status"]
    meaning = {
        "within": (
            "That's comfortably inside the typical adult range of {low} to {high} bpm.",
            "That sits in the usual {low}-{high} bpm range for adults.",
            "For adults, anything from {low} to {high} bpm is typical, so that's in range.",
            "That's a normal adult value, inside {low}-{high} bpm.",
            "It's well within the {low}-{high} bpm that's usual for adults.",
        ),
        "above": (
            "That's above the usual adult range of {low}-{high} bpm even at rest; it may be "
            "worth mentioning to your doctor.",
            "Even resting, that's over the typical {low}-{high} bpm; consider raising it with a "
            "clinician.",
        ),
        "below": (
            "That's under the typical {low}-{high} bpm adult range, which is common when your "
            "calmest stretch is during sleep or if you're fit.",
            "It's below the usual {low}-{high} bpm, often the case for fit people or when the "
            "lowest stretch falls in sleep.",
        ),
    }[status]
    return sentences(found, voice.pick(f"note-{status}", meaning, **v))


def _note_episodes(voice: Voice, ins: Insights, v: dict[str, str]) -> str | None:
    tachy, brady = ins["tachycardia_episodes"], ins["bradycardia_episodes"]
    parts: list[str] = []
    if tachy:
        parts.append(
            voice.pick(
                "note-tachy",
                (
                    "Your heart rate stayed above {tachy} bpm during {list}; if you were "
                    "exercising then, that's exactly what it should do.",
                    "You had {periods} above {tachy} bpm ({list}); if that was a workout, it's "
                    "expected.",
                    "Your heart stayed above {tachy} bpm for a while: {list}. Were you active "
                    "then? Exercise would explain it.",
                    "Your heart worked harder during {list}, staying over {tachy} bpm; a workout "
                    "or brisk activity would account for that.",
                ),
                **v,
                periods=count_phrase(len(tachy), "stretch", "stretches"),
                list=_episodes_text(ins, "tachycardia", "max_bpm", "peak"),
            )
        )
    if brady:
        parts.append(
            voice.pick(
                "note-brady",
                (
                    "Your heart rate stayed below {brady} bpm during {list}; that's common in "
                    "deep rest, but mention it to a doctor if you felt dizzy or faint.",
                    "You had {periods} under {brady} bpm ({list}); usually harmless during "
                    "sleep, though worth a check if you had symptoms.",
                ),
                **v,
                periods=count_phrase(len(brady), "stretch", "stretches"),
                list=_episodes_text(ins, "bradycardia", "min_bpm", "lowest"),
            )
        )
    if not parts:
        return voice.pick(
            "note-no-episodes",
            (
                "Your heart rate never stayed above {tachy} or below {brady} bpm for long.",
                "No long stretches above {tachy} bpm or below {brady} bpm showed up.",
                "There were no sustained highs over {tachy} bpm or lows under {brady} bpm.",
                "Nothing stood out: no lasting stretch above {tachy} or below {brady} bpm.",
                "Your rate stayed between {brady} and {tachy} bpm apart from brief moments, if "
                "any.",
            ),
            **v,
        )
    return sentences(*parts)


def _note_close(voice: Voice, v: dict[str, str]) -> str:
    return voice.pick(
        "note-close",
        (
            "One day on its own doesn't show a trend; your weekly summary compares your resting "
            "rate with your own usual level.",
            "Keep in mind a single day is just a snapshot; the weekly view is where changes show.",
            "Don't read too much into one day; what matters is how your resting rate moves over "
            "weeks.",
            "A single {weekday} can't tell you much on its own; your weekly numbers will say more.",
            "Day-to-day numbers bounce around, so look at the weekly picture before drawing "
            "conclusions.",
            "Treat this as one data point; your resting rate over the coming weeks is what counts.",
        ),
        **v,
    )


def _personal_note(ins: Insights, key: str) -> str:
    voice = Voice(key, ExampleKind.NOTE.value)
    v = _values(ins)
    if not ins["samples"]:
        return voice.pick(
            "note-empty",
            (
                "Your device didn't record any heart rate on {weekday} {date}, so there's "
                "nothing to report for that day.",
                "No heart-rate data came through for {weekday} {date}.",
            ),
            **v,
        )
    return sentences(
        _note_resting(voice, ins, v),
        _note_episodes(voice, ins, v),
        clock_sentence(ins["clock"]),
        _note_close(voice, v),
    )


QUESTION_RESTING = (
    "What was my resting heart rate on {weekday}?",
    "What was my resting heart rate on {date}?",
    "How low did my heart rate settle on {weekday} {date}?",
    "Was my resting heart rate normal on {weekday}?",
    "What resting heart rate did my device measure on {date}?",
    "Tell me my resting heart rate for {weekday}, {date}.",
    "How did my resting heart rate look on {date}?",
    "Where did my heart rate bottom out at rest on {weekday}?",
)
QUESTION_HIGH = (
    "Did my heart rate stay above {tachy} bpm for long on {weekday}?",
    "Were there any long stretches of high heart rate on {date}?",
    "Did my heart race for a sustained period on {weekday} {date}?",
    "Was my heart rate high for any length of time on {weekday}?",
    "Any sustained periods over {tachy} bpm on {date}?",
    "When was my heart rate elevated on {weekday}, and for how long?",
    "Did I have any long runs of fast heart rate on {date}?",
    "How long was my heart rate above {tachy} on {weekday}?",
)
QUESTION_LOW = (
    "Did my heart rate drop below {brady} bpm on {weekday}?",
    "Were there any long stretches of low heart rate on {date}?",
    "Did my heart rate go very low on {weekday} {date}?",
    "Was my heart rate under {brady} for any length of time on {weekday}?",
    "Any sustained periods below {brady} bpm on {date}?",
    "When was my heart rate lowest on {weekday}, and did it stay there?",
    "Did my pulse dip under {brady} on {date}?",
    "How long was my heart rate below {brady} on {weekday}?",
)
QUESTION_COVERAGE = (
    "How much of {weekday} did my device record?",
    "Was my heart rate tracked all day on {date}?",
    "How complete is my heart-rate data for {weekday} {date}?",
    "Did my watch capture enough of {date}?",
    "How many minutes of heart rate were recorded on {weekday}?",
    "Is there enough heart-rate data for {weekday}?",
    "How well was {date} covered by my heart-rate tracking?",
    "Were there gaps in my heart-rate data on {weekday}?",
)


def _answer_resting(voice: Voice, ins: Insights, v: dict[str, str]) -> str:
    if ins["resting_bpm"] is None:
        return sentences(_note_resting(voice, ins, v), _coverage_answer_tail(voice, v))
    detail = voice.pick(
        "answer-resting-detail",
        (
            "Over the whole of {spoken} your heart rate averaged {mean} bpm.",
            "For comparison, the day's average was {mean} bpm.",
            "The rest of {spoken} averaged {mean} bpm, ranging up to {max} bpm.",
            "Your lowest single reading on {spoken} was {min} bpm; the day averaged {mean} bpm.",
            "That is the calmest half hour; across {spoken} you averaged {mean} bpm.",
            "Your device tracked {coverage}% of {spoken} to find it.",
        ),
        **v,
    )
    return sentences(_note_resting(voice, ins, v), detail, _answer_limit(voice, v))


def _answer_limit(voice: Voice, v: dict[str, str]) -> str:
    return voice.pick(
        "answer-limit",
        (
            "It's one day's value, so compare it with your weekly baseline before reading "
            "anything into it.",
            "On its own, one day isn't a trend.",
            "A single day can be off for many reasons, like a short night or a late meal.",
            "Your weekly summary puts this in context against your usual level.",
            "Watch how it moves over a few weeks rather than day to day.",
            "One reading like this is a snapshot, not a change.",
            "Whether it is high or low for you shows only against your own baseline.",
        ),
        **v,
    )


def _coverage_answer_tail(voice: Voice, v: dict[str, str]) -> str:
    return voice.pick(
        "coverage-tail",
        (
            "Wearing your device for more of the day, especially at rest, fills that gap.",
            "More wear time, including quiet hours, would make a resting value possible.",
            "If you wear it through calm periods, a resting value will show up.",
            "Longer wear, including while you rest, is what the resting value needs.",
            "Keeping the device on through the evening and night usually solves this.",
        ),
        **v,
    )


def _answer_episodes(voice: Voice, ins: Insights, v: dict[str, str], *, high: bool) -> str:
    runs = ins["tachycardia_episodes"] if high else ins["bradycardia_episodes"]
    extreme, word = ("max_bpm", "peak") if high else ("min_bpm", "lowest")
    values = v | {
        "periods": count_phrase(len(runs), "sustained period"),
        "list": _episodes_text(ins, "tachycardia" if high else "bradycardia", extreme, word),
        "threshold": v["tachy"] if high else v["brady"],
        "direction": "above" if high else "below",
    }
    return voice.pick(
        "answer-episodes",
        (
            "Yes, {periods} {direction} {threshold} bpm: {list}.",
            "There was time {direction} {threshold} bpm on {spoken}: {list}.",
            "Your heart rate stayed {direction} {threshold} bpm in {periods}, {list}.",
            "Yes. {list}; that makes {periods} {direction} {threshold} bpm.",
            "On {spoken}: {list}, {periods} {direction} {threshold} bpm in all.",
            "It did: {list}.",
        ),
        **values,
    )


def _answer_stray(voice: Voice, ins: Insights, v: dict[str, str], *, high: bool) -> str:
    count = (
        ins["samples_above_tachycardia_threshold"]
        if high
        else ins["samples_below_bradycardia_threshold"]
    )
    values = v | {
        "stray": count_phrase(count, "reading"),
        "threshold": v["tachy"] if high else v["brady"],
        "direction": "above" if high else "below",
    }
    return voice.pick(
        "answer-stray",
        (
            "No. On {spoken} your heart rate went {direction} {threshold} bpm only in {stray}, "
            "too brief to count as a sustained period.",
            "Not for long: {spoken} had {stray} {direction} {threshold} bpm, none lasting.",
            "Only briefly, with {stray} {direction} {threshold} bpm on {spoken} and no "
            "sustained stretch.",
            "There were {stray} {direction} {threshold} bpm on {spoken}, but none formed a "
            "sustained period.",
            "Just moments on {spoken}: {stray} {direction} {threshold} bpm, never sustained.",
            "No sustained stretch on {spoken}, only {stray} {direction} {threshold} bpm.",
            "{spoken} had {stray} {direction} {threshold} bpm, each too short to be a sustained "
            "period.",
            "Not in a sustained way; {spoken} shows {stray} {direction} {threshold} bpm.",
        ),
        **values,
    )


def _answer_extreme_detail(voice: Voice, v: dict[str, str], *, high: bool) -> str:
    if high:
        return voice.pick(
            "answer-high-detail",
            (
                "Your highest reading of {spoken} was {max} bpm.",
                "The day's peak was {max} bpm.",
                "At most your heart rate reached {max} bpm that day.",
                "On {spoken} the highest value recorded was {max} bpm.",
                "The top reading on {spoken} was {max} bpm, against a daily average of {mean}.",
                "For context, {spoken} averaged {mean} bpm and peaked at {max}.",
            ),
            **v,
        )
    return voice.pick(
        "answer-low-detail",
        (
            "Your lowest reading of {spoken} was {min} bpm.",
            "The day's lowest value was {min} bpm.",
            "At its lowest your heart rate touched {min} bpm that day.",
            "On {spoken} the lowest value recorded was {min} bpm.",
            "The bottom reading on {spoken} was {min} bpm, against a daily average of {mean}.",
            "For context, {spoken} averaged {mean} bpm and dipped to {min}.",
        ),
        **v,
    )


def _answer_high(voice: Voice, ins: Insights, v: dict[str, str]) -> str:
    first = (
        _answer_episodes(voice, ins, v, high=True)
        if ins["tachycardia_episodes"]
        else _answer_stray(voice, ins, v, high=True)
    )
    context = voice.pick(
        "answer-high-context",
        (
            "Without activity data I can't say what caused it, but exercise is the usual reason.",
            "If you were working out then, it's expected; otherwise note how you felt.",
            "Sustained high rates during exercise are normal; at rest, they're worth a mention "
            "to your doctor.",
            "Check it against what you were doing: a walk, a run or stairs would explain it.",
            "On its own that's not a concern if you were active.",
            "Effort, heat, caffeine or stress can all push heart rate up for a while.",
            "Think back to what you did on {spoken}: activity would account for it.",
        ),
        **v,
    )
    return sentences(first, _answer_extreme_detail(voice, v, high=True), context)


def _answer_low(voice: Voice, ins: Insights, v: dict[str, str]) -> str:
    first = (
        _answer_episodes(voice, ins, v, high=False)
        if ins["bradycardia_episodes"]
        else _answer_stray(voice, ins, v, high=False)
    )
    context = voice.pick(
        "answer-low-context",
        (
            "Low rates are common in sleep and in fit people; dizziness or fainting would be a "
            "reason to see a doctor.",
            "That's often normal during deep rest, unless you felt faint or unusually tired.",
            "Without symptoms, a low rate at rest is usually nothing to worry about.",
            "If you felt light-headed, mention it to a clinician; otherwise it's usually rest.",
            "Sleep and good fitness both bring heart rate down like this.",
            "Brief dips at night are common and rarely mean anything on their own.",
            "Unless {spoken} brought dizziness or fainting, there's nothing to act on.",
        ),
        **v,
    )
    return sentences(first, _answer_extreme_detail(voice, v, high=False), context)


def _answer_coverage(voice: Voice, ins: Insights, v: dict[str, str]) -> str:
    first = voice.pick(
        "answer-coverage",
        (
            "Your device recorded {monitored} of the day's {day_minutes} minutes, {coverage}% "
            "of {spoken}, from {sources}.",
            "{coverage}% of {spoken}: {monitored_n} out of {day_minutes}, with {samples_n} "
            "from {sources}.",
            "About {coverage}% of the day, {monitored_n}, carried heart-rate samples "
            "({samples} from {sources}).",
            "Your data hold {samples_n} from {sources}, covering {monitored_n}, "
            "{coverage}% of {spoken}.",
            "{sources} covered {monitored_n} of {spoken} ({coverage}%), in {samples_n}.",
            "On {spoken} {monitored} of {day_minutes} minutes have heart-rate data, "
            "{coverage}% of the day.",
        ),
        **v,
    )
    span = voice.pick(
        "answer-coverage-span",
        (
            "The first sample came at {first_at} and the last at {last_at}.",
            "Recording ran from {first_at} to {last_at}.",
            "Samples span {first_at} to {last_at}.",
            "Data start at {first_at} and end at {last_at}.",
        ),
        **v,
    )
    if ins["resting_bpm"] is not None:
        second = voice.pick(
            "answer-coverage-enough",
            (
                "That's enough for a resting heart rate, which came to {rest} bpm.",
                "Enough for a resting value: {rest} bpm.",
                "It was sufficient to give a resting heart rate of {rest} bpm.",
                "That coverage gives a resting heart rate of {rest} bpm.",
                "With that much data, your resting rate could be measured: {rest} bpm.",
            ),
            **v,
        )
    else:
        second = _resting_missing(voice, ins, v)
    return sentences(first, span, second)


def _questions(ins: Insights, key: str) -> list[ExampleText]:
    v = _values(ins)
    if not ins["samples"]:
        return []
    chosen: list[tuple[str, Sequence[str], Any]] = [("resting", QUESTION_RESTING, _answer_resting)]
    if ins["tachycardia_episodes"] or ins["samples_above_tachycardia_threshold"]:
        chosen.append(("high", QUESTION_HIGH, _answer_high))
    if ins["bradycardia_episodes"] or ins["samples_below_bradycardia_threshold"]:
        chosen.append(("low", QUESTION_LOW, _answer_low))
    if len(chosen) < 3:
        chosen.append(("coverage", QUESTION_COVERAGE, _answer_coverage))
    examples = []
    for label, phrasings, answer in chosen[:3]:
        voice = Voice(key, f"{ExampleKind.QUESTION.value}:{label}")
        question = voice.pick("question", phrasings, **v)
        examples.append(ExampleText(ExampleKind.QUESTION, answer(voice, ins, v), question=question))
    return examples


def _comparison(ins: Insights, key: str) -> ExampleText | None:
    previous = ins["previous_day"]
    change = ins["change_from_previous_day_bpm"]
    if ins["resting_bpm"] is None or previous["resting_bpm"] is None or change is None:
        return None
    voice = Voice(key, ExampleKind.COMPARISON.value)
    v = _values(ins) | {
        "prev": bpm(previous["resting_bpm"]),
        "prev_weekday": previous["weekday"],
        "prev_date": previous["date"],
        "diff": show(abs(change)),
    }
    if change > 0:
        direction = voice.pick(
            "direction-up",
            ("{diff} bpm higher", "up {diff} bpm", "a rise of {diff} bpm", "{diff} bpm above it"),
            **v,
        )
    elif change < 0:
        direction = voice.pick(
            "direction-down",
            ("{diff} bpm lower", "down {diff} bpm", "a fall of {diff} bpm", "{diff} bpm below it"),
            **v,
        )
    else:
        direction = voice.pick(
            "direction-same", ("the same value", "unchanged", "identical to the day before"), **v
        )
    first = voice.pick(
        "comparison",
        (
            "Resting heart rate was {rest} bpm on {weekday} {date} against {prev} bpm on "
            "{prev_weekday} {prev_date}: {direction}.",
            "From {prev_weekday} to {weekday} the resting rate went from {prev} to {rest} bpm, "
            "{direction}.",
            "{weekday}'s resting heart rate of {rest} bpm compares with {prev} bpm the day "
            "before ({prev_weekday}), {direction}.",
            "Compared with {prev_weekday} ({prev} bpm), {weekday}'s resting rate of {rest} bpm "
            "is {direction}.",
            "Resting heart rate: {prev} bpm on {prev_date}, {rest} bpm on {date}; {direction}.",
        ),
        **v,
        direction=direction,
    )
    limit = voice.pick(
        "comparison-limit",
        (
            "A difference between two days is not a change; a sustained shift shows only in "
            "weekly values against the personal baseline.",
            "Day-to-day differences like this are ordinary variation until they persist for days.",
            "Two days cannot make a trend; only a rise held over a week against the baseline "
            "would be notable.",
            "One day is not a change, so this difference carries no meaning on its own.",
            "Sleep, meals, alcohol and training move single days; the weekly median is the "
            "figure to follow.",
        ),
        **v,
    )
    return ExampleText(ExampleKind.COMPARISON, sentences(first, limit))


def day_examples(ins: Insights, key: str) -> list[ExampleText]:
    examples = [
        ExampleText(ExampleKind.SUMMARY, _clinician_summary(ins, key)),
        ExampleText(ExampleKind.NOTE, _personal_note(ins, key)),
        *_questions(ins, key),
    ]
    comparison = _comparison(ins, key)
    if comparison is not None:
        examples.append(comparison)
    return examples
