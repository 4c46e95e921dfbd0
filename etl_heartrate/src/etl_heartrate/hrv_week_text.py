"""HRV, one ISO week of nights (Monday to Sunday evenings): each night's 7-night mean against
its personal band, the nights above and below it (most recent first), the week's mean."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from etl_core import ExampleKind, ExampleText
from etl_heartrate.hrv_night_text import (
    band_line,
    missing_band,
    missing_rolling,
    night_values,
    rolling_line,
    status_meaning,
)
from etl_heartrate.voice import Voice, count_phrase, listed, ln, paragraphs, sentences, weekday
from etl_heartrate.window_common import clock_line, clock_sentence

Insights = Mapping[str, Any]


def _night_entry(night: Mapping[str, Any], rules: Mapping[str, Any]) -> str:
    return (
        f"{night['weekday']} {night['night']}: ln RMSSD {ln(night['ln_rmssd'])} "
        f"({count_phrase(night['measurements'], 'reading')}); 7-night mean "
        f"{rolling_line(night, rules)}; band "
        f"{band_line(night, rules)}; {night['status'] or 'not judged'}"
    )


def _dated(nights: Sequence[str]) -> str:
    return listed([f"{weekday(night)} {night}" for night in nights])


def week_summary(ins: Insights) -> str:
    rules, window = ins["rules"], ins["window"]
    lines = [
        "record: heart-rate variability (HeartRateVariabilityRmssdRecord), ISO week of nights "
        f"{ins['iso_week']}",
        f"window: nights of {weekday(window['first_day'])} {window['first_day']} to "
        f"{weekday(window['last_day'])} {window['last_day']}, each from noon to noon",
        clock_line(ins["clock"]),
        f"nights recorded: {ins['nights_recorded']} of {ins['week_nights']}",
        *(f"night {_night_entry(n, rules)}" for n in ins["nights"]),
    ]
    if ins["ln_mean"] is not None:
        lines.append(
            f"week mean: ln RMSSD {ln(ins['ln_mean'])} over {ins['nights_recorded']} nights"
        )
    else:
        lines.append(
            f"week mean: none, {ins['nights_recorded']} of the {rules['rolling_min_nights']} "
            f"nights needed"
        )
    lines += [
        f"nights judged against their band: {ins['nights_judged']}",
        f"nights above the band: {len(ins['nights_above_band'])}, most recent first: "
        + (_dated(ins["nights_above_band"]) or "none"),
        f"nights below the band: {len(ins['nights_below_band'])}, most recent first: "
        + (_dated(ins["nights_below_band"]) or "none"),
        f"nights within the band: {ins['nights_within_band']}",
    ]
    previous = ins["previous_week"]
    if previous["ln_mean"] is not None:
        change = ins["change_from_previous_week_ln"]
        tail = "" if change is None else f"; change {change:+.2f}"
        lines.append(
            f"previous week (nights from {previous['first_night']}): mean ln RMSSD "
            f"{ln(previous['ln_mean'])} over {previous['nights_recorded']} nights, "
            f"{len(previous['nights_below_band'])} below and {len(previous['nights_above_band'])} "
            f"above the band{tail}"
        )
    else:
        lines.append(
            f"previous week (nights from {previous['first_night']}): "
            f"{previous['nights_recorded']} nights recorded, no week mean"
        )
    return "\n".join(line for line in lines if line)


def _values(ins: Insights) -> dict[str, str]:
    window, rules = ins["window"], ins["rules"]
    values = {
        "first": window["first_day"],
        "last": window["last_day"],
        "nights": str(ins["nights_recorded"]),
        "week_nights": str(ins["week_nights"]),
        "judged": str(ins["nights_judged"]),
        "within": str(ins["nights_within_band"]),
        "rolling_need": str(rules["rolling_min_nights"]),
    }
    if ins["ln_mean"] is not None:
        values["mean"] = ln(ins["ln_mean"])
    return values


def _opening(voice: Voice, ins: Insights, v: Mapping[str, str]) -> str:
    if ins["ln_mean"] is None:
        return voice.pick(
            "opening-thin",
            (
                "HRV was recorded on {nights} of {week_nights} nights from {first} to {last}, "
                "too few for a week mean ({rolling_need} needed).",
                "The week of nights {first} to {last} has {nights} of {week_nights} nights "
                "recorded; a week mean needs {rolling_need}.",
                "RMSSD readings exist for {nights} of the {week_nights} nights between {first} and "
                "{last}, short of the {rolling_need} a week mean needs.",
            ),
            **v,
        )
    return voice.pick(
        "opening",
        (
            "HRV was recorded on {nights} of {week_nights} nights from {first} to {last}; the "
            "week's mean ln RMSSD was {mean}.",
            "Over the nights of {first} to {last} ({nights} of {week_nights} recorded), mean ln "
            "RMSSD was {mean}.",
            "The week of nights beginning {first} averaged ln RMSSD {mean} across {nights} of "
            "{week_nights} nights.",
            "For {first} to {last}, {nights} recorded nights give a weekly ln RMSSD of {mean}.",
            "Mean nightly ln RMSSD for the week {first} to {last} was {mean} ({nights} of "
            "{week_nights} nights).",
        ),
        **v,
    )


def _band_finding(voice: Voice, ins: Insights, v: Mapping[str, str], label: str) -> str:
    newest = ins["newest_night"]
    if newest is None:
        return ""
    if ins["nights_judged"] == 0:
        newest_values = night_values(newest, ins["rules"], ins["clock"])
        if newest["rolling_ln_mean"] is None:
            return sentences(
                missing_rolling(voice, newest_values, label),
                missing_band(voice, newest_values, label)
                if newest["band_ln_low"] is None
                else None,
            )
        return missing_band(voice, newest_values, label)
    above, below = ins["nights_above_band"], ins["nights_below_band"]
    parts: list[str] = []
    for status, nights in (("below", below), ("above", above)):
        if not nights:
            continue
        values = dict(v) | {
            "count": count_phrase(len(nights), "night"),
            "list": _dated(nights),
            "side": status,
            "moved": "fell" if status == "below" else "rose",
        }
        if len(nights) == 1:
            parts.append(
                voice.pick(
                    f"{label}-{status}-one",
                    (
                        "The 7-night mean {moved} {side} the personal band on 1 night, {list}.",
                        "{side_cap} the band: {list}, the only such night.",
                        "On {list} alone the 7-night mean was {side} the personal band.",
                        "One night, {list}, had its 7-night mean {side} the band.",
                    ),
                    **values,
                    side_cap=status.capitalize(),
                )
            )
            continue
        parts.append(
            voice.pick(
                f"{label}-{status}",
                (
                    "The 7-night mean {moved} {side} the personal band on {count}, most recent "
                    "first: {list}.",
                    "{side_cap} the band: {list} (most recent first), {count} in all.",
                    "On {count} the 7-night mean was {side} the personal band: {list}, newest "
                    "first.",
                    "{count_cap} {side} the band, newest first: {list}.",
                ),
                **values,
                side_cap=status.capitalize(),
                count_cap=count_phrase(len(nights), "night").capitalize(),
            )
        )
    if not above and not below:
        parts.append(
            voice.pick(
                f"{label}-all-within",
                (
                    "The 7-night mean stayed within the personal band on all {judged} nights "
                    "judged.",
                    "On each of the {judged} nights judged, the 7-night mean was inside the "
                    "personal band.",
                    "No night left the band: all {judged} judged nights were within it.",
                    "All {judged} nights with a band and a 7-night mean stayed within it.",
                ),
                **v,
            )
        )
    elif ins["nights_within_band"]:
        parts.append(
            voice.pick(
                f"{label}-some-within",
                (
                    "It was within the band on {within} of {judged} nights judged.",
                    "The other nights judged ({within} of {judged}) stayed within it.",
                    "{within} of the {judged} judged nights were inside the band.",
                ),
                **v,
            )
        )
    latest_status = ins["newest_night"]["status"]
    if below or above:
        meaning_status = (
            latest_status
            if latest_status in ("below", "above")
            else ("below" if below else "above")
        )
        parts.append(status_meaning(voice, meaning_status, v, label))
    return sentences(*parts)


def _limit(voice: Voice, v: Mapping[str, str]) -> str:
    return voice.pick(
        "limit",
        (
            "Each night is judged by its 7-night mean against a band from the weeks before it, "
            "so single nights do not decide the picture.",
            "Single nights swing widely; the rolling mean is what is judged.",
            "A week is a short stretch; the next weeks will show whether the pattern holds.",
            "The band moves with the person's history, so later weeks may read differently.",
            "Individual nights are noisy, and no single one is a trend.",
        ),
        **v,
    )


def _clinician_summary(ins: Insights, key: str) -> str:
    voice = Voice(key, ExampleKind.SUMMARY.value)
    v = _values(ins)
    return paragraphs(
        sentences(_opening(voice, ins, v), clock_sentence(ins["clock"])),
        sentences(_band_finding(voice, ins, v, "summary"), _limit(voice, v)),
    )


def _note(ins: Insights, key: str) -> str:
    voice = Voice(key, ExampleKind.NOTE.value)
    v = _values(ins)
    if ins["ln_mean"] is None:
        opening = voice.pick(
            "note-thin",
            (
                "Your ring recorded HRV on {nights} of {week_nights} nights this week, not "
                "enough for a weekly average yet.",
                "This week there are only {nights} nights of HRV data, so no weekly average; "
                "it takes {rolling_need}.",
                "With {nights} of {week_nights} nights recorded, I can't give you a weekly HRV "
                "average yet.",
            ),
            **v,
        )
    else:
        opening = voice.pick(
            "note-opening",
            (
                "Your HRV this week averaged {mean} on the log scale, over {nights} nights.",
                "Across {nights} nights this week, your average HRV (ln RMSSD) was {mean}.",
                "This week ({first} to {last}) your heart-rate variability averaged {mean} "
                "(ln RMSSD).",
                "Your weekly HRV average came to {mean} (ln RMSSD) from {nights} nights.",
            ),
            **v,
        )
    below, above = ins["nights_below_band"], ins["nights_above_band"]
    if ins["nights_judged"] == 0:
        middle = voice.pick(
            "note-no-band",
            (
                "Your personal range needs a few more weeks of nights before I can say whether "
                "that's normal for you.",
                "There isn't enough history yet to know what's normal for you; keep wearing the "
                "ring at night.",
                "Once about a month of nights is in, I can compare you with your own normal.",
            ),
            **v,
        )
    elif below:
        middle = voice.pick(
            "note-below",
            (
                "Your 7-night average dropped below your usual range on {list}. That often "
                "means you need more recovery: sleep, lighter training and watching for signs "
                "of illness help.",
                "On {list} your rolling average was under your normal range, a sign your body "
                "may be under strain. Go easy for a few days and prioritise sleep.",
                "Your rolling HRV slipped below your normal range on {list}. Stress, short "
                "sleep, alcohol, hard training or an oncoming cold can all cause that.",
            ),
            **v,
            list=_dated(below),
        )
    elif above:
        middle = voice.pick(
            "note-above",
            (
                "Your 7-night average was above your usual range on {list}, usually a sign of "
                "good recovery.",
                "On {list} your rolling average rose over your normal range, which generally "
                "means you're well rested.",
            ),
            **v,
            list=_dated(above),
        )
    else:
        middle = voice.pick(
            "note-within",
            (
                "Every night your 7-night average stayed within your normal range, so recovery "
                "looks steady.",
                "Your rolling average stayed inside your usual range all week: nothing to change.",
                "All week your HRV held within your personal range. Good, steady recovery.",
                "No night fell outside your usual range; you're on an even keel.",
            ),
            **v,
        )
    return sentences(opening, middle, clock_sentence(ins["clock"]))


QUESTION_BAND = (
    "Which nights this week was my HRV outside my normal range?",
    "Did my HRV drop below my usual range this week?",
    "Was my heart-rate variability normal for me in the week of {first}?",
    "On which nights did my HRV fall out of my personal band?",
    "How did my HRV compare with my normal range from {first} to {last}?",
    "Was there any night this week when my HRV looked off?",
    "Is my HRV this week within my baseline?",
    "Did my recovery, by HRV, look normal in the week of {first}?",
)
QUESTION_MEAN = (
    "What was my average HRV this week?",
    "What was my weekly ln RMSSD for the week of {first}?",
    "How was my heart-rate variability across the week?",
    "Give me my HRV for {first} to {last}.",
    "What did my nightly HRV average this week?",
    "How many nights of HRV did I record this week, and what was the average?",
    "Summarise my HRV for the week of {first}.",
    "What was my typical HRV over the past week?",
)


def _answer_band(voice: Voice, ins: Insights, v: Mapping[str, str]) -> str:
    finding = _band_finding(voice, ins, v, "answer")
    if ins["nights_judged"] == 0:
        return sentences(
            finding,
            voice.pick(
                "answer-tail",
                (
                    "Until then, no night can be called high or low for you.",
                    "So no night can be judged against your normal yet.",
                    "Your normal range will appear as the history grows.",
                ),
                **v,
            ),
        )
    return finding


def _answer_mean(voice: Voice, ins: Insights, v: Mapping[str, str]) -> str:
    tail = voice.pick(
        "answer-mean-tail",
        (
            "That's the mean of the nightly values on the log scale.",
            "It averages each night's ln RMSSD.",
            "Each night counts once in that average.",
            "Nights without readings are left out of it.",
        ),
        **v,
    )
    return sentences(_opening(voice, ins, v), tail if ins["ln_mean"] is not None else None)


def _questions(ins: Insights, key: str) -> list[ExampleText]:
    v = _values(ins)
    examples = []
    for label, phrasings, answer in (
        ("band", QUESTION_BAND, _answer_band),
        ("mean", QUESTION_MEAN, _answer_mean),
    ):
        voice = Voice(key, f"{ExampleKind.QUESTION.value}:{label}")
        question = voice.pick("question", phrasings, **v)
        examples.append(ExampleText(ExampleKind.QUESTION, answer(voice, ins, v), question=question))
    return examples


def _comparison(ins: Insights, key: str) -> ExampleText | None:
    change = ins["change_from_previous_week_ln"]
    if change is None:
        return None
    previous = ins["previous_week"]
    voice = Voice(key, ExampleKind.COMPARISON.value)
    v = _values(ins) | {
        "prev": ln(previous["ln_mean"]),
        "prev_nights": str(previous["nights_recorded"]),
        "prev_first": previous["first_night"],
        "diff": ln(abs(change)),
        "below": str(len(ins["nights_below_band"])),
        "prev_below": str(len(previous["nights_below_band"])),
        "above": str(len(ins["nights_above_band"])),
        "prev_above": str(len(previous["nights_above_band"])),
    }
    direction = (
        voice.pick("up", ("{diff} higher", "up {diff}", "a rise of {diff}"), **v)
        if change > 0
        else voice.pick("down", ("{diff} lower", "down {diff}", "a fall of {diff}"), **v)
        if change < 0
        else voice.pick("same", ("unchanged", "no different"), **v)
    )
    first = voice.pick(
        "comparison",
        (
            "The week's mean ln RMSSD was {mean} ({nights} nights) against {prev} the week before "
            "({prev_nights} nights): {direction}.",
            "From the week of {prev_first} to the week of {first}, mean ln RMSSD went from {prev} "
            "to {mean}, {direction}.",
            "Mean ln RMSSD: {prev} in the week of {prev_first}, {mean} in the week of {first}; "
            "{direction}.",
            "This week's {mean} compares with {prev} last week, {direction}.",
        ),
        **v,
        direction=direction,
    )
    second = voice.pick(
        "comparison-band",
        (
            "Nights below the band: {below} this week, {prev_below} the week before; above: "
            "{above} and {prev_above}.",
            "This week {below} nights fell below the band and {above} rose above it, against "
            "{prev_below} and {prev_above} the week before.",
            "Below-band nights went from {prev_below} to {below}, above-band nights from "
            "{prev_above} to {above}.",
        ),
        **v,
    )
    limit = voice.pick(
        "comparison-limit",
        (
            "Week-to-week differences matter when they take the rolling mean outside the band.",
            "What counts is whether the 7-night mean leaves the personal band, not the raw "
            "difference.",
            "A difference between two weeks is judged through the band, not by itself.",
        ),
        **v,
    )
    return ExampleText(ExampleKind.COMPARISON, sentences(first, second, limit))


def week_examples(ins: Insights, key: str) -> list[ExampleText]:
    if ins["newest_night"] is None:
        return []
    examples = [
        ExampleText(ExampleKind.SUMMARY, _clinician_summary(ins, key)),
        ExampleText(ExampleKind.NOTE, _note(ins, key)),
        *_questions(ins, key),
    ]
    comparison = _comparison(ins, key)
    if comparison is not None:
        examples.append(comparison)
    return examples
