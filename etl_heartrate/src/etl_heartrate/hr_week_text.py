"""Heart rate, one ISO week: daily resting values, their median, the personal baseline."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from etl_core import ExampleKind, ExampleText
from etl_heartrate.formatting import show
from etl_heartrate.voice import Voice, bpm, listed, paragraphs, sentences, weekday
from etl_heartrate.window_common import clock_line, clock_sentence

Insights = Mapping[str, Any]


def _day_entry(day: Mapping[str, Any]) -> str:
    if day["resting_bpm"] is None:
        return f"{day['weekday']} {day['date']} none ({day['resting_unavailable_reason']})"
    return f"{day['weekday']} {day['date']} {bpm(day['resting_bpm'])} bpm"


def week_summary(ins: Insights) -> str:
    """The example input: the week's findings as ``key: value`` lines."""
    window, rules, base = ins["window"], ins["rules"], ins["baseline"]
    lines = [
        f"record: heart rate (HeartRateRecord), ISO week {ins['iso_week']}",
        f"window: {weekday(window['first_day'])} {window['first_day']} to "
        f"{weekday(window['last_day'])} {window['last_day']}",
        clock_line(ins["clock"]),
        "resting heart rate by day: " + "; ".join(_day_entry(d) for d in ins["daily"]),
        f"days with a resting value: {ins['days_with_resting']} of {rules['week_days']} (a "
        f"change from the baseline needs {rules['min_week_days']})",
    ]
    if ins["median_resting_bpm"] is not None:
        low, high = ins["lowest_resting"], ins["highest_resting"]
        lines.append(
            f"median resting heart rate: {bpm(ins['median_resting_bpm'])} bpm (lowest "
            f"{bpm(low['bpm'])} on {low['weekday']}, highest {bpm(high['bpm'])} on "
            f"{high['weekday']})"
        )
    if base["median_bpm"] is not None:
        lines.append(
            f"personal baseline: {bpm(base['median_bpm'])} bpm, the median of "
            f"{base['days_with_resting']} daily values in the {base['period_days']} days "
            f"{base['first_day']} to {base['last_day']}"
        )
    else:
        lines.append(
            f"personal baseline: none yet, {base['days_with_resting']} of the "
            f"{base['min_days']} days needed with a resting value in the {base['period_days']} "
            f"days {base['first_day']} to {base['last_day']}"
        )
    change = ins["change_from_baseline_bpm"]
    if change is not None:
        verdict = "notable rise" if ins["notable_rise"] else "no notable rise"
        lines.append(
            f"change from baseline: {change:+.1f} bpm ({verdict}; notable from "
            f"{show(rules['notable_rise_bpm'])} bpm up); days at least "
            f"{show(rules['notable_rise_bpm'])} bpm above the baseline: "
            f"{ins['days_at_or_above_notable_rise']} of {ins['days_with_resting']}"
        )
    previous = ins["previous_week"]
    if previous["median_resting_bpm"] is not None:
        previous_change = ins["change_from_previous_week_bpm"]
        tail = "" if previous_change is None else f", change {previous_change:+.1f} bpm"
        lines.append(
            f"previous week (from {previous['first_day']}): median "
            f"{bpm(previous['median_resting_bpm'])} bpm over {previous['days_with_resting']} "
            f"days{tail}"
        )
    else:
        lines.append(f"previous week (from {previous['first_day']}): no resting values")
    return "\n".join(line for line in lines if line)


def _values(ins: Insights) -> dict[str, str]:
    window, rules, base = ins["window"], ins["rules"], ins["baseline"]
    values = {
        "first": window["first_day"],
        "last": window["last_day"],
        "days": str(ins["days_with_resting"]),
        "week_days": str(rules["week_days"]),
        "min_days": str(rules["min_week_days"]),
        "rise": show(rules["notable_rise_bpm"]),
        "base_days": str(base["days_with_resting"]),
        "base_need": str(base["min_days"]),
        "period": str(base["period_days"]),
        "base_first": base["first_day"],
        "base_last": base["last_day"],
    }
    if ins["median_resting_bpm"] is not None:
        low, high = ins["lowest_resting"], ins["highest_resting"]
        values |= {
            "median": bpm(ins["median_resting_bpm"]),
            "lowest": bpm(low["bpm"]),
            "lowest_day": low["weekday"],
            "highest": bpm(high["bpm"]),
            "highest_day": high["weekday"],
        }
    if base["median_bpm"] is not None:
        values["base"] = bpm(base["median_bpm"])
    change = ins["change_from_baseline_bpm"]
    if change is not None:
        values["change"] = show(abs(change))
        values["above_days"] = str(ins["days_at_or_above_notable_rise"])
    return values


def _overview(voice: Voice, ins: Insights, v: dict[str, str]) -> str:
    if ins["median_resting_bpm"] is None:
        return voice.pick(
            "overview-empty",
            (
                "The week of {first} to {last} has no day with a resting heart rate.",
                "No day from {first} to {last} yielded a resting heart rate.",
                "Between {first} and {last} not one day had enough data for a resting value.",
            ),
            **v,
        )
    if ins["days_with_resting"] == 1:
        return voice.pick(
            "overview-one",
            (
                "The week of {first} to {last} has a resting heart rate on {days} of "
                "{week_days} days: {median} bpm on {lowest_day}.",
                "Only {days} day of {week_days} between {first} and {last} has a resting value, "
                "{median} bpm on {lowest_day}.",
                "From {first} to {last}, {lowest_day} is the single day with a resting heart "
                "rate ({median} bpm), {days} of {week_days}.",
            ),
            **v,
        )
    return voice.pick(
        "overview",
        (
            "In the week of {first} to {last}, resting heart rate is available on {days} of "
            "{week_days} days, from {lowest} bpm ({lowest_day}) to {highest} bpm ({highest_day}), "
            "with a median of {median} bpm.",
            "Resting heart rate from {first} to {last}: {days} of {week_days} days, median "
            "{median} bpm, lowest {lowest} on {lowest_day} and highest {highest} on "
            "{highest_day}.",
            "The week's median resting heart rate was {median} bpm over {days} of {week_days} "
            "days ({first} to {last}), ranging {lowest}-{highest} bpm.",
            "{days} of the {week_days} days from {first} to {last} give a resting value; their "
            "median is {median} bpm, between {lowest} bpm on {lowest_day} and {highest} bpm on "
            "{highest_day}.",
            "Across {first} to {last} the daily resting rate ran from {lowest} to {highest} bpm "
            "on {days} of {week_days} days, median {median} bpm.",
            "Daily resting values for {first} to {last} cover {days} of {week_days} days and "
            "center on a median of {median} bpm (range {lowest}-{highest} bpm).",
        ),
        **v,
    )


def _no_baseline(voice: Voice, ins: Insights, v: dict[str, str]) -> str:
    if ins["baseline"]["days_with_resting"] == 0:
        return voice.pick(
            "no-baseline-zero",
            (
                "There is no personal baseline yet: none of the {period} days before the week has "
                "a resting value, and {base_need} are needed.",
                "No personal baseline exists yet; it needs {base_need} days with a resting value "
                "in the preceding {period} days, and there are none.",
                "With no resting values in the {period} days before, there is no personal "
                "baseline yet ({base_need} days needed).",
            ),
            **v,
        )
    return voice.pick(
        "no-baseline",
        (
            "There is no personal baseline yet: {base_days} of the {base_need} days needed have "
            "a resting value in the preceding {period} days.",
            "No personal baseline yet, as only {base_days} of the {period} days before the week "
            "have a resting value and {base_need} are needed.",
            "A personal baseline needs {base_need} days with a resting value in the {period} days "
            "before; there are {base_days}, so none exists yet.",
            "No comparison with a personal baseline is possible yet ({base_days} of {base_need} "
            "days in the preceding {period}).",
        ),
        **v,
    )


def _thin_week(voice: Voice, ins: Insights, v: dict[str, str]) -> str | None:
    if ins["days_with_resting"] >= ins["rules"]["min_week_days"]:
        return None
    return voice.pick(
        "thin-week-too",
        (
            "The week itself has {days} of the {min_days} days with a resting value a weekly "
            "comparison needs.",
            "Nor does the week have enough days for one: {days} of {week_days}, with {min_days} "
            "needed.",
            "A weekly change would also need {min_days} days with a value; this week has {days}.",
        ),
        **v,
    )


def _baseline_finding(voice: Voice, ins: Insights, v: dict[str, str]) -> str:
    base = ins["baseline"]
    change = ins["change_from_baseline_bpm"]
    if base["median_bpm"] is None:
        return sentences(_no_baseline(voice, ins, v), _thin_week(voice, ins, v))
    if change is None:
        return voice.pick(
            "thin-week",
            (
                "The personal baseline is {base} bpm, but with {days} of {week_days} days the "
                "week is too thin to compare with it ({min_days} days needed).",
                "Against the baseline of {base} bpm no change is stated: the week has {days} "
                "days with a resting value and a comparison needs {min_days}.",
                "A baseline exists ({base} bpm), yet {days} days of {week_days} are too few for a "
                "weekly change; it takes {min_days}.",
            ),
            **v,
        )
    baseline_phrase = voice.pick(
        "baseline-phrase",
        (
            "the personal baseline of {base} bpm (median of {base_days} days in the preceding "
            "{period})",
            "the baseline of {base} bpm from {base_days} days between {base_first} and {base_last}",
            "the {base} bpm baseline, the median of the previous {period} days ({base_days} with "
            "a value)",
        ),
        **v,
    )
    values = v | {"baseline_phrase": baseline_phrase}
    if ins["notable_rise"]:
        finding = voice.pick(
            "notable-rise",
            (
                "Against {baseline_phrase}, the week's median is {change} bpm higher, with "
                "{above_days} of {days} days at least {rise} bpm above it: a sustained rise of "
                "the size wearable studies treat as notable.",
                "The median sits {change} bpm above {baseline_phrase}; {above_days} of {days} "
                "days were {rise} bpm or more above, a sustained rise that counts as notable.",
                "Compared with {baseline_phrase}, resting heart rate rose by {change} bpm, "
                "{rise} bpm or more on {above_days} of {days} days: a notable, sustained rise.",
            ),
            **values,
        )
        meaning = voice.pick(
            "notable-meaning",
            (
                "A rise like this can accompany an infection, short or poor sleep, stress, "
                "alcohol or heavy training; it is a cue to look at those, not a diagnosis.",
                "Such a shift often goes with illness, poor sleep, stress, alcohol or a hard "
                "training block; it is not a diagnosis, and how the person feels matters.",
                "Illness, sleep loss, stress, alcohol and training load are common causes; the "
                "finding calls for attention to symptoms rather than a conclusion.",
            ),
            **values,
        )
        return sentences(finding, meaning)
    if change == 0:
        return voice.pick(
            "no-change",
            (
                "The week's median equals {baseline_phrase}: no change.",
                "Resting heart rate matches {baseline_phrase} exactly, no notable change.",
            ),
            **values,
        )
    if change > 0:
        return voice.pick(
            "no-rise",
            (
                "Against {baseline_phrase}, the week's median is {change} bpm higher, below the "
                "{rise} bpm that would mark a notable rise.",
                "The median is {change} bpm above {baseline_phrase}: no notable change (a rise "
                "of about {rise} bpm would be).",
                "Compared with {baseline_phrase}, resting heart rate is up {change} bpm, short of "
                "a notable {rise} bpm rise.",
                "Relative to {baseline_phrase}, the week runs {change} bpm higher, short of the "
                "sustained {rise} bpm rise studies treat as notable.",
            ),
            **values,
        )
    return voice.pick(
        "lower",
        (
            "Against {baseline_phrase}, the week's median is {change} bpm lower; a lower resting "
            "rate is no cause for concern by itself.",
            "The median is {change} bpm below {baseline_phrase}, no notable rise.",
            "Compared with {baseline_phrase}, resting heart rate is down {change} bpm; a lower "
            "resting rate can go with good recovery or rising fitness.",
        ),
        **values,
    )


def _week_limit(voice: Voice, ins: Insights, v: dict[str, str]) -> str | None:
    if ins["change_from_baseline_bpm"] is None:
        return None
    return voice.pick(
        "limit",
        (
            "Single days vary; the weekly median against the baseline is the figure to follow.",
            "One day above the baseline is not a change; the week's median is what counts.",
            "The daily values move with sleep, meals and activity, so the median carries the "
            "signal.",
            "The coming weeks will show whether this level holds.",
        ),
        **v,
    )


def _clinician_summary(ins: Insights, key: str) -> str:
    voice = Voice(key, ExampleKind.SUMMARY.value)
    v = _values(ins)
    return paragraphs(
        sentences(_overview(voice, ins, v), clock_sentence(ins["clock"])),
        sentences(_baseline_finding(voice, ins, v), _week_limit(voice, ins, v)),
    )


def _note(ins: Insights, key: str) -> str:
    voice = Voice(key, ExampleKind.NOTE.value)
    v = _values(ins)
    if ins["median_resting_bpm"] is None:
        opening = voice.pick(
            "note-empty",
            (
                "Your device didn't record enough this week ({first} to {last}) for any resting "
                "heart rate.",
                "This week ({first} to {last}) there wasn't enough data on any day for a resting "
                "heart rate.",
            ),
            **v,
        )
    elif ins["days_with_resting"] == 1:
        opening = voice.pick(
            "note-opening-one",
            (
                "Only {lowest_day} had enough data this week for a resting heart rate: {median} "
                "bpm ({days} of {week_days} days).",
                "This week just {days} of {week_days} days gave a resting heart rate, {median} bpm "
                "on {lowest_day}.",
                "Your device caught enough for a resting value on {lowest_day} only: {median} bpm.",
            ),
            **v,
        )
    else:
        opening = voice.pick(
            "note-opening",
            (
                "This week your resting heart rate was typically around {median} bpm, based on "
                "{days} of {week_days} days.",
                "Your typical resting heart rate this week ({first} to {last}) was {median} bpm, "
                "from {days} days with enough data.",
                "Across {days} days this week, your resting heart rate centred on {median} bpm.",
                "Your resting heart rate this week sat around {median} bpm ({days} of "
                "{week_days} days measured).",
                "Week of {first}: your resting heart rate was about {median} bpm on a typical "
                "day ({days} days of data).",
            ),
            **v,
        )
    base = ins["baseline"]
    change = ins["change_from_baseline_bpm"]
    if base["median_bpm"] is None and base["days_with_resting"] == 0:
        middle = voice.pick(
            "note-no-history",
            (
                "I can't compare it with your usual level yet: that takes {base_need} days of "
                "data in the {period} days before this week, and there aren't any yet.",
                "There's no history before this week yet, so no personal baseline to compare "
                "with; it takes {base_need} days.",
                "Your personal baseline starts building now; it needs {base_need} days with data.",
            ),
            **v,
        )
    elif base["median_bpm"] is None:
        middle = voice.pick(
            "note-no-baseline",
            (
                "I can't compare it with your usual level yet: that takes {base_need} days of "
                "data in the {period} days before, and there are {base_days}.",
                "There isn't enough history for your personal baseline yet ({base_days} of "
                "{base_need} days), so no comparison for now.",
                "Your personal baseline is still building: {base_days} of the {base_need} days "
                "it needs.",
                "Once {base_need} days of the past {period} have data (you have {base_days}), I'll "
                "be able to tell you how this compares with your usual level.",
            ),
            **v,
        )
    elif change is None:
        middle = voice.pick(
            "note-thin",
            (
                "Your usual level is {base} bpm, but this week had only {days} days with data, "
                "too few to compare ({min_days} needed).",
                "With just {days} days of data I won't compare this week against your usual "
                "{base} bpm; {min_days} days make a fair comparison.",
            ),
            **v,
        )
    elif ins["notable_rise"]:
        middle = voice.pick(
            "note-rise",
            (
                "That's {change} bpm above your usual {base} bpm, and it held on {above_days} "
                "days. A rise like that often means your body is dealing with something: a cold "
                "coming on, short sleep, stress, alcohol or hard training. Take it easy and "
                "check how you feel; if you're unwell or it persists, talk to your doctor.",
                "Your resting rate is up {change} bpm on your usual {base} bpm, on {above_days} "
                "days this week. That kind of sustained rise can come with illness, poor sleep, "
                "stress or heavy training, so it's worth easing off and watching for symptoms.",
                "Compared with your normal {base} bpm, you're running {change} bpm higher, and "
                "not just on one day ({above_days} days). Your body may be under strain: sleep, "
                "stress, alcohol, training or an oncoming illness are the usual suspects.",
            ),
            **v,
        )
    elif change == 0:
        middle = voice.pick(
            "note-same",
            (
                "That's exactly your usual level of {base} bpm.",
                "It matches your usual {base} bpm to the decimal: steady.",
            ),
            **v,
        )
    elif change > 0:
        middle = voice.pick(
            "note-steady",
            (
                "That's {change} bpm above your usual {base} bpm, well within normal ups and "
                "downs.",
                "Compared with your usual {base} bpm, that's only {change} bpm higher: steady.",
                "Your usual level is {base} bpm, so this week is about the same ({change} bpm up).",
                "Nothing has shifted: you're {change} bpm off your usual {base} bpm.",
            ),
            **v,
        )
    else:
        middle = voice.pick(
            "note-lower",
            (
                "That's {change} bpm below your usual {base} bpm, which can reflect good recovery.",
                "You're {change} bpm under your usual {base} bpm this week, nice and relaxed.",
                "Compared with your usual {base} bpm, your resting rate dropped {change} bpm.",
            ),
            **v,
        )
    return sentences(opening, middle, clock_sentence(ins["clock"]))


QUESTION_CHANGE = (
    "Has my resting heart rate gone up this week?",
    "Is my resting heart rate higher than usual in the week of {first}?",
    "How does this week's resting heart rate compare with my normal?",
    "Is my resting heart rate elevated compared with my baseline?",
    "Did my resting heart rate change in the week of {first}?",
    "Am I running a higher resting heart rate than usual this week?",
    "Is there a rise in my resting heart rate from {first} to {last}?",
    "How far is this week's resting heart rate from my usual level?",
)
QUESTION_TYPICAL = (
    "What was my typical resting heart rate this week?",
    "What was my median resting heart rate in the week of {first}?",
    "Where did my resting heart rate sit from {first} to {last}?",
    "Give me my resting heart rate for the week of {first}.",
    "What resting heart rate did I average this week?",
    "How was my resting heart rate across the week?",
    "Summarise my resting heart rate for {first} to {last}.",
    "What was a normal day's resting heart rate for me this week?",
)
QUESTION_EXTREMES = (
    "Which day this week had my lowest resting heart rate?",
    "On which day was my resting heart rate highest in the week of {first}?",
    "How much did my resting heart rate vary from day to day this week?",
    "What were my highest and lowest resting heart rates from {first} to {last}?",
    "Which days stood out for resting heart rate this week?",
    "When was my resting heart rate at its lowest and highest this week?",
    "How wide was the spread of my daily resting heart rate in the week of {first}?",
    "Did any day this week have an unusual resting heart rate?",
)


def _answer_change(voice: Voice, ins: Insights, v: dict[str, str]) -> str:
    return sentences(_baseline_finding(voice, ins, v), _answer_change_tail(voice, ins, v))


def _answer_change_tail(voice: Voice, ins: Insights, v: dict[str, str]) -> str | None:
    if ins["baseline"]["median_bpm"] is None:
        return voice.pick(
            "change-tail-none",
            (
                "Keep wearing your device and the comparison will come.",
                "A few more weeks of data will make it possible.",
                "It will be possible once more days have data.",
                "Until then, single weeks can't show a change.",
            ),
            **v,
        )
    if ins["change_from_baseline_bpm"] is None:
        return None
    return voice.pick(
        "change-tail",
        (
            "One day is not a change; this is the week's median.",
            "This compares the week's median, not single days.",
            "The comparison uses the median of the week, so a single odd day doesn't sway it.",
            "It's the typical day of the week against your usual level.",
        ),
        **v,
    )


def _answer_typical(voice: Voice, ins: Insights, v: dict[str, str]) -> str:
    first = _overview(voice, ins, v)
    if ins["median_resting_bpm"] is None:
        return sentences(first, _answer_change_tail(voice, ins, v))
    if ins["days_with_resting"] < 3:
        return sentences(
            first,
            voice.pick(
                "typical-tail-few",
                (
                    "With so few days, that says little about a typical week.",
                    "More days with data would make this a fairer picture of your week.",
                    "That rests on very few days, so treat it as a rough guide.",
                ),
                **v,
            ),
        )
    tail = voice.pick(
        "typical-tail",
        (
            "The median keeps one unusual day from skewing the picture.",
            "Using the median means a single odd day doesn't move it much.",
            "That's the middle value of the week's days.",
            "Half the days were at or below that value.",
        ),
        **v,
    )
    return sentences(first, tail)


def _answer_extremes(voice: Voice, ins: Insights, v: dict[str, str]) -> str:
    if ins["median_resting_bpm"] is None:
        return _overview(voice, ins, v)
    days = [d for d in ins["daily"] if d["resting_bpm"] is not None]
    listing = listed([f"{d['weekday']} {bpm(d['resting_bpm'])}" for d in days])
    first = voice.pick(
        "extremes",
        (
            "Lowest was {lowest_day} at {lowest} bpm and highest {highest_day} at {highest} bpm.",
            "{lowest_day} had the lowest resting heart rate ({lowest} bpm), {highest_day} the "
            "highest ({highest} bpm).",
            "Your resting rate ranged from {lowest} bpm on {lowest_day} to {highest} bpm on "
            "{highest_day}.",
            "The calmest day was {lowest_day} ({lowest} bpm); the highest resting value came on "
            "{highest_day} ({highest} bpm).",
        ),
        **v,
    )
    second = voice.pick(
        "extremes-list",
        (
            "Day by day, in bpm: {listing}.",
            "The daily values were {listing} (bpm).",
            "All days with a value, in bpm: {listing}.",
        ),
        listing=listing,
    )
    return sentences(first, second)


def _questions(ins: Insights, key: str) -> list[ExampleText]:
    v = _values(ins)
    chosen: list[tuple[str, Sequence[str], Any]] = [("change", QUESTION_CHANGE, _answer_change)]
    if ins["median_resting_bpm"] is not None:
        chosen.append(("typical", QUESTION_TYPICAL, _answer_typical))
    if ins["days_with_resting"] >= 2:
        chosen.append(("extremes", QUESTION_EXTREMES, _answer_extremes))
    examples = []
    for label, phrasings, answer in chosen:
        voice = Voice(key, f"{ExampleKind.QUESTION.value}:{label}")
        question = voice.pick("question", phrasings, **v)
        examples.append(ExampleText(ExampleKind.QUESTION, answer(voice, ins, v), question=question))
    return examples


def _comparison(ins: Insights, key: str) -> ExampleText | None:
    change = ins["change_from_previous_week_bpm"]
    if change is None:
        return None
    previous = ins["previous_week"]
    voice = Voice(key, ExampleKind.COMPARISON.value)
    v = _values(ins) | {
        "prev": bpm(previous["median_resting_bpm"]),
        "prev_days": str(previous["days_with_resting"]),
        "prev_first": previous["first_day"],
        "diff": show(abs(change)),
    }
    if change > 0:
        direction = voice.pick(
            "up", ("{diff} bpm higher", "up {diff} bpm", "a rise of {diff} bpm"), **v
        )
    elif change < 0:
        direction = voice.pick(
            "down", ("{diff} bpm lower", "down {diff} bpm", "a fall of {diff} bpm"), **v
        )
    else:
        direction = voice.pick("same", ("unchanged", "the same median", "no change"), **v)
    first = voice.pick(
        "comparison",
        (
            "The median resting heart rate was {median} bpm in the week of {first} ({days} days) "
            "against {prev} bpm in the week of {prev_first} ({prev_days} days): {direction}.",
            "From the week of {prev_first} to the week of {first}, the median resting rate went "
            "from {prev} to {median} bpm, {direction}.",
            "This week's median of {median} bpm ({days} days) compares with {prev} bpm the week "
            "before ({prev_days} days), {direction}.",
            "Week of {first}: {median} bpm; week of {prev_first}: {prev} bpm. That is {direction}.",
        ),
        **v,
        direction=direction,
    )
    rise = ins["rules"]["notable_rise_bpm"]
    if change >= rise:
        meaning = voice.pick(
            "comparison-big",
            (
                "A week-on-week rise of this size is worth watching; whether it is notable "
                "depends on the personal baseline, not on one week.",
                "That is a large step for one week; the baseline comparison shows whether it "
                "holds against the longer run.",
            ),
            **v,
        )
    else:
        meaning = voice.pick(
            "comparison-small",
            (
                "Week-to-week differences under {rise} bpm are ordinary variation.",
                "A shift this small between weeks is within normal variation.",
                "This is well short of the {rise} bpm rise that would be notable.",
                "Nothing here suggests a sustained change.",
            ),
            **v,
        )
    return ExampleText(ExampleKind.COMPARISON, sentences(first, meaning))


def week_examples(ins: Insights, key: str) -> list[ExampleText]:
    examples = [
        ExampleText(ExampleKind.SUMMARY, _clinician_summary(ins, key)),
        ExampleText(ExampleKind.NOTE, _note(ins, key)),
        *_questions(ins, key),
    ]
    comparison = _comparison(ins, key)
    if comparison is not None:
        examples.append(comparison)
    return examples
