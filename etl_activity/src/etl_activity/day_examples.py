"""The training examples of one local day: a clinician's summary, a note to the person and
focused questions, each built only from the day's rounded insights."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from etl_activity.measures import STEPS, Measure
from etl_activity.wording import (
    Say,
    amount,
    fetch_moment,
    join,
    long_date,
    weekday_date,
)
from etl_core import ExampleKind, ExampleText
from etl_core.contract.windows import ClockSource

_CLOCK_PHRASES = {
    ClockSource.INFERRED: "taken from the person's other devices' records",
    ClockSource.CONFIGURED: "from the time zone set for the person",
    ClockSource.UTC: "read as UTC because no offset was known",
}


def clock_sentence(say: Say, insights: Mapping[str, Any]) -> str | None:
    """Where local times came from, said only when it was not the records' own offsets."""
    source = insights["clock"]
    if source == ClockSource.RECORD_OFFSETS:
        return None
    phrase = _CLOCK_PHRASES.get(ClockSource(source), str(source))
    offset = insights["local_offset"] or "UTC"
    return say(
        "clock",
        (
            "Times are local ({offset}), {phrase}.",
            "Local times here ({offset}) are {phrase}.",
            "The day boundaries use {offset}, {phrase}.",
            "Clock: {offset}, {phrase}.",
        ),
        offset=offset,
        phrase=phrase,
    )


def group_phrase(step_range: Mapping[str, Any]) -> str:
    return f"adults {step_range['age_group']}"


def span_of(step_range: Mapping[str, Any]) -> str:
    return f"{step_range['low']:,}-{step_range['high']:,}"


def total_phrase(measure: Measure, value: float) -> str:
    if measure is STEPS:
        return amount(measure, value)
    return f"{amount(measure, value)} of active energy"


def others_list(measure: Measure, others: Sequence[Mapping[str, Any]]) -> str:
    return join(
        [f"{other['source_name']} ({amount(measure, other[measure.unit])})" for other in others]
    )


# -- clinician summary ----------------------------------------------------------------------


def _range_sentence(say: Say, insights: Mapping[str, Any]) -> str | None:
    if insights["partial"]:
        return None
    step_range = insights["step_range"]
    if step_range is None:
        return say(
            "day_no_age",
            (
                "No age is recorded, so the day cannot be placed against a personal step range.",
                "Without the person's age, no personal step range applies.",
                "The age-based step range cannot be chosen because the age is unknown.",
                "As the age is not known, the total is not compared with a step range.",
                "The step range depends on age, which is not recorded, so none is applied.",
            ),
        )
    fields = {"range": span_of(step_range), "group": group_phrase(step_range)}
    options = {
        "below": (
            "That is below {range} steps a day, where the mortality benefit of walking levels "
            "off for {group}.",
            "It falls short of {range}, the range where the benefit of daily steps levels off "
            "for {group}.",
            "For {group} the benefit of daily steps levels off at {range}; this day was below it.",
            "Below the age-based range of {range} steps a day ({group}).",
        ),
        "within": (
            "That is within {range}, the range where the mortality benefit of daily steps "
            "levels off for {group}.",
            "It lies in the {range} range at which the benefit of walking levels off for {group}.",
            "Within the age-based range of {range} steps a day ({group}).",
            "For {group} the benefit levels off at {range} steps a day, and this day was "
            "inside that range.",
        ),
        "above": (
            "That is above {range}, the range at which the benefit of daily steps levels off "
            "for {group}.",
            "It exceeds the {range} range where the mortality benefit levels off for {group}.",
            "Above the age-based range of {range} steps a day ({group}), where the benefit has "
            "already levelled off.",
            "For {group} the benefit levels off at {range} steps a day; this day went beyond it.",
        ),
    }[insights["range_position"]]
    return say("day_range_" + insights["range_position"], options, **fields)


def _sources_sentence(say: Say, measure: Measure, insights: Mapping[str, Any]) -> str | None:
    others = insights["other_sources"]
    if not others:
        return say(
            "day_single_source",
            (
                "{source} was the only app reporting the day.",
                "No other app reported it.",
                "It is the only total for the day.",
                "Only {source} reported the day.",
                "A single app covered the day.",
            ),
            source=insights["source_name"],
        )
    return say(
        "day_sources",
        (
            "{others} also reported the day; only one app's count is used, as both record the "
            "same activity.",
            "The day was also recorded by {others}; the totals were not added.",
            "{source} stands for the day; {others} describes the same activity and was not "
            "added to it.",
            "Counts from {others} were set aside rather than summed with {source}'s.",
            "{others} covered the same day too, but one app per day is used, never a sum.",
        ),
        others=others_list(measure, others),
        source=insights["source_name"],
    )


def _total_sentence(say: Say, measure: Measure, insights: Mapping[str, Any]) -> list[str]:
    fields = {
        "date": long_date(insights["date"]),
        "total": total_phrase(measure, insights[measure.unit]),
        "source": insights["source_name"],
        "at": fetch_moment(insights["fetched_at"], insights["date"]),
    }
    if not insights["partial"]:
        return [
            say(
                "day_total",
                (
                    "{date}: {total} from {source}, a complete day.",
                    "On {date} the day's total was {total}, recorded by {source}.",
                    "{source} recorded {total} for {date}, a complete day.",
                    "Complete day, {date}: {total} ({source}).",
                    "{date} ended with {total} according to {source}.",
                ),
                **fields,
            )
        ]
    return [
        say(
            "day_partial",
            (
                "{date} was still in progress when the data were fetched {at}: {total} so far "
                "from {source}.",
                "At the fetch {at}, {source} had {total} so far for {date}; the day was not over.",
                "{source} shows {total} for {date}, but only up to the fetch {at}, while the day "
                "was still running.",
                "Running total for {date}: {total} from {source}, fetched {at} while the day "
                "was in progress.",
            ),
            **fields,
        ),
        say(
            "day_partial_limit",
            (
                "It is a running total, not the day's total, so it is not judged.",
                "A day in progress is not a day's total and is not judged.",
                "Until the complete total arrives, this figure says nothing about the day as a "
                "whole.",
                "The complete total will replace it; until then it carries no judgement.",
            ),
        ),
    ]


def day_clinician_summary(measure: Measure, insights: Mapping[str, Any], say: Say) -> str:
    parts = _total_sentence(say, measure, insights)
    judgement = (
        _range_sentence(say, insights)
        if measure is STEPS
        else None
        if insights["partial"]
        else say(
            "day_energy_no_target",
            (
                "There is no consensus target for active energy, so it is reported without a "
                "judgement.",
                "Active energy has no agreed target; the figure stands on its own.",
                "No reference target exists for active energy, so none is applied.",
                "The figure is reported as it is: active energy has no consensus target.",
            ),
        )
    )
    sources = _sources_sentence(say, measure, insights)
    if judgement and sources:
        parts.append(_two(say, "day_summary_order", judgement, sources))
    else:
        parts.append(judgement or sources or "")
    parts.append(clock_sentence(say, insights) or "")
    return " ".join(part for part in parts if part)


# -- note to the person ---------------------------------------------------------------------


def _note_total(say: Say, measure: Measure, insights: Mapping[str, Any]) -> list[str]:
    fields = {
        "day": weekday_date(insights["date"]),
        "total": total_phrase(measure, insights[measure.unit]),
        "at": fetch_moment(insights["fetched_at"], insights["date"]),
    }
    if insights["partial"]:
        return [
            say(
                "note_partial",
                (
                    "When your data synced {at} on {day}, you were at {total}; the day wasn't "
                    "over yet, so this isn't your full count.",
                    "So far on {day}: {total}, as of the sync {at}. The rest of the day hadn't "
                    "happened yet.",
                    "Your count for {day} stood at {total} when your data were synced {at}; the "
                    "full day's total will replace it.",
                    "This is only part of {day}: {total} by the sync {at}.",
                ),
                **fields,
            )
        ]
    options = (
        (
            "You took {total} on {day}.",
            "{day}: {total} in total.",
            "Your step count for {day} came to {total}.",
            "On {day} you logged {total}.",
            "You finished {day} with {total}.",
        )
        if measure is STEPS
        else (
            "You burned {total} on {day}.",
            "{day}: {total} in total.",
            "Your activity on {day} used {total}.",
            "On {day} you logged {total}.",
            "You finished {day} with {total}.",
        )
    )
    return [say("note_total", options, **fields)]


def _note_range(say: Say, insights: Mapping[str, Any]) -> str | None:
    if insights["partial"]:
        return None
    step_range = insights["step_range"]
    if step_range is None:
        return say(
            "note_no_age",
            (
                "If you add your age, I can tell you which step range fits you.",
                "I don't know your age, so I can't say which step range applies to you.",
                "Add your age and I'll be able to put this against the right step range.",
                "Which step range suits you depends on your age, which I don't have yet.",
            ),
        )
    fields = {"range": span_of(step_range)}
    options = {
        "below": (
            "For people your age the health benefit of walking levels off around {range} "
            "steps a day, so there was room for more.",
            "That's under the {range} steps where the benefit levels off for your age group; "
            "some extra walking on days like this would help.",
            "The benefit of daily steps levels off at about {range} for your age, and this day "
            "was short of that range.",
            "You were below {range}, the range where walking pays off most for your age.",
        ),
        "within": (
            "That's inside the {range} range where the benefit levels off for your age group. "
            "Nice work.",
            "Right in the {range} range for your age, good going.",
            "That puts you within {range} steps, where most of the benefit for your age is "
            "already gained.",
            "You landed in the {range} range that suits your age.",
        ),
        "above": (
            "That's above the {range} steps where the benefit levels off for your age, so "
            "you're getting the most out of your walking.",
            "You went past {range}, the range where the benefit levels off for your age group.",
            "More than the {range} steps that matter most at your age: a very active day.",
            "That beats the {range} range for your age; beyond it the benefit holds steady.",
        ),
    }[insights["range_position"]]
    return say("note_range_" + insights["range_position"], options, **fields)


def _note_sources(say: Say, measure: Measure, insights: Mapping[str, Any]) -> str | None:
    others = insights["other_sources"]
    if not others:
        return say(
            "note_single_source",
            (
                "Only {source} tracked it.",
                "That number is from {source}.",
                "{source} was the one app counting.",
                "Your {source} data is the only source here.",
                "It comes from {source} alone.",
            ),
            source=insights["source_name"],
        )
    return say(
        "note_sources",
        (
            "{names} counted the day too; I use one app's count rather than adding them, since "
            "they track the same {noun}.",
            "{names} logged the day as well, but adding them would count the same {noun} "
            "twice, so only {source} is used.",
            "Your other app ({names}) saw the same day; I stick to {source} for it.",
            "Only {source}'s number is used here: {names} measured the same {noun}.",
        ),
        names=join([other["source_name"] for other in others]),
        source=insights["source_name"],
        noun="steps" if measure is STEPS else "activity",
    )


def day_personal_note(measure: Measure, insights: Mapping[str, Any], say: Say) -> str:
    parts = _note_total(say, measure, insights)
    if measure is STEPS:
        parts.append(_note_range(say, insights) or "")
    elif not insights["partial"]:
        parts.append(
            say(
                "note_energy",
                (
                    "There's no standard target for active energy, so take it as your number "
                    "for the day.",
                    "No official goal exists for active calories; it's simply how much your "
                    "activity used.",
                    "Active calories have no set target, so there's nothing to hit here.",
                    "Think of it as a record of the day rather than a score.",
                ),
            )
        )
    parts.append(_note_sources(say, measure, insights) or "")
    return " ".join(part for part in parts if part)


# -- questions ------------------------------------------------------------------------------

_TOTAL_QUESTIONS = {
    "steps": (
        "How many steps did I take on {day}?",
        "What was my step count on {day}?",
        "How many steps did I log on {day}?",
        "What's my step total for {day}?",
        "Can you tell me my steps for {day}?",
        "How many steps do I have for {day}?",
        "What did my step count come to on {day}?",
        "How much did I walk on {day}, in steps?",
    ),
    "kcal": (
        "How many active calories did I burn on {day}?",
        "What was my active energy on {day}?",
        "How much active energy did I use on {day}?",
        "What's my active calorie total for {day}?",
        "How many kcal of activity did I log on {day}?",
        "Can you tell me my active calories for {day}?",
        "What did my active energy come to on {day}?",
        "How much energy did I spend on activity on {day}?",
    ),
}
_COMPLETE_QUESTIONS = (
    "Is that my full count for {day}?",
    "Was {day} finished when this was recorded?",
    "Is the total for {day} final?",
    "Does this cover all of {day}?",
    "Is the figure for {day} complete?",
    "Has {day} been fully counted?",
    "Is this the whole day's total for {day}?",
    "Can I treat this as my final total for {day}?",
)
_RANGE_QUESTIONS = (
    "Did I reach the step range for my age on {day}?",
    "Was {day} within the step range for someone my age?",
    "Did I get into the step range for my age on {day}?",
    "Did {day} hit the daily step range that fits my age?",
    "Was I in my age group's step range on {day}?",
    "Were my steps on {day} in the range that suits my age?",
    "Did my steps on {day} reach the level where the benefit levels off?",
    "Was {day} a day inside my step range?",
)
_SOURCE_QUESTIONS = (
    "Why is only one app's count used for {day}?",
    "Two apps counted {day}; why aren't they added?",
    "Why not add up both apps for {day}?",
    "Which app's number counts for {day}, and why only one?",
    "My apps disagree about {day}; which one is used?",
    "Why does {day} show one app's total and not the sum?",
    "Shouldn't {day} combine the counts from all my apps?",
    "How are several apps' counts for {day} handled?",
)


def _two(say: Say, label: str, first: str, second: str) -> str:
    """Two sentences in an order chosen per window, so answers built alike still differ."""
    return say(label, ("{a} {b}", "{b} {a}"), a=first, b=second)


def _answer_total(say: Say, measure: Measure, insights: Mapping[str, Any]) -> str:
    fields = {
        "total": total_phrase(measure, insights[measure.unit]),
        "day": weekday_date(insights["date"]),
        "source": insights["source_name"],
        "at": fetch_moment(insights["fetched_at"], insights["date"]),
    }
    if insights["partial"]:
        return say(
            "answer_total_partial",
            (
                "{total} so far on {day}: the data were fetched {at}, while the day was still "
                "in progress, so this is not the day's total.",
                "As of the fetch {at}, {source} had {total} for {day}. The day was not over, "
                "so a complete total comes later.",
                "A running total of {total} from {source}, taken {at} before {day} ended.",
                "Only part of {day} is in: {total} by the fetch {at} ({source}).",
                "{source} showed {total} for {day} when the data were fetched {at}; the day "
                "was still running.",
            ),
            **fields,
        )
    first = say(
        "answer_total",
        (
            "The total for {day} is {total}, from {source}.",
            "{total} on {day}, as counted by {source}.",
            "{source} counted {total} for {day}.",
            "For {day}: {total} ({source}).",
            "Your {day} total was {total}, recorded by {source}.",
            "{day} came to {total} according to {source}.",
        ),
        **fields,
    )
    second = say(
        "answer_total_state",
        (
            "This is a complete day's total.",
            "The day was over when the data were fetched, so this is its full total.",
            "The whole day is covered.",
            "The day is complete.",
            "Nothing of the day was still running at the fetch.",
        ),
    )
    return _two(say, "answer_total_order", first, second)


def _answer_complete(say: Say, measure: Measure, insights: Mapping[str, Any]) -> str:
    fields = {
        "at": fetch_moment(insights["fetched_at"], insights["date"]),
        "day": weekday_date(insights["date"]),
        "total": total_phrase(measure, insights[measure.unit]),
        "source": insights["source_name"],
    }
    first = say(
        "answer_complete",
        (
            "No. The data were fetched {at}, before {day} ended, so {total} is a running total.",
            "Not yet: the export {at} caught {day} in progress ({total} so far).",
            "No, it is partial. {total} is what {source} had counted by the fetch {at}.",
            "No: {day} was still under way at the fetch {at}, with {total} counted.",
            "Not final. {source} reported {total} for {day} at the fetch {at}, before the day "
            "was over.",
        ),
        **fields,
    )
    second = say(
        "answer_complete_next",
        (
            "The complete figure comes with a later export.",
            "A later export will bring the whole day.",
            "Until the complete total arrives, it is not judged.",
            "The full day's total replaces it once it is exported.",
        ),
    )
    return f"{first} {second}"


def _answer_range(say: Say, measure: Measure, insights: Mapping[str, Any]) -> str:
    step_range = insights["step_range"]
    position = insights["range_position"]
    fields = {
        "total": amount(measure, insights[measure.unit]),
        "day": weekday_date(insights["date"]),
        "position": position,
        "range": span_of(step_range),
        "group": group_phrase(step_range),
    }
    verdict = say(
        "answer_range_" + position,
        {
            "below": (
                "No: {day} had {total}, below the range.",
                "Not on {day}; {total} is under the range.",
                "No. With {total}, {day} fell short.",
                "No, {day} stayed below the range, at {total}.",
            ),
            "within": (
                "Yes: {day} had {total}, inside the range.",
                "Yes, {total} on {day} is within the range.",
                "It did: {day} reached {total}, inside the range.",
                "Yes, {day} was in the range, at {total}.",
            ),
            "above": (
                "Yes, and beyond it: {day} had {total}.",
                "More than reached: {total} on {day} is above the range.",
                "Yes, {day} went past the range with {total}.",
                "Yes. At {total}, {day} was above the range.",
            ),
        }[position],
        **fields,
    )
    explain = say(
        "answer_range_explain",
        (
            "For {group} the mortality benefit of daily steps levels off at {range} a day.",
            "The range for {group} is {range} steps a day, where the benefit levels off.",
            "{range} steps a day is where the benefit of walking levels off for {group}.",
            "The range for {group}: {range} steps a day.",
        ),
        **fields,
    )
    return _two(say, "answer_range_order", verdict, explain)


def _answer_sources(say: Say, measure: Measure, insights: Mapping[str, Any]) -> str:
    fields = {
        "source": f"{insights['source_name']} ({amount(measure, insights[measure.unit])})",
        "others": others_list(measure, insights["other_sources"]),
        "day": weekday_date(insights["date"]),
    }
    first = say(
        "answer_sources",
        (
            "{source} and {others} both recorded {day}.",
            "On {day}, {source} and {others} each reported a total.",
            "Two apps counted {day}: {source} and {others}.",
            "{day} was seen by {source} as well as {others}.",
            "For {day} there are totals from {source} and {others}.",
        ),
        **fields,
    )
    second = say(
        "answer_sources_why",
        (
            "They count the same activity, so adding them would count it twice; one app stands "
            "for the day.",
            "Apps on a phone and on a wearable see the same movement, so only one total is "
            "used, never the sum.",
            "Summing them would double the same movement, so one app's total is kept.",
            "Both describe one day's activity; one total is used and the other is left aside.",
            "One source per day, as Health Connect itself does: the totals overlap, so they are "
            "not added.",
        ),
    )
    return f"{first} {second}"


def day_questions(measure: Measure, insights: Mapping[str, Any], say: Say) -> list[ExampleText]:
    day = weekday_date(insights["date"])
    pairs = [(_TOTAL_QUESTIONS[measure.unit], "q_total", _answer_total)]
    if insights["partial"]:
        pairs.append((_COMPLETE_QUESTIONS, "q_complete", _answer_complete))
    elif measure is STEPS and insights["range_position"] is not None:
        pairs.append((_RANGE_QUESTIONS, "q_range", _answer_range))
    if insights["other_sources"]:
        pairs.append((_SOURCE_QUESTIONS, "q_sources", _answer_sources))
    return [
        ExampleText(
            ExampleKind.QUESTION,
            answer(say, measure, insights),
            question=say(label, questions, day=day),
        )
        for questions, label, answer in pairs[:3]
    ]


def day_examples(measure: Measure, insights: Mapping[str, Any], key: str) -> list[ExampleText]:
    say = Say(key)
    return [
        ExampleText(ExampleKind.SUMMARY, day_clinician_summary(measure, insights, say)),
        ExampleText(ExampleKind.NOTE, day_personal_note(measure, insights, say)),
        *day_questions(measure, insights, say),
    ]
