"""Blood pressure by calendar window: each local day and each ISO week of a person's readings,
built from every distinct reading any export brought, as training examples.

Every figure an example states comes from its input, and every figure of the input is an
insight (core refuses a window otherwise): the input lists the insights as ``key: value``
lines, the outputs are written from the same insights."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from etl_core import (
    ClockSource,
    ExampleKind,
    ExampleText,
    ProcessResult,
    Window,
    choose,
)

from etl_bloodpressure.analysis import Analysis, analyse
from etl_bloodpressure.categories import CATEGORIES, CRISIS, LABELS, NORMAL
from etl_bloodpressure.narrative import narrative
from etl_bloodpressure.readings import readings_from_records
from etl_bloodpressure.window_rules import WINDOW_RULES as WINDOW_RULES

CRISIS_EVENT = "hypertensive_crisis_reading"


def window_insights(window: Window) -> tuple[dict[str, Any], Analysis] | None:
    """The window's insights (:func:`~etl_bloodpressure.analysis.analyse` over the readings
    whose local time falls inside it, plus what the window is), or ``None`` without readings."""
    inside = [
        record
        for record in window.records
        if window.contains(record.get("timeEpochMillis", 0), record.get("zoneOffsetId"))
    ]
    readings = readings_from_records(inside)
    if not readings:
        return None
    analysis = analyse(readings, window.user.timezone)
    insights = {
        "window": window.key,
        "first_day": window.first_day.isoformat(),
        "last_day": window.last_day.isoformat(),
        "clock": str(window.clock),
        **analysis.insights,
    }
    # Validation happens per file, before a record enters the history: a window only ever
    # holds valid readings, so "left out" has no meaning here.
    del insights["excluded_readings"]
    return insights, analysis


def window_input(insights: Mapping[str, Any], prefix: str = "") -> str:
    """The examples' input: one ``key: value`` line per insight (nested ones dotted)."""
    lines = []
    for key, value in insights.items():
        if isinstance(value, Mapping):
            lines.append(window_input(value, f"{prefix}{key}."))
        else:
            lines.append(f"{prefix}{key}: {'none' if value is None else value}")
    return "\n".join(line for line in lines if line)


def _period(insights: Mapping[str, Any]) -> str:
    if insights["first_day"] == insights["last_day"]:
        return f"On {insights['first_day']}"
    return f"In the week of {insights['first_day']} to {insights['last_day']}"


def _clock(insights: Mapping[str, Any]) -> str:
    """Which clock the times are in, when the readings did not all carry their own offset."""
    if insights["clock"] == str(ClockSource.RECORD_OFFSETS):
        return ""
    return f" Times are local: {insights['clock']}."


def clinician_summary(insights: Mapping[str, Any]) -> str:
    return f"{_period(insights)}: {narrative({**insights, 'excluded_readings': 0})}" + _clock(
        insights
    )


def personal_note(insights: Mapping[str, Any]) -> str:
    count = insights["readings"]
    noun = "reading" if count == 1 else "readings"
    opening = choose(
        ("Here is what your blood pressure showed.", "A look at your blood pressure.", ""),
        "bp-note",
        insights["window"],
        count,
    )
    sentences = [opening] if opening else []
    sentences.append(
        f"{_period(insights)} you took {count} {noun}; on average they were "
        f"{_number(insights['mean_systolic_mmhg'])} over "
        f"{_number(insights['mean_diastolic_mmhg'])}."
    )
    category = insights["average_category"]
    if category is not None:
        sentences.append(f"That average is in the {LABELS[category]} range.")
    else:
        sentences.append(
            "Blood pressure is judged from readings on at least two separate days, so this is "
            "not a category yet."
        )
    if insights["category_counts"][CRISIS]:
        sentences.append(
            "At least one reading was very high: measure again after a few minutes' rest and "
            "contact a doctor promptly if it stays that high."
        )
    elif any(insights["category_counts"][c] for c in CATEGORIES if c != NORMAL):
        sentences.append("Some readings were above the normal range; keep measuring regularly.")
    return " ".join(sentences) + _clock(insights)


def _number(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def window_result(window: Window) -> ProcessResult | None:
    found = window_insights(window)
    if found is None:
        return None
    insights, analysis = found
    return ProcessResult(
        narrative=clinician_summary(insights),
        insights=insights,
        summary=window_input(insights),
        events={CRISIS_EVENT: analysis.crisis_readings} if analysis.crisis_readings else {},
        data_start=analysis.start,
        data_end=analysis.end,
        examples=[
            ExampleText(ExampleKind.SUMMARY, clinician_summary(insights)),
            ExampleText(ExampleKind.NOTE, personal_note(insights)),
        ],
    )
