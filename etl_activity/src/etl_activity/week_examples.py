"""The training examples of one ISO week: a clinician's summary, a note to the person,
focused questions and, when both weeks can be compared, a comparison with the previous week.
Built only from the week's rounded insights."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from etl_activity.day_examples import clock_sentence, group_phrase, span_of
from etl_activity.measures import STEPS, Measure
from etl_activity.wording import (
    Say,
    amount,
    fetch_moment,
    join,
    per_day,
    plural,
    span,
    weekday,
    weekday_date,
)
from etl_core import ExampleKind, ExampleText, choose

Insights = Mapping[str, Any]


def _week_span(insights: Insights) -> str:
    return span(insights["window"]["first_date"], insights["window"]["last_date"])


def _mean(measure: Measure, insights: Insights) -> int | None:
    value: int | None = insights[f"mean_daily_{measure.unit}"]
    return value


def _days(dates: Sequence[str]) -> str:
    return join([weekday(day) for day in dates])


def _all_sources(insights: Insights) -> list[str]:
    names = {entry["source_name"] for entry in insights["sources"]}
    names |= {other["source_name"] for day in insights["days"] for other in day["other_sources"]}
    return sorted(names)


# -- shared sentences -----------------------------------------------------------------------


def coverage_sentence(say: Say, insights: Insights) -> str:
    """Which days count, and what is missing."""
    complete = insights["complete_days"]
    total = insights["window"]["days"]
    fields: dict[str, object] = {"span": _week_span(insights), "complete": complete, "total": total}
    if complete == total:
        return say(
            "coverage_full",
            (
                "All {total} days of the week of {span} are complete.",
                "The week of {span} has a complete total for each of its {total} days.",
                "Every day of {span} was recorded in full.",
                "Complete data for all {total} days, {span}.",
                "The week ({span}) is fully covered: {complete} of {total} days complete.",
            ),
            **fields,
        )
    head = say(
        "coverage_head" if complete else "coverage_none",
        (
            "{complete} of the {total} days of the week of {span} are complete",
            "Only {complete} of {total} days ({span}) are complete",
            "The week of {span} has {complete} complete days out of {total}",
            "For {span}, {complete} of {total} days are complete",
        )
        if complete
        else (
            "None of the {total} days of the week of {span} is complete",
            "No day of the week of {span} is complete yet",
            "The week of {span} has no complete day",
            "For {span}, not one of the {total} days is complete",
        ),
        complete,
        **fields,
    )
    gaps = []
    if insights["partial_dates"]:
        gaps.append(
            say(
                "gap_partial",
                (
                    "{days} {verb} still in progress when the data were fetched {at}",
                    "{days} had not ended at the fetch {at}",
                    "the fetch {at} caught {days} in progress",
                ),
                days=_days(insights["partial_dates"]),
                verb="was" if len(insights["partial_dates"]) == 1 else "were",
                at=fetch_moment(insights["fetched_at"]),
            )
        )
    if insights["missing_dates"]:
        one = len(insights["missing_dates"]) == 1
        gaps.append(
            say(
                "gap_missing",
                (
                    "{days} {have} no data",
                    "nothing was recorded for {days}",
                    "{days} {are} missing",
                ),
                days=_days(insights["missing_dates"]),
                have="has" if one else "have",
                are="is" if one else "are",
            )
        )
    if insights["not_reached_dates"]:
        gaps.append(
            say(
                "gap_not_reached",
                (
                    "{days} had not yet begun by the latest fetch",
                    "the week was still running, with {days} yet to come",
                    "{days} lay after the latest fetch",
                ),
                days=_days(insights["not_reached_dates"]),
            )
        )
    return head + ("; " + "; ".join(gaps) if gaps else "") + "."


def mean_sentence(say: Say, measure: Measure, insights: Insights) -> str:
    complete = insights["complete_days"]
    mean = _mean(measure, insights)
    needed = insights["min_complete_days"]
    if mean is None:
        return say(
            "mean_none",
            (
                "No day is complete yet, so there is no weekly mean.",
                "With no complete day there is no mean to report.",
                "A weekly mean needs complete days, and there are none yet.",
                "There is no mean: not one day of the week is complete.",
            ),
        )
    if complete == 1:
        (day,) = [day for day in insights["days"] if not day["partial"]]
        return say(
            "mean_one_day",
            (
                "The only complete day, {day}, had {total}; one day is not a weekly figure.",
                "A single complete day ({day}, {total}) cannot stand for the week.",
                "Only {day} is complete ({total}), far from the {needed} days a weekly figure "
                "needs.",
            ),
            day=weekday(day["date"]),
            total=amount(measure, day[measure.unit]),
            needed=needed,
        )
    fields = {"mean": per_day(measure, mean), "complete": complete, "needed": needed}
    if not insights["data_sufficient"]:
        return say(
            "mean_thin",
            (
                "The {complete} complete days averaged {mean}, but with fewer than {needed} "
                "complete days this is not a weekly figure.",
                "Over its {complete} complete days the week averaged {mean}; a weekly figure "
                "needs {needed}, so it is not judged or compared.",
                "The complete days so far ({complete}) average {mean}, short of the {needed} "
                "needed for a weekly figure.",
            ),
            **fields,
        )
    return say(
        "mean_full",
        (
            "Average {mean} over the {complete} complete days.",
            "The complete days averaged {mean}.",
            "Mean: {mean} across {complete} complete days.",
            "On the {complete} complete days the average was {mean}.",
            "Daily {noun} averaged {mean} over {complete} complete days.",
        ),
        noun="steps" if measure is STEPS else "active energy",
        **fields,
    )


def range_sentence(say: Say, insights: Insights) -> str | None:
    """Steps only: where the week stands against the age-based range."""
    step_range = insights["step_range"]
    complete = insights["complete_days"]
    if step_range is None:
        return say(
            "range_no_age",
            (
                "Age is not recorded, so no personal step range can be given.",
                "Without an age, the step range that applies (it differs under 60 and from "
                "60 on) cannot be chosen.",
                "No personal step range can be applied because the age is unknown.",
                "The age-based step range is not applied: the age is not known.",
            ),
        )
    if complete == 0:
        return None
    fields = {
        "range": span_of(step_range),
        "group": group_phrase(step_range),
        "within": insights["days_within_range"],
        "complete": complete,
    }
    days_part = say(
        "range_days",
        (
            "{within} of the {complete} complete days fell within the {range} steps a day "
            "where the mortality benefit levels off for {group}",
            "{within} of {complete} complete days were within the {range} range for {group}",
            "the {range} range for {group} held {within} of {complete} complete days",
        ),
        insights["days_within_range"],
        **fields,
    )
    above = insights["days_above_range"]
    if above:
        days_part += say(
            "range_days_above",
            (" ({above} above it)", ", with {above} above it", " and {above} beyond it"),
            above=above,
        )
    position = insights["mean_range_position"]
    if position is None:
        return days_part[0].upper() + days_part[1:] + "; the week is too thin to judge its mean."
    mean_part = say(
        "range_mean_" + position,
        {
            "below": (
                "The mean is below the range",
                "That mean falls short of the range",
                "On average the week stayed under the range",
            ),
            "within": (
                "The mean is within the range",
                "That mean sits inside the range",
                "On average the week was in the range",
            ),
            "above": (
                "The mean is above the range",
                "That mean is beyond the range",
                "On average the week went past the range",
            ),
        }[position],
    )
    return f"{days_part[0].upper()}{days_part[1:]}. {mean_part}."


def extremes_sentence(say: Say, measure: Measure, insights: Insights) -> str | None:
    high, low = insights["highest_day"], insights["lowest_day"]
    if high is None or low is None:
        return None
    return say(
        "extremes",
        (
            "The most active day was {high_day} ({high}), the least active {low_day} ({low}).",
            "Days ranged from {low} on {low_day} to {high} on {high_day}.",
            "Highest: {high_day}, {high}; lowest: {low_day}, {low}.",
            "{high_day} led with {high}; {low_day} was lowest at {low}.",
        ),
        high_day=weekday_date(high["date"]),
        low_day=weekday_date(low["date"]),
        high=amount(measure, high[measure.unit]),
        low=amount(measure, low[measure.unit]),
    )


def sources_sentence(say: Say, insights: Insights) -> str | None:
    several = insights["days_with_several_sources"]
    parts = []
    if several:
        parts.append(
            say(
                "sources_several",
                (
                    "More than one app ({apps}) reported on {days}; each day uses one app's "
                    "total, never their sum.",
                    "On {days} more than one app ({apps}) reported; one total stands for each day.",
                    "{apps} overlapped on {days}, and their totals were not added.",
                ),
                several,
                apps=join(_all_sources(insights)),
                days=plural(several, "day"),
            )
        )
    if insights["mixed_sources"]:
        used = join(
            [f"{e['source_name']} on {plural(e['days'], 'day')}" for e in insights["sources"]]
        )
        parts.append(
            say(
                "sources_mixed",
                (
                    "Different apps stand for different days ({used}), so part of the day-to-day "
                    "variation may come from the apps rather than from activity.",
                    "The day totals come from {used}; apps count differently, so some of the "
                    "spread between days may be the apps'.",
                    "Because the totals mix apps ({used}), differences between days are partly "
                    "differences between devices.",
                ),
                used=used,
            )
        )
    return " ".join(parts) or None


# -- clinician summary ----------------------------------------------------------------------


def _comparison_brief(say: Say, measure: Measure, insights: Insights) -> str | None:
    previous = insights["previous_week"]
    if previous is None:
        return None
    change = insights["change"]
    if change is None:
        if previous["complete_days"] < insights["min_complete_days"]:
            return say(
                "brief_prev_thin",
                (
                    "The previous week had only {prev} complete days, so the two are not compared.",
                    "No comparison with the previous week, which has {prev} complete days.",
                    "The week before is too thin to compare ({prev} complete days).",
                ),
                prev=previous["complete_days"],
            )
        return say(
            "brief_this_thin",
            (
                "It is not compared with the previous week until it has {needed} complete days.",
                "A comparison with the previous week waits for {needed} complete days.",
                "Too few complete days to compare with the week before.",
            ),
            needed=insights["min_complete_days"],
        )
    return change_sentence(say, measure, insights)


def change_sentence(say: Say, measure: Measure, insights: Insights) -> str:
    change = insights["change"]
    previous = insights["previous_week"]
    prev_mean = per_day(measure, previous[f"mean_daily_{measure.unit}"])
    if change["direction"] == "unchanged":
        return say(
            "change_same",
            (
                "The mean equals the previous week's ({prev}).",
                "That is the same mean as the week before ({prev}).",
                "No change from the previous week's {prev}.",
            ),
            prev=prev_mean,
        )
    more = {"higher": "more", "lower": "fewer" if measure is STEPS else "less"}[change["direction"]]
    percent = (
        ""
        if change["percent"] is None
        else (
            " (well under one percent)"
            if change["percent"] == 0
            else f" ({change['percent']}% {change['direction']})"
        )
    )
    return say(
        "change_" + change["direction"],
        (
            "Compared with the previous week ({prev}), that is {delta} a day {more}{percent}.",
            "That is {delta} a day {more} than the week before{percent}, when the mean was {prev}.",
            "Against the previous week's {prev}, the mean is {delta} {more}{percent}.",
            "The previous week averaged {prev}; this one is {delta} a day {more}{percent}.",
        ),
        prev=prev_mean,
        delta=amount(measure, change[measure.unit]),
        more=more,
        percent=percent,
    )


def week_clinician_summary(measure: Measure, insights: Insights, say: Say) -> str:
    parts: list[str | None] = [
        coverage_sentence(say, insights),
        mean_sentence(say, measure, insights),
    ]
    if measure is STEPS:
        parts.append(range_sentence(say, insights))
    elif insights["complete_days"]:
        parts.append(
            say(
                "energy_no_target",
                (
                    "Active energy has no consensus target, so no judgement is made.",
                    "There is no agreed target for active energy; the figures stand on their own.",
                    "No reference target exists for active energy.",
                ),
            )
        )
    parts.append(extremes_sentence(say, measure, insights))
    parts.append(sources_sentence(say, insights))
    parts.append(_comparison_brief(say, measure, insights))
    parts.append(clock_sentence(say, insights))
    return " ".join(part for part in parts if part)


# -- note to the person ---------------------------------------------------------------------


def _note_mean(say: Say, measure: Measure, insights: Insights) -> str:
    mean = _mean(measure, insights)
    complete, total = insights["complete_days"], insights["window"]["days"]
    if mean is None or not insights["data_sufficient"]:
        head = say(
            "note_thin" if complete else "note_none",
            (
                "I can't give you a weekly average yet: only {complete} of the {total} days are "
                "complete.",
                "Your week isn't complete enough for an average: {complete} of {total} days so "
                "far.",
                "With {complete} of {total} days in, it's too early for a weekly average.",
            )
            if complete
            else (
                "I can't give you a weekly average yet: none of the {total} days is complete.",
                "No full day has come in yet this week, so there's no average.",
                "It's too early for a weekly average: not one day is complete.",
            ),
            complete=complete,
            total=total,
        )
        if mean is not None and complete > 1:
            head += " " + say(
                "note_thin_mean",
                (
                    "Your complete days so far average {mean}.",
                    "So far the full days come to {mean} on average.",
                    "The days that are in average {mean}.",
                ),
                mean=per_day(measure, mean),
            )
        return head
    options = (
        (
            "You averaged {mean} this week.",
            "Across the {complete} full days this week you averaged {mean}.",
            "Your daily average this week: {mean}.",
            "This week you walked {mean} on average.",
            "Your {complete} complete days came to {mean} on average.",
        )
        if measure is STEPS
        else (
            "Your activity used {mean} on average this week.",
            "Across the {complete} full days this week you averaged {mean}.",
            "Your daily average of active energy this week: {mean}.",
            "This week you burned {mean} through activity on average.",
            "Your {complete} complete days came to {mean} on average.",
        )
    )
    return say("note_mean", options, mean=per_day(measure, mean), complete=complete)


def _note_range(say: Say, insights: Insights) -> str | None:
    step_range = insights["step_range"]
    if step_range is None:
        return say(
            "note_no_age",
            (
                "If you add your age, I can tell you which daily step range fits you.",
                "I don't know your age, so I can't say which step range applies to you.",
                "Add your age and I'll compare your week with the right step range.",
            ),
        )
    position = insights["mean_range_position"]
    if position is None:
        return None
    fields = {"range": span_of(step_range), "within": plural(insights["days_within_range"], "day")}
    return say(
        "note_range_" + position,
        {
            "below": (
                "For your age the health benefit of walking levels off around {range} steps a "
                "day; you were in that range on {within}, so there's room to build up "
                "gradually.",
                "That's below the {range} steps where the benefit levels off for your age. "
                "Adding a walk on quieter days would move you toward it.",
                "The range that matters for your age is {range} steps a day, and your average "
                "sits under it, with {within} inside.",
            ),
            "within": (
                "That's inside the {range} range where the benefit levels off for your age. "
                "Keep it up.",
                "On average you're within the {range} steps a day that suit your age, with "
                "{within} inside that range.",
                "You're in the {range} range for your age group, which is where most of the "
                "benefit is.",
            ),
            "above": (
                "That's above the {range} steps a day where the benefit levels off for your "
                "age, so you're already getting most of it.",
                "You're past the {range} range for your age; more is fine, the benefit simply "
                "levels off there.",
                "Above {range} steps a day on average: plenty for your age group.",
            ),
        }[position],
        **fields,
    )


def _note_best(say: Say, measure: Measure, insights: Insights) -> str | None:
    high = insights["highest_day"]
    if high is None:
        return None
    return say(
        "note_best",
        (
            "Your most active day was {day} with {total}.",
            "{day} was your best day: {total}.",
            "The high point was {day}, at {total}.",
            "You did the most on {day} ({total}).",
        ),
        day=weekday(high["date"]),
        total=amount(measure, high[measure.unit]),
    )


def _note_gaps(say: Say, insights: Insights) -> str | None:
    parts = []
    if insights["partial_dates"]:
        parts.append(
            say(
                "note_partial",
                (
                    "{days} {was} still going when your data synced, so {it} {isnt} counted yet.",
                    "{days} hadn't finished at the last sync and {is} left out for now.",
                    "I've left {days} out because {it} {was} still under way.",
                ),
                days=_days(insights["partial_dates"]),
                **_agreement(len(insights["partial_dates"])),
            )
        )
    if insights["missing_dates"]:
        parts.append(
            say(
                "note_missing",
                (
                    "There's no data for {days}.",
                    "Nothing came through for {days}.",
                    "{days} didn't sync any data.",
                ),
                days=_days(insights["missing_dates"]),
            )
        )
    return " ".join(parts) or None


def _agreement(count: int) -> dict[str, str]:
    if count == 1:
        return {"was": "was", "is": "is", "it": "it", "isnt": "isn't"}
    return {"was": "were", "is": "are", "it": "they", "isnt": "aren't"}


def _note_change(say: Say, measure: Measure, insights: Insights) -> str | None:
    change = insights["change"]
    if change is None:
        return None
    if change["direction"] == "unchanged":
        return say(
            "note_change_same",
            (
                "That's the same as last week.",
                "Exactly level with last week.",
                "No change from last week.",
            ),
        )
    more = {"higher": "more", "lower": "fewer" if measure is STEPS else "less"}[change["direction"]]
    return say(
        "note_change",
        (
            "That's {delta} a day {more} than last week.",
            "Compared with last week: {delta} a day {more}.",
            "Versus last week, you're {up} {delta} a day.",
        ),
        delta=amount(measure, change[measure.unit]),
        more=more,
        up="up" if change["direction"] == "higher" else "down",
    )


def week_personal_note(measure: Measure, insights: Insights, say: Say) -> str:
    parts: list[str | None] = [_note_mean(say, measure, insights)]
    if measure is STEPS:
        parts.append(_note_range(say, insights))
    parts.append(_note_best(say, measure, insights))
    parts.append(_note_change(say, measure, insights))
    parts.append(_note_gaps(say, insights))
    return " ".join(part for part in parts if part)


# -- comparison -----------------------------------------------------------------------------


def week_comparison(measure: Measure, insights: Insights, say: Say) -> str | None:
    """Only when both weeks have enough complete days."""
    if not insights["comparable"] or insights["change"] is None:
        return None
    previous = insights["previous_week"]
    mean = _mean(measure, insights)
    assert mean is not None  # comparable weeks have a mean
    head = say(
        "comparison_head",
        (
            "The week of {span} averaged {mean} over {complete} complete days; the week of "
            "{prev_span} averaged {prev} over {prev_complete}.",
            "This week ({span}): {mean} across {complete} complete days. Previous week "
            "({prev_span}): {prev} across {prev_complete}.",
            "Daily means: {mean} in the week of {span} ({complete} complete days) against "
            "{prev} in the week of {prev_span} ({prev_complete}).",
            "Comparing {span} with {prev_span}: {mean} against {prev}, from {complete} and "
            "{prev_complete} complete days.",
        ),
        span=_week_span(insights),
        prev_span=span(previous["first_date"], previous["last_date"]),
        mean=per_day(measure, mean),
        prev=per_day(measure, previous[f"mean_daily_{measure.unit}"]),
        complete=insights["complete_days"],
        prev_complete=previous["complete_days"],
    )
    parts = [head, _comparison_change(say, measure, insights)]
    if measure is STEPS and insights["mean_range_position"] is not None:
        parts.append(
            say(
                "comparison_range",
                (
                    "This week's mean is {position} the {range} range for {group}.",
                    "Against the {range} range for {group}, this week's mean is {position} it.",
                    "For {group} the benefit levels off at {range}; this week's mean is "
                    "{position} that range.",
                ),
                position=insights["mean_range_position"],
                range=span_of(insights["step_range"]),
                group=group_phrase(insights["step_range"]),
            )
        )
    if not insights["change"]["same_sources"]:
        parts.append(
            say(
                "comparison_sources",
                (
                    "The two weeks draw on different apps, so part of the difference may come "
                    "from the apps.",
                    "Different apps stand for days in the two weeks; some of the gap may be "
                    "theirs.",
                    "The app mix differs between the weeks, which can account for part of the "
                    "change.",
                ),
            )
        )
    parts.append(
        say(
            "comparison_limit",
            (
                "Two weeks make a comparison, not a trend.",
                "One week against another is not a trend.",
                "A single week-to-week change says nothing about a longer trend.",
                "This is one comparison between two weeks, not a trend.",
            ),
        )
    )
    return " ".join(parts)


def _comparison_change(say: Say, measure: Measure, insights: Insights) -> str:
    change = insights["change"]
    if change["direction"] == "unchanged":
        return say(
            "comparison_same",
            ("The means are the same.", "There is no difference.", "The two weeks are level."),
        )
    more = {"higher": "more", "lower": "fewer" if measure is STEPS else "less"}[change["direction"]]
    percent = change["percent"]
    return say(
        "comparison_" + change["direction"],
        (
            "That is {delta} a day {more}{pct}.",
            "The difference is {delta} a day, {direction}{pct}.",
            "This week is {direction} by {delta} a day{pct}.",
        ),
        delta=amount(measure, change[measure.unit]),
        more=more,
        direction=change["direction"],
        pct=(
            ""
            if percent is None
            else (" (well under one percent)" if percent == 0 else f" ({percent}%)")
        ),
    )


# -- questions ------------------------------------------------------------------------------

_QUESTIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "mean": {
        "steps": (
            "What was my average daily step count this week?",
            "How many steps did I average per day this week?",
            "What's my daily step average for the week?",
            "On average, how many steps a day did I take this week?",
            "How many steps a day did I walk this week, on average?",
            "What was my mean daily step count for the week?",
            "Can you give me my average steps per day for this week?",
            "How did my daily steps average out this week?",
        ),
        "kcal": (
            "How many active calories did I burn per day on average this week?",
            "What was my average daily active energy this week?",
            "What's my mean active energy per day for the week?",
            "On average, how much active energy did I use each day this week?",
            "How many kcal of activity did I average per day this week?",
            "Can you give me my average active calories per day for the week?",
            "How did my daily active energy average out this week?",
            "What was my typical daily active energy this week?",
        ),
    },
    "complete": {
        "any": (
            "Is this week's data complete?",
            "Are all days of this week counted?",
            "Which days of this week are missing or incomplete?",
            "Can I trust this week's numbers as a full week?",
            "Is anything missing from this week?",
            "How many days of this week are complete?",
            "Does this week have enough data for a weekly figure?",
            "Is the week fully recorded?",
        ),
    },
    "range": {
        "steps": (
            "On how many days did I reach the step range for my age?",
            "How many days this week was I within the step range for someone my age?",
            "How did my week compare with the step range for my age?",
            "Did I hit my age group's daily step range this week?",
            "How often was I inside my step range this week?",
            "Was my week within the daily step range for my age?",
            "How many days met the step range that fits my age?",
            "Where does this week sit against the step range for my age?",
        ),
    },
    "best": {
        "steps": (
            "Which day this week was my most active?",
            "What was my best day for steps this week?",
            "On which day did I walk the most this week?",
            "Which day had my highest step count?",
            "When did I take the most steps this week?",
            "What was my top step day this week?",
            "Which day stood out for steps this week?",
            "What was my most active day, and how many steps?",
        ),
        "kcal": (
            "Which day this week was my most active?",
            "On which day did I burn the most active energy this week?",
            "Which day had my highest active calories?",
            "When did I use the most active energy this week?",
            "What was my top day for active calories this week?",
            "Which day stood out for active energy?",
            "What was my most active day by active energy?",
            "Which day did I burn the most through activity?",
        ),
    },
    "change": {
        "steps": (
            "Did I walk more than last week?",
            "How does this week compare with last week?",
            "Am I taking more or fewer steps than last week?",
            "What changed in my daily steps since last week?",
            "Was this week more active than the one before?",
            "How do my steps compare with the previous week?",
            "Did my daily step average go up or down from last week?",
            "Is my step count higher than last week?",
        ),
        "kcal": (
            "Did I burn more active energy than last week?",
            "How does this week's active energy compare with last week?",
            "Am I using more or less active energy than last week?",
            "What changed in my active calories since last week?",
            "Was this week more active than the one before?",
            "How do my active calories compare with the previous week?",
            "Did my daily active energy go up or down from last week?",
            "Is my active energy higher than last week?",
        ),
    },
    "sources": {
        "any": (
            "Why aren't my apps' counts added together?",
            "My phone and my wearable both count; why only one number per day?",
            "Which app's numbers are used this week?",
            "How are several apps reporting the same day handled?",
            "Why don't you sum the counts from all my devices?",
            "Do the numbers combine my apps?",
            "Where do this week's daily totals come from?",
            "Are any days counted twice because of two apps?",
        ),
    },
}


def _question(say: Say, kind: str, measure: Measure) -> str:
    options = _QUESTIONS[kind]
    return say("q_" + kind, options.get(measure.unit) or options["any"])


def _answer_mean(say: Say, measure: Measure, insights: Insights) -> str:
    mean = _mean(measure, insights)
    if not insights["data_sufficient"] or mean is None:
        return mean_sentence(say, measure, insights)
    first = say(
        "a_mean",
        (
            "{mean} for the week of {span}, averaged over {complete} complete days.",
            "Over the {complete} complete days of {span}: {mean}.",
            "{mean} on average ({complete} complete days counted, {span}).",
            "The week of {span} averaged {mean} across {complete} complete days.",
            "Your average for {span} was {mean}, from {complete} complete days.",
        ),
        mean=per_day(measure, mean),
        complete=insights["complete_days"],
        span=_week_span(insights),
    )
    whole = insights["complete_days"] == insights["window"]["days"]
    second = say(
        "a_mean_days",
        (
            "Every day of the week is complete and counted.",
            "No day had to be left out.",
            "It uses the whole week.",
            "All of the week's days count toward it.",
        )
        if whole
        else (
            "Days without a complete total are left out.",
            "Only complete days count; the others are left out.",
            "The incomplete days do not count toward it.",
            "It leaves out the days that are not complete.",
        ),
    )
    return say("a_mean_order", ("{a} {b}", "{b} {a}"), a=first, b=second)


def _answer_complete(say: Say, measure: Measure, insights: Insights) -> str:
    parts = [coverage_sentence(say, insights)]
    if not insights["data_sufficient"]:
        parts.append(
            say(
                "a_complete_thin",
                (
                    "A weekly figure needs {needed} complete days, so this week does not have one "
                    "yet.",
                    "That is short of the {needed} complete days a weekly figure needs.",
                    "With fewer than {needed} complete days, no weekly figure is given.",
                ),
                needed=insights["min_complete_days"],
            )
        )
    else:
        parts.append(
            say(
                "a_complete_ok",
                (
                    "That is enough for a weekly figure ({needed} complete days are needed).",
                    "Enough days are complete for a weekly figure.",
                    "The complete days suffice for a weekly mean.",
                ),
                needed=insights["min_complete_days"],
            )
        )
    return " ".join(parts)


def _answer_range(say: Say, measure: Measure, insights: Insights) -> str:
    sentence = range_sentence(say, insights)
    return sentence or ""


def _answer_best(say: Say, measure: Measure, insights: Insights) -> str:
    sentence = extremes_sentence(say, measure, insights)
    return sentence or ""


def _answer_change(say: Say, measure: Measure, insights: Insights) -> str:
    limit = say(
        "a_change_limit",
        (
            "One week against another is not a trend.",
            "That is a comparison of two weeks, not a trend.",
            "A single change between weeks is not a trend.",
            "Two weeks are too few to speak of a trend.",
        ),
    )
    parts = [change_sentence(say, measure, insights), limit]
    if not insights["change"]["same_sources"]:
        parts.insert(
            1,
            say(
                "a_change_sources",
                (
                    "The two weeks rely on different apps, which can explain part of it.",
                    "Part of the difference may come from the apps, which differ between the "
                    "weeks.",
                    "Different apps stand for days in the two weeks.",
                ),
            ),
        )
    return " ".join(parts)


def _answer_sources(say: Say, measure: Measure, insights: Insights) -> str:
    used = join([f"{e['source_name']} on {plural(e['days'], 'day')}" for e in insights["sources"]])
    first = say(
        "a_sources",
        (
            "For {span}, one app's total per day: {used}.",
            "In the week of {span}, the day totals come from {used}.",
            "The week of {span} uses {used}.",
            "Day totals for {span}: {used}.",
            "Across {span}, one app per day: {used}.",
        ),
        used=used,
        span=_week_span(insights),
    )
    second = say(
        "a_sources_why",
        (
            "Apps count the same activity, so adding them would count it twice; each day uses "
            "one app's total.",
            "Where two apps reported a day, one was chosen and the other left aside, because "
            "both describe the same movement.",
            "Totals from several apps for one day are never summed: they overlap.",
            "One source per day, as Health Connect's own aggregation does, never a sum.",
            "The other app's total for the same day is shown but not added.",
        ),
    )
    return f"{first} {second}"


_Answer = Callable[[Say, Measure, Insights], str]
_ANSWERS: dict[str, _Answer] = {
    "mean": _answer_mean,
    "complete": _answer_complete,
    "range": _answer_range,
    "best": _answer_best,
    "change": _answer_change,
    "sources": _answer_sources,
}


def _question_kinds(measure: Measure, insights: Insights) -> list[str]:
    """The salient questions of the week, most salient first: up to three."""
    first = "complete" if insights["complete_days"] < insights["window"]["days"] else "mean"
    others = []
    if first != "mean":
        others.append("mean")
    if measure is STEPS and insights["step_range"] is not None and insights["complete_days"]:
        others.append("range")
    if insights["highest_day"] is not None:
        others.append("best")
    if insights["change"] is not None:
        others.append("change")
    if insights["days_with_several_sources"]:
        others.append("sources")
    rest = sorted(others, key=lambda kind: choose(range(1000), insights["window"]["key"], kind))
    return [first, *rest[:2]]


def week_questions(measure: Measure, insights: Insights, say: Say) -> list[ExampleText]:
    return [
        ExampleText(
            ExampleKind.QUESTION,
            _ANSWERS[kind](say, measure, insights),
            question=_question(say, kind, measure),
        )
        for kind in _question_kinds(measure, insights)
    ]


def week_examples(measure: Measure, insights: Insights, key: str) -> list[ExampleText]:
    say = Say(key)
    examples = [
        ExampleText(ExampleKind.SUMMARY, week_clinician_summary(measure, insights, say)),
        ExampleText(ExampleKind.NOTE, week_personal_note(measure, insights, say)),
        *week_questions(measure, insights, say),
    ]
    comparison = week_comparison(measure, insights, say)
    if comparison is not None:
        examples.append(ExampleText(ExampleKind.COMPARISON, comparison))
    return examples
