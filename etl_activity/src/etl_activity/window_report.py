"""One calendar window in, one :class:`~etl_core.ProcessResult` out: insights, the summary
(every example's input), the examples and the methods behind them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from etl_activity.day_examples import day_examples
from etl_activity.measures import STEPS, Measure
from etl_activity.metrics import PALUCH_REFERENCE
from etl_activity.source_rule import SourceRule
from etl_activity.week_examples import week_examples
from etl_activity.weekly import MIN_COMPLETE_DAYS
from etl_activity.window_insights import day_window_insights, week_window_insights
from etl_activity.window_rules import DAY_RULE_NAME, WEEK_RULE_NAME
from etl_activity.window_rules import WINDOW_RULES as WINDOW_RULES
from etl_activity.window_summary import day_summary, week_summary
from etl_core import ProcessResult, Window
from etl_core.contract.timeutil import readable_offset, resolve_tz

_CLINICAL = "clinical.md"


def methods(measure: Measure, rule_name: str, source_rule: SourceRule) -> dict[str, str]:
    """The definitions behind a window's insights, with their sources (``metadata.methods``)."""
    notes = {
        "local_day": (
            "Local calendar days, each record read in its own zone offset (else the person's "
            "zone); an interval crossing local midnight is split and its amount prorated by "
            f"overlap ({_CLINICAL}, Activity)."
        ),
        "one_source_per_day": (
            f"{source_rule.describe()}. Totals from several data origins for the same interval "
            f"are not summed ({_CLINICAL}, Activity); overlapping records of one app count "
            "once, at the highest rate."
        ),
        "partial_day": (
            "A day still in progress at fetch time is partial, not a complete day: its local "
            "end falls after the latest appRecordFetchTimeEpochMillis of the records touching "
            "it, or one of them ends after its own fetch time "
            f"({_CLINICAL}, Longitudinal windows: Steps)."
        ),
    }
    if measure is STEPS:
        notes["step_range"] = (
            f"{PALUCH_REFERENCE}: the mortality benefit of daily steps levels off at about "
            "6,000-8,000 a day at 60 and over and 8,000-10,000 under 60; applied to complete "
            "days only and only when the age is known; 10,000 is a convention, not a "
            f"threshold ({_CLINICAL}, Activity)."
        )
    else:
        notes["active_energy"] = (
            "Kilocalories from energyInKilocalories only; there is no consensus target for "
            f"active energy, so none is applied ({_CLINICAL}, Activity)."
        )
    if rule_name == WEEK_RULE_NAME:
        notes["weekly_mean"] = (
            "Mean of the complete days' totals only; a day in progress at fetch time is not a "
            f"day ({_CLINICAL}, Longitudinal windows: Steps)."
        )
        notes["data_sufficient"] = (
            f"At least {MIN_COMPLETE_DAYS} complete days of the 7; only then is the mean judged "
            "against the step range or compared with the previous ISO week, which needs as "
            f"many ({_CLINICAL}, Longitudinal windows: Steps)."
        )
        notes["change"] = (
            "This week's reported mean minus the previous week's, in whole units and as a "
            "whole percentage of the previous week's mean; a change between two weeks is not "
            "a trend."
        )
    return notes


def _data_span(window: Window) -> tuple[datetime | None, datetime | None]:
    """The part of the window its records cover, as aware local datetimes."""
    starts, ends = [], []
    for record in window.records:
        start, end = record.get("startTimeEpochMillis"), record.get("endTimeEpochMillis")
        if not (isinstance(start, int) and isinstance(end, int)):
            continue
        zone = resolve_tz(readable_offset(record.get("startZoneOffsetId")), window.user.timezone)
        first, last = window.bounds(zone)
        starts.append(max(datetime.fromtimestamp(start / 1000, tz=zone), first))
        ends.append(min(datetime.fromtimestamp(end / 1000, tz=zone), last))
    return (min(starts) if starts else None, max(ends) if ends else None)


def process_window(
    measure: Measure, window: Window, source_rule: SourceRule
) -> ProcessResult | None:
    """The result of one window of a rule in :data:`WINDOW_RULES`, or ``None`` for another
    rule or a window without any total on its days."""
    insights: Mapping[str, Any] | None
    if window.rule.name == DAY_RULE_NAME:
        insights = day_window_insights(measure, window, source_rule)
        if insights is None:
            return None
        summary = day_summary(measure, insights)
        examples = day_examples(measure, insights, window.key)
    elif window.rule.name == WEEK_RULE_NAME:
        insights = week_window_insights(measure, window, source_rule)
        if insights is None:
            return None
        summary = week_summary(measure, insights)
        examples = week_examples(measure, insights, window.key)
    else:
        return None
    data_start, data_end = _data_span(window)
    return ProcessResult(
        narrative=examples[0].output,
        insights=insights,
        summary=summary,
        examples=examples,
        methods=methods(measure, window.rule.name, source_rule),
        data_start=data_start,
        data_end=data_end,
    )
