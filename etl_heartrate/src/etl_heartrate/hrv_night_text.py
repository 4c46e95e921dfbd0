"""HRV, one night (noon to noon): the night's ln RMSSD, its 7-night mean and the personal band."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from etl_core import ExampleKind, ExampleText
from etl_heartrate.formatting import app_name, show
from etl_heartrate.voice import Voice, count_phrase, listed, ln, paragraphs, sentences, spoken_date
from etl_heartrate.window_common import clock_line, clock_sentence, wall_time

Insights = Mapping[str, Any]


# -- pieces shared with the week ----------------------------------------------------------------


def rolling_line(night: Mapping[str, Any], rules: Mapping[str, Any]) -> str:
    if night["rolling_ln_mean"] is None:
        return (
            f"none yet, {night['rolling_nights']} of the {rules['rolling_min_nights']} nights "
            f"needed in the {rules['rolling_window_nights']} nights {night['rolling_first_night']}"
            f" to {night['night']}"
        )
    return (
        f"ln {ln(night['rolling_ln_mean'])} over {night['rolling_nights']} nights "
        f"({night['rolling_first_night']} to {night['night']})"
    )


def band_line(night: Mapping[str, Any], rules: Mapping[str, Any]) -> str:
    if night["band_ln_low"] is None:
        return (
            f"none yet, {night['band_nights']} of the {rules['band_min_nights']} nights needed in "
            f"the {rules['band_period_nights']} nights {night['band_first_night']} to "
            f"{night['band_last_night']}"
        )
    return (
        f"ln {ln(night['band_ln_low'])}-{ln(night['band_ln_high'])} (mean "
        f"{ln(night['band_ln_mean'])} \u00b1 {show(rules['band_sd_fraction'])} SD, SD "
        f"{ln(night['band_ln_sd'])}) from {night['band_nights']} nights "
        f"{night['band_first_night']} to {night['band_last_night']}"
    )


def night_values(
    night: Mapping[str, Any], rules: Mapping[str, Any], clock: Mapping[str, Any] | None = None
) -> dict[str, str]:
    """Template values for one judged night (``clock``: the window's clock insight, for the
    offset of times on a night the offset changed)."""
    values = {
        "night": night["night"],
        "weekday": night["weekday"],
        "spoken": spoken_date(night["night"]),
        "ln": ln(night["ln_rmssd"]),
        "ms": show(night["mean_rmssd_ms"]),
        "count": str(night["measurements"]),
        "readings_n": count_phrase(night["measurements"], "reading"),
        "rmssd_readings_n": count_phrase(night["measurements"], "RMSSD reading"),
        "from": wall_time(night["first"], clock or {}),
        "to": wall_time(night["last"], clock or {}),
        "rolling_nights": str(night["rolling_nights"]),
        "rolling_need": str(rules["rolling_min_nights"]),
        "rolling_window": str(rules["rolling_window_nights"]),
        "band_nights": str(night["band_nights"]),
        "band_need": str(rules["band_min_nights"]),
        "band_period": str(rules["band_period_nights"]),
    }
    if night["rolling_ln_mean"] is not None:
        values["rolling"] = ln(night["rolling_ln_mean"])
    if night["band_ln_low"] is not None:
        values |= {"band_low": ln(night["band_ln_low"]), "band_high": ln(night["band_ln_high"])}
    return values


def status_meaning(voice: Voice, status: str, v: Mapping[str, str], label: str) -> str:
    """What a 7-night mean above or below the band means in readiness practice."""
    if status == "below":
        return voice.pick(
            f"{label}-below",
            (
                "A 7-night mean below the personal band points to incomplete recovery: training "
                "load, short sleep, illness, alcohol or stress are the usual reasons. It is a "
                "cue to look at those, not a diagnosis.",
                "Below the band, readiness practice reads accumulated strain; sleep, training "
                "load, illness and stress are worth a look, and one week is not a diagnosis.",
                "Falling below the band is the pattern that accompanies fatigue, illness or "
                "poor sleep; it suggests easing load and checking for symptoms.",
            ),
            **v,
        )
    if status == "above":
        return voice.pick(
            f"{label}-above",
            (
                "A 7-night mean above the band usually reflects good recovery.",
                "Above the band is most often a sign of good recovery, occasionally of "
                "unusual rest days; it needs no action by itself.",
                "Being above the personal band is generally favourable for recovery.",
            ),
            **v,
        )
    return voice.pick(
        f"{label}-within",
        (
            "Within the band means recovery looks usual for this person.",
            "Inside the band, nothing departs from the person's normal.",
            "That is the person's usual range, with no sign of strain.",
            "Staying within the band is the expected, unremarkable result.",
        ),
        **v,
    )


def missing_rolling(voice: Voice, v: Mapping[str, str], label: str) -> str:
    return voice.pick(
        f"{label}-no-rolling",
        (
            "There is no 7-night mean yet: {rolling_nights} of the {rolling_need} nights needed "
            "in the last {rolling_window}.",
            "A 7-night mean needs {rolling_need} nights within {rolling_window}; there are "
            "{rolling_nights}, so none is given.",
            "No rolling mean yet ({rolling_nights} of {rolling_need} nights in the "
            "{rolling_window}-night window).",
        ),
        **v,
    )


def missing_band(voice: Voice, v: Mapping[str, str], label: str) -> str:
    if v["band_nights"] == "0":
        return voice.pick(
            f"{label}-no-band-zero",
            (
                "There is no personal band yet: none of the {band_period} nights before has a "
                "value, and {band_need} are needed.",
                "No personal band exists yet; it needs {band_need} earlier nights with a value "
                "and there are none.",
                "With no earlier nights recorded, there is no personal band yet ({band_need} of "
                "the {band_period} nights before are needed).",
            ),
            **v,
        )
    return voice.pick(
        f"{label}-no-band",
        (
            "There is no personal band yet: {band_nights} of the {band_need} earlier nights "
            "needed in the {band_period} before.",
            "No personal band yet, since only {band_nights} of the {band_period} earlier nights "
            "have a value and {band_need} are needed.",
            "The personal band needs {band_need} nights in the {band_period} before; with "
            "{band_nights}, there is none yet.",
        ),
        **v,
    )


# -- the input ----------------------------------------------------------------------------------


def night_summary(ins: Insights) -> str:
    rules = ins["rules"]
    lines = [
        "record: heart-rate variability (HeartRateVariabilityRmssdRecord), one night, noon to noon",
        f"window: night of {ins['weekday']} {ins['window']['first_day']}",
        clock_line(ins["clock"]),
    ]
    night = ins["night"]
    if night is None:
        lines.append(f"measurements: none usable ({ins['records']} records)")
        return "\n".join(line for line in lines if line)
    sources = " and ".join(app_name(origin) for origin in ins["sources"])
    lines += [
        f"measurements: {count_phrase(ins['measurements'], 'RMSSD value')} from {sources}, "
        f"{wall_time(night['first'], ins['clock'])} to {wall_time(night['last'], ins['clock'])}",
        f"night value: ln RMSSD {ln(night['ln_rmssd'])} (mean RMSSD {show(ins['mean_rmssd_ms'])} "
        f"ms, median {show(ins['median_rmssd_ms'])} ms, range {show(ins['min_rmssd_ms'])}-"
        f"{show(ins['max_rmssd_ms'])} ms)",
        f"7-night mean: {rolling_line(night, rules)}",
        f"personal band: {band_line(night, rules)}",
        f"status: {night['status'] or 'not judged'}",
    ]
    previous = ins["previous_night"]
    if previous is None:
        lines.append("previous night: not recorded")
    else:
        rolling = (
            "no 7-night mean"
            if previous["rolling_ln_mean"] is None
            else f"7-night mean {ln(previous['rolling_ln_mean'])}, "
            f"{previous['status'] or 'not judged'}"
        )
        lines.append(
            f"previous night: {previous['weekday']} {previous['night']}, ln RMSSD "
            f"{ln(previous['ln_rmssd'])} ({rolling}); change "
            f"{ins['change_from_previous_night_ln']:+.2f}"
        )
    return "\n".join(line for line in lines if line)


# -- the examples -------------------------------------------------------------------------------


def _values(ins: Insights) -> dict[str, str]:
    night = ins["night"]
    values = night_values(night, ins["rules"], ins["clock"])
    values |= {
        "sources": listed([app_name(o) for o in ins["sources"]]),
        "min": show(ins["min_rmssd_ms"]),
        "max": show(ins["max_rmssd_ms"]),
        "median": show(ins["median_rmssd_ms"]),
    }
    return values


def _opening(voice: Voice, v: Mapping[str, str]) -> str:
    return voice.pick(
        "opening",
        (
            "On the night of {weekday} {night}, {rmssd_readings_n} from {sources} ({from} to "
            "{to}) give a nightly ln RMSSD of {ln} (mean RMSSD {ms} ms).",
            "{weekday} {night}: {readings_n} from {sources} between {from} and {to}; nightly "
            "ln RMSSD {ln}, mean RMSSD {ms} ms.",
            "The night beginning {weekday} {night} has {rmssd_readings_n} ({from}-{to}, "
            "{sources}); its ln RMSSD is {ln} and its mean RMSSD {ms} ms.",
            "Nightly HRV for {weekday} {night} was ln RMSSD {ln} (mean {ms} ms), from "
            "{readings_n} taken {from}-{to} by {sources}.",
            "HRV on the night of {night} ({weekday}): ln RMSSD {ln}, mean RMSSD {ms} ms over "
            "{readings_n} from {from} to {to}.",
        ),
        **v,
    )


def _judgement(voice: Voice, ins: Insights, v: Mapping[str, str], label: str) -> str:
    night = ins["night"]
    if night["rolling_ln_mean"] is None:
        return sentences(
            missing_rolling(voice, v, label),
            missing_band(voice, v, label) if night["band_ln_low"] is None else None,
        )
    if night["band_ln_low"] is None:
        rolling = voice.pick(
            f"{label}-rolling-only",
            (
                "The 7-night mean is {rolling} over {rolling_nights} nights.",
                "Over the last {rolling_nights} recorded nights the mean ln RMSSD is {rolling}.",
                "Its 7-night mean stands at {rolling} ({rolling_nights} nights).",
            ),
            **v,
        )
        return sentences(rolling, missing_band(voice, v, label))
    status = night["status"]
    found = voice.pick(
        f"{label}-judged-{status}",
        (
            "The 7-night mean of {rolling} ({rolling_nights} nights) is {status} the personal "
            "band of {band_low}-{band_high}, built from {band_nights} earlier nights.",
            "Its 7-night mean, {rolling} over {rolling_nights} nights, lies {status} the "
            "personal band ({band_low}-{band_high}, from {band_nights} nights before).",
            "Against the personal band of {band_low}-{band_high} ({band_nights} earlier nights), "
            "the 7-night mean of {rolling} is {status} it.",
            "With {rolling_nights} nights the 7-night mean is {rolling}, {status} the band of "
            "{band_low}-{band_high} from the {band_nights} nights before.",
        ),
        **v,
        status=status,
    )
    return sentences(found, status_meaning(voice, status, v, label))


def _limit(voice: Voice, v: Mapping[str, str]) -> str:
    return voice.pick(
        "limit",
        (
            "A single night is a snapshot; the 7-night mean is what is judged.",
            "One night's value varies a lot and is not a trend on its own.",
            "Night-to-night swings are normal, which is why the rolling mean is the measure.",
            "The nightly value alone does not make a trend.",
            "Single nights are noisy; only the 7-night mean is compared with the band.",
        ),
        **v,
    )


def _clinician_summary(ins: Insights, key: str) -> str:
    voice = Voice(key, ExampleKind.SUMMARY.value)
    v = _values(ins)
    return paragraphs(
        sentences(_opening(voice, v), clock_sentence(ins["clock"])),
        sentences(_judgement(voice, ins, v, "summary"), _limit(voice, v)),
    )


def _note(ins: Insights, key: str) -> str:
    voice = Voice(key, ExampleKind.NOTE.value)
    v = _values(ins)
    night = ins["night"]
    opening = voice.pick(
        "note-opening",
        (
            "Your HRV on {weekday} night averaged {ms} ms (ln {ln}).",
            "Last night, {weekday}, your heart-rate variability came to {ms} ms on average "
            "(ln {ln}).",
            "On the night of {weekday} {night} your HRV was {ms} ms (ln {ln}).",
            "Your ring logged an average HRV of {ms} ms on {weekday} night, ln {ln}.",
            "{weekday} night's HRV: {ms} ms on average, or {ln} on the log scale.",
        ),
        **v,
    )
    status = night["status"]
    if night["rolling_ln_mean"] is None or night["band_ln_low"] is None:
        middle = voice.pick(
            "note-building",
            (
                "I can't tell you yet whether that's normal for you: your personal range needs "
                "{band_need} earlier nights of data.",
                "Your personal range is still being built ({band_nights} of {band_need} earlier "
                "nights), so for now this is a single data point.",
                "Keep wearing your ring; after {band_need} nights of history I can say how this "
                "compares with your normal.",
                "For now {spoken} is one data point; your personal range needs {band_need} "
                "earlier nights.",
                "There isn't enough history before {spoken} to know your normal range yet.",
            ),
            **v,
        )
    elif status == "below":
        middle = voice.pick(
            "note-below",
            (
                "Your 7-night average ({rolling}) has slipped below your usual range of "
                "{band_low}-{band_high}. That often means your body hasn't fully recovered: "
                "prioritise sleep, go easy on hard training and notice any signs of illness.",
                "Over the past week your average ({rolling}) is under your normal range "
                "({band_low}-{band_high}); consider a lighter day and an early night.",
                "Your weekly average of {rolling} sits below your usual {band_low}-{band_high}. "
                "Stress, poor sleep, alcohol or a bug can all do that; take it easy for a few "
                "days.",
            ),
            **v,
        )
    elif status == "above":
        middle = voice.pick(
            "note-above",
            (
                "Your 7-night average ({rolling}) is above your usual range of {band_low}-"
                "{band_high}, usually a sign you're well recovered.",
                "Nice: over the past week your average ({rolling}) is higher than your normal "
                "{band_low}-{band_high}.",
            ),
            **v,
        )
    else:
        middle = voice.pick(
            "note-within",
            (
                "Your 7-night average of {rolling} is inside your usual range ({band_low}-"
                "{band_high}), so recovery looks normal.",
                "Over the past week you're averaging {rolling}, right in your normal range of "
                "{band_low}-{band_high}.",
                "That keeps your weekly average at {rolling}, within your personal range of "
                "{band_low}-{band_high}.",
                "Your rolling average ({rolling}) sits comfortably in your usual {band_low}-"
                "{band_high}.",
            ),
            **v,
        )
    close = voice.pick(
        "note-close",
        (
            "Single nights jump around, so watch the weekly average rather than one night.",
            "One night doesn't mean much on its own.",
            "Don't worry about a single night; the trend over a week is what counts.",
            "HRV varies a lot from night to night, so look at the bigger picture.",
        ),
        **v,
    )
    return sentences(opening, middle, clock_sentence(ins["clock"]), close)


QUESTION_NIGHT = (
    "How was my HRV on {weekday} night?",
    "What was my heart-rate variability on the night of {night}?",
    "What did my ring measure for HRV on {weekday} {night}?",
    "Give me my HRV for the night of {night}.",
    "How high was my RMSSD on {weekday} night?",
    "What was my overnight HRV on {night}?",
    "Tell me about my HRV on the night beginning {night}.",
    "What was my HRV reading for {weekday} night?",
)
QUESTION_BAND = (
    "Is my HRV within my normal range?",
    "Is my heart-rate variability normal for me as of {night}?",
    "How does my recent HRV compare with my usual range?",
    "Is my 7-night HRV average inside my personal band?",
    "Am I recovered, going by my HRV up to {weekday} night?",
    "Is my HRV lower than usual right now?",
    "Where does my weekly HRV average sit against my baseline?",
    "Does my HRV as of {night} suggest I need more recovery?",
)


def _answer_night(voice: Voice, ins: Insights, v: Mapping[str, str]) -> str:
    detail = voice.pick(
        "answer-night-detail",
        (
            "Single readings ranged from {min} to {max} ms, with a median of {median} ms.",
            "Across the night the readings spread from {min} to {max} ms (median {median}).",
            "Its median reading was {median} ms, the lowest {min} and the highest {max} ms.",
            "The readings of {spoken} ran between {min} and {max} ms.",
            "Half the readings were below {median} ms; the range was {min}-{max} ms.",
        ),
        **v,
    )
    return sentences(_opening(voice, v), detail, _limit(voice, v))


def _answer_band(voice: Voice, ins: Insights, v: Mapping[str, str]) -> str:
    night = ins["night"]
    if night["status"] is None:
        tail = voice.pick(
            "answer-band-tail-missing",
            (
                "Until both exist, {spoken} can't be called high or low for you.",
                "So there is no verdict on {spoken} yet.",
                "Your normal range will take shape as more nights after {spoken} are recorded.",
                "Keep recording nights after {spoken} and the comparison will follow.",
                "For now, {spoken} stands on its own as a single reading of your HRV.",
            ),
            **v,
        )
    else:
        tail = voice.pick(
            "answer-band-tail",
            (
                "The verdict uses the average up to {spoken}, not that night alone.",
                "The band behind it comes only from nights before the week ending {spoken}.",
                "That judgement rests on the week up to {spoken}, not on one night.",
                "Your band is built from the nights before the 7 ending on {spoken}.",
                "Single nights move a lot; the 7-night mean up to {spoken} is what this compares.",
            ),
            **v,
        )
    return sentences(_judgement(voice, ins, v, "answer"), tail)


def _questions(ins: Insights, key: str) -> list[ExampleText]:
    v = _values(ins)
    examples = []
    for label, phrasings, answer in (
        ("night", QUESTION_NIGHT, _answer_night),
        ("band", QUESTION_BAND, _answer_band),
    ):
        voice = Voice(key, f"{ExampleKind.QUESTION.value}:{label}")
        question = voice.pick("question", phrasings, **v)
        examples.append(ExampleText(ExampleKind.QUESTION, answer(voice, ins, v), question=question))
    return examples


def _comparison(ins: Insights, key: str) -> ExampleText | None:
    previous = ins["previous_night"]
    change = ins["change_from_previous_night_ln"]
    if previous is None or change is None:
        return None
    voice = Voice(key, ExampleKind.COMPARISON.value)
    v = _values(ins) | {
        "prev_ln": ln(previous["ln_rmssd"]),
        "prev_weekday": previous["weekday"],
        "prev_night": previous["night"],
        "prev_spoken": spoken_date(previous["night"]),
        "diff": ln(abs(change)),
    }
    direction = (
        voice.pick("up", ("{diff} higher", "up {diff}", "a rise of {diff}"), **v)
        if change > 0
        else voice.pick("down", ("{diff} lower", "down {diff}", "a drop of {diff}"), **v)
        if change < 0
        else voice.pick("same", ("unchanged", "the same value"), **v)
    )
    first = voice.pick(
        "comparison",
        (
            "Nightly ln RMSSD was {ln} on {weekday} {night} against {prev_ln} on {prev_weekday} "
            "{prev_night}: {direction}.",
            "From {prev_weekday} to {weekday} night, ln RMSSD went from {prev_ln} to {ln}, "
            "{direction}.",
            "{weekday} night's ln RMSSD of {ln} compares with {prev_ln} the night before, "
            "{direction}.",
            "ln RMSSD: {prev_ln} on the night of {prev_spoken}, {ln} on the night of {spoken}; "
            "{direction}.",
            "The night of {spoken} scored {ln} against {prev_ln} on {prev_spoken}, {direction}.",
        ),
        **v,
        direction=direction,
    )
    rolling_parts = []
    same_rolling = previous["rolling_ln_mean"] == ins["night"]["rolling_ln_mean"]
    if previous["rolling_ln_mean"] is not None and same_rolling:
        rolling_parts.append(
            voice.pick(
                "comparison-rolling-same",
                (
                    "The 7-night mean held at {rolling}.",
                    "Its 7-night mean stayed at {rolling}.",
                    "Over 7 nights the mean did not move from {rolling}.",
                ),
                **v,
            )
        )
    elif previous["rolling_ln_mean"] is not None and ins["night"]["rolling_ln_mean"] is not None:
        rolling_parts.append(
            voice.pick(
                "comparison-rolling",
                (
                    "The 7-night mean moved from {prev_rolling} to {rolling}.",
                    "Its 7-night mean went from {prev_rolling} to {rolling}.",
                    "Over 7 nights the mean shifted from {prev_rolling} to {rolling}.",
                ),
                **v,
                prev_rolling=ln(previous["rolling_ln_mean"]),
            )
        )
    limit = voice.pick(
        "comparison-limit",
        (
            "Two nights are not a trend; a single night's change says little on its own.",
            "Whatever happened on {spoken}, one night against another is not a trend.",
            "Night-to-night changes of this kind are common and not a trend.",
            "One night against another is a snapshot; only the rolling mean is judged.",
            "Comparing two single nights shows day-to-day noise more than a change.",
        ),
        **v,
    )
    return ExampleText(ExampleKind.COMPARISON, sentences(first, *rolling_parts, limit))


def night_examples(ins: Insights, key: str) -> list[ExampleText]:
    if ins["night"] is None:
        voice = Voice(key, ExampleKind.SUMMARY.value)
        text = voice.pick(
            "empty",
            (
                "The night of {night} holds {records} HRV records but no usable RMSSD value.",
                "No usable RMSSD value was recorded on the night of {night} ({records} records).",
            ),
            night=ins["window"]["first_day"],
            records=ins["records"],
        )
        return [ExampleText(ExampleKind.SUMMARY, text)]
    examples = [
        ExampleText(ExampleKind.SUMMARY, _clinician_summary(ins, key)),
        ExampleText(ExampleKind.NOTE, _note(ins, key)),
        *_questions(ins, key),
    ]
    comparison = _comparison(ins, key)
    if comparison is not None:
        examples.append(comparison)
    return examples
