"""Clinician-readable text built only from the rounded insights, so every figure it states
is an insight value (checked by :func:`etl_core.contract.figures.unsupported_figures`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from etl_activity.measures import STEPS, Measure
from etl_activity.sources import app_name

DETAILED_DAYS = 7
"""Up to this many days are described one by one; longer windows are summarised."""

_DIRECTION_VERB = {"rising": "rises", "falling": "falls"}


def long_date(iso_date: str) -> str:
    day = date.fromisoformat(iso_date)
    return f"{day:%A} {day.day} {day:%B} {day.year}"


def _amount(measure: Measure, value: float) -> str:
    if measure is STEPS:
        return f"{int(value):,} steps"
    return f"{value:,.1f} kcal"


def _plural(count: int, singular: str, plural: str | None = None) -> str:
    return f"{count} {singular if count == 1 else (plural or singular + 's')}"


def _join(items: Sequence[str]) -> str:
    if len(items) <= 2:
        return " and ".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def _fetch_phrase(day_iso: str, fetched_at: str | None) -> str:
    if fetched_at is None:
        return "when the data was fetched"
    clock = fetched_at[11:16]
    if fetched_at[:10] == day_iso:
        return f"when the data was fetched at {clock}"
    return f"when the data was fetched on {long_date(fetched_at[:10])} at {clock}"


def _window(measure: Measure, insights: Mapping[str, Any]) -> str:
    label = "steps" if measure is STEPS else "active energy"
    count, complete = insights["day_count"], insights["complete_days"]
    partial = insights["partial_days"]
    zone = f"Local dates follow {insights['timezone']}."
    if count == 1:
        return f"This export holds one local day of {label}. {zone}"
    if partial == 0:
        state = "all complete"
    elif complete == 0:
        state = "none of them complete when the data was fetched"
    else:
        state = f"{complete} complete and {partial} still in progress when the data was fetched"
    return (
        f"This export holds {label} on {count} local days between "
        f"{long_date(insights['first_date'])} and {long_date(insights['last_date'])}, {state}. "
        f"{zone}"
    )


def _selection_reason(day: Mapping[str, Any]) -> str:
    reason = day["selected_by"]
    if reason == "coverage":
        return f"its records cover more of the day ({day['coverage_hours']:.1f} h)"
    if reason == "priority":
        return "it ranks higher in the configured source priority"
    return "the sources tie on coverage and priority and it comes first by package name"


def _sources_sentence(measure: Measure, day: Mapping[str, Any]) -> str:
    others: Sequence[Mapping[str, Any]] = day["other_sources"]
    if not others:
        return ""
    listed = "; ".join(
        f"{other['source_name']}, {_amount(measure, other[measure.unit])} over "
        f"{other['coverage_hours']:.1f} h of the day"
        for other in others
    )
    return (
        f" The same day was also reported by {listed}. {day['source_name']} was used because "
        f"{_selection_reason(day)}; the totals were not added, since they count the same "
        "activity."
    )


def _day_sentence(measure: Measure, day: Mapping[str, Any], insights: Mapping[str, Any]) -> str:
    head = f"{long_date(day['date'])}: {_amount(measure, day[measure.unit])}"
    if day["partial"]:
        text = (
            f"{head} so far from {day['source_name']}; the day was still in progress "
            f"{_fetch_phrase(day['date'], insights['fetched_at'])}, so this is a running total "
            "and is not judged as a low-activity day."
        )
    else:
        text = f"{head} from {day['source_name']}"
        if day.get("category") == "sedentary":
            below = insights["targets"]["sedentary_below_steps"]
            text += f", a sedentary day (fewer than {below:,} steps)"
        text += "."
    return text + _sources_sentence(measure, day)


def _overview(measure: Measure, insights: Mapping[str, Any]) -> str:
    counts = insights["days_by_source"]
    used = [f"{app_name(source)} ({_plural(days, 'day')})" for source, days in counts.items()]
    parts = [f"Day totals come from {_join(used)}."]
    several = insights["days_with_several_sources"]
    if several:
        parts.append(
            f"On {several} of the days more than one app reported; each of those days uses one "
            "app's total and lists the others in the insights, never adding them."
        )
    partial_dates = [long_date(day["date"]) for day in insights["days"] if day["partial"]]
    if partial_dates:
        parts.append(
            f"Still in progress when the data was fetched, and so not judged: "
            f"{', '.join(partial_dates)}."
        )
    if measure is STEPS and insights["highest_complete_day"] is not None:
        high, low = insights["highest_complete_day"], insights["lowest_complete_day"]
        parts.append(
            f"The most active complete day was {long_date(high['date'])} with "
            f"{high['steps']:,} steps and the least active {long_date(low['date'])} with "
            f"{low['steps']:,}."
        )
    return " ".join(parts)


def _mean_and_trend(measure: Measure, insights: Mapping[str, Any]) -> str:
    complete = insights["complete_days"]
    needed = insights["targets"]["min_complete_days_for_mean"]
    mean = insights[f"mean_daily_{measure.unit}"]
    if mean is None:
        if complete == 0:
            return (
                "No complete day is available, so no daily mean or trend is given "
                f"(both need at least {needed} complete days)."
            )
        return (
            f"Only {_plural(complete, 'complete day')} {'is' if complete == 1 else 'are'} "
            f"available, fewer than the {needed} needed for a daily mean or trend, so neither "
            "is given."
        )
    text = f"Over the {complete} complete days the mean was {_amount(measure, mean)} a day"
    if measure is STEPS:
        sedentary = insights["sedentary_days"]
        below = insights["targets"]["sedentary_below_steps"]
        if sedentary:
            text += (
                f"; {sedentary} of them {'was' if sedentary == 1 else 'were'} sedentary "
                f"(fewer than {below:,} steps)"
            )
        else:
            text += f"; none was sedentary (fewer than {below:,} steps)"
    text += "."
    trend = insights["trend"]
    if trend is not None:
        change = _amount(measure, trend[f"change_{measure.unit}"])
        percent = trend["change_percent_of_mean"]
        threshold = insights["targets"]["trend_threshold_percent"]
        if trend["direction"] in _DIRECTION_VERB:
            text += (
                f" A least-squares line through those days {_DIRECTION_VERB[trend['direction']]} "
                f"by {change} ({percent:.1f}% of the mean) from the first to the last day, so "
                f"the daily totals were {trend['direction']} over this window."
            )
        elif trend[f"change_{measure.unit}"] == 0:
            text += (
                " A least-squares line through those days is flat, so the daily totals were steady."
            )
        else:
            text += (
                f" A least-squares line through those days changes by only {change} "
                f"({percent:.1f}% of the mean), under the {threshold:g}% this report counts "
                "as a trend, so the daily totals were steady."
            )
        complete_sources = {day["source"] for day in insights["days"] if not day["partial"]}
        if len(complete_sources) > 1:
            text += (
                " Different apps stand for different days, so part of any day-to-day change may "
                "reflect the apps rather than activity."
            )
    return text


def _step_range(insights: Mapping[str, Any]) -> str:
    targets = insights["targets"]
    citation = targets["reference"]
    step_range = insights["step_range"]
    if step_range is None:
        young, old = targets["step_range_under_60"], targets["step_range_60_and_over"]
        age_cut = targets["range_age_threshold_years"]
        text = (
            "Age is not known, so the applicable step range cannot be chosen: the mortality "
            f"benefit of daily steps levels off around {young[0]:,}-{young[1]:,} a day under "
            f"{age_cut} and {old[0]:,}-{old[1]:,} at {age_cut} and over ({citation})."
        )
        if insights["mean_category"] == "sedentary":
            text += (
                f" The mean of {insights['mean_daily_steps']:,} steps is itself below the "
                f"sedentary level of {targets['sedentary_below_steps']:,}."
            )
        return text
    span = f"{step_range['low']:,}-{step_range['high']:,} steps a day"
    text = (
        f"At {insights['age_years']} years the reference range is {span}, where the mortality "
        f"benefit of daily steps levels off ({citation})."
    )
    mean, category = insights["mean_daily_steps"], insights["mean_category"]
    if mean is None:
        needed = targets["min_complete_days_for_mean"]
        return text + f" Without {needed} complete days the average cannot be compared with it."
    if category in ("sedentary", "below_range"):
        text += (
            f" The mean of {mean:,} steps is below that range; building up daily walking "
            "gradually toward it is a reasonable goal to discuss with a clinician."
        )
    elif category == "within_range":
        text += f" The mean of {mean:,} steps is within that range."
    else:
        text += (
            f" The mean of {mean:,} steps is above that range, beyond the level at which "
            "additional benefit levels off."
        )
    return text


_ENERGY_NOTE = (
    "Active energy is the apps' estimate of energy spent on activity beyond resting needs, in "
    "kilocalories; there is no consensus target for it, so it is reported without a judgement."
)


def activity_narrative(measure: Measure, insights: Mapping[str, Any]) -> str:
    if not insights["days"]:
        return "No usable interval with a value was found, so no daily total can be reported."
    parts = [_window(measure, insights)]
    if insights["day_count"] <= DETAILED_DAYS:
        parts.extend(_day_sentence(measure, day, insights) for day in insights["days"])
    else:
        parts.append(_overview(measure, insights))
    parts.append(_mean_and_trend(measure, insights))
    parts.append(_step_range(insights) if measure is STEPS else _ENERGY_NOTE)
    return " ".join(part for part in parts if part)
