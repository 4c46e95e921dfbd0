"""The input of a window's training examples: its findings as compact ``key: value`` lines,
built only from the rounded insights (so every figure is an insight value), holding every
figure any of the window's outputs states."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from etl_activity.measures import STEPS, Measure
from etl_core.contract.windows import ClockSource

LABELS = {"steps": "daily steps", "kcal": "daily active energy"}


def amount_text(measure: Measure, value: float) -> str:
    """``7,915 steps``, ``412.3 kcal``, ``412 kcal`` (means are whole)."""
    if isinstance(value, int):
        return f"{value:,} {measure.unit}"
    return f"{value:,.1f} {measure.unit}"


def clock_time(iso_moment: str) -> str:
    """``2025-06-12T07:30:00-05:00`` -> ``2025-06-12 07:30``."""
    return f"{iso_moment[:10]} {iso_moment[11:16]}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _age_line(insights: Mapping[str, Any]) -> str:
    step_range = insights["step_range"]
    if step_range is None:
        return "age: unknown; no personal step range"
    return (
        f"age: {insights['age_years']}; step range for this age: {step_range['low']:,}-"
        f"{step_range['high']:,} steps a day ({step_range['age_group']})"
    )


def _clock_line(insights: Mapping[str, Any]) -> str | None:
    if insights["clock"] == ClockSource.RECORD_OFFSETS:
        return None
    return f"local times: {insights['local_offset'] or 'UTC'}, {insights['clock']}"


def _others(measure: Measure, day: Mapping[str, Any]) -> str:
    others: Sequence[Mapping[str, Any]] = day["other_sources"]
    return "; ".join(
        f"{other['source_name']} {amount_text(measure, other[measure.unit])}" for other in others
    )


def _day_line(measure: Measure, day: Mapping[str, Any]) -> str:
    so_far = " so far" if day["partial"] else ""
    text = (
        f"- {day['date']} {day['weekday']}: {amount_text(measure, day[measure.unit])}{so_far}, "
        f"{day['source_name']}"
    )
    if day["other_sources"]:
        text += f" ({_others(measure, day)} also reported, not added)"
    if day["partial"]:
        text += ", in progress at fetch"
    elif day.get("range_position"):
        text += f", {day['range_position']} range"
    return text


def day_summary(measure: Measure, insights: Mapping[str, Any]) -> str:
    value = amount_text(measure, insights[measure.unit])
    lines = [
        f"record: {LABELS[measure.unit]} ({insights['record_type']}), local day "
        f"{insights['date']} ({insights['weekday']})",
    ]
    if insights["partial"]:
        fetched = insights["fetched_at"]
        lines.append(
            f"so far: {value} (day in progress when fetched at "
            f"{clock_time(fetched) if fetched else 'an unknown time'})"
        )
    else:
        lines.append(f"total: {value} (complete day)")
    lines.append(f"source used: {insights['source_name']}")
    if insights["other_sources"]:
        lines.append(f"also reported, not added: {_others(measure, insights)}")
    if measure is STEPS:
        lines.append(_age_line(insights))
        if insights["range_position"]:
            lines.append(f"day against range: {insights['range_position']}")
    if (clock := _clock_line(insights)) is not None:
        lines.append(clock)
    if insights["fetched_at"] and not insights["partial"]:
        lines.append(f"fetched: {clock_time(insights['fetched_at'])}")
    return "\n".join(lines)


def _dates(dates: Sequence[str]) -> str:
    return f" ({', '.join(dates)})" if dates else ""


def week_summary(measure: Measure, insights: Mapping[str, Any]) -> str:
    unit = measure.unit
    window = insights["window"]
    complete, needed = insights["complete_days"], insights["min_complete_days"]
    lines = [
        f"record: {LABELS[unit]} ({insights['record_type']}), ISO week {insights['iso_week']}, "
        f"{window['first_date']} to {window['last_date']} ({window['days']} days)",
    ]
    if measure is STEPS:
        lines.append(_age_line(insights))
    lines.append(
        f"complete days: {complete} of {window['days']}; in progress: "
        f"{insights['partial_days']}{_dates(insights['partial_dates'])}; without data: "
        f"{insights['days_without_data']}{_dates(insights['missing_dates'])}; not yet begun at "
        f"fetch: {insights['days_not_reached']}"
    )
    lines.append(
        f"weekly figure: {'sufficient' if insights['data_sufficient'] else 'not sufficient'} "
        f"(needs {needed} complete days)"
    )
    mean = insights[f"mean_daily_{unit}"]
    if mean is not None:
        lines.append(f"mean daily {unit} over complete days: {amount_text(measure, mean)}")
    if measure is STEPS and insights["days_within_range"] is not None and complete:
        lines.append(
            f"complete days against range: {insights['days_within_range']} within, "
            f"{insights['days_below_range']} below, {insights['days_above_range']} above"
        )
    if measure is STEPS and insights["mean_range_position"]:
        lines.append(f"mean against range: {insights['mean_range_position']}")
    for label, key in (("highest", "highest_day"), ("lowest", "lowest_day")):
        day = insights[key]
        if day is not None:
            lines.append(
                f"{label} complete day: {day['date']} ({day['weekday']}), "
                f"{amount_text(measure, day[unit])}"
            )
    lines.append("day totals:")
    lines.extend(_day_line(measure, day) for day in insights["days"])
    sources = ", ".join(
        f"{entry['source_name']} {_plural(entry['days'], 'day')}" for entry in insights["sources"]
    )
    several = insights["days_with_several_sources"]
    lines.append(
        f"sources of day totals: {sources}"
        + (f"; {_plural(several, 'day')} reported by more than one app" if several else "")
    )
    lines.extend(_previous_lines(measure, insights))
    if (clock := _clock_line(insights)) is not None:
        lines.append(clock)
    if insights["fetched_at"]:
        lines.append(f"latest fetch: {clock_time(insights['fetched_at'])}")
    return "\n".join(lines)


def _previous_lines(measure: Measure, insights: Mapping[str, Any]) -> list[str]:
    unit = measure.unit
    previous = insights["previous_week"]
    if previous is None:
        return ["previous week: no data"]
    mean = previous[f"mean_daily_{unit}"]
    head = (
        f"previous week {previous['first_date']} to {previous['last_date']}: "
        f"{previous['complete_days']} complete days"
    )
    if mean is not None:
        head += f", mean {amount_text(measure, mean)}"
    lines = [head]
    change = insights["change"]
    if change is None:
        lines.append(
            "change from previous week: not compared (each week needs "
            f"{insights['min_complete_days']} complete days)"
        )
    else:
        percent = "" if change["percent"] is None else f" ({change['percent']}%)"
        if change["direction"] == "unchanged":
            lines.append("change from previous week: none")
        else:
            lines.append(
                f"change from previous week: {amount_text(measure, change[unit])} a day "
                f"{change['direction']}{percent}"
            )
        if not change["same_sources"]:
            lines.append("sources differ between the two weeks")
    return lines
