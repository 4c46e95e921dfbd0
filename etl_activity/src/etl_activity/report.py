"""One batch of activity records in, one :class:`~etl_core.ProcessResult` out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from etl_activity.daily import daily_totals, intervals_from_records
from etl_activity.insights import activity_insights
from etl_activity.measures import STEPS, Measure
from etl_activity.narrative import activity_narrative
from etl_activity.source_rule import SourceRule
from etl_core import ProcessResult, UserContext
from etl_core.contract.timeutil import readable_offset


def _summary(measure: Measure, insights: Mapping[str, Any], record_type: str) -> str:
    """The training example's input: the data the narrative is drawn from, compactly."""
    sources = sorted(
        {day["source"] for day in insights["days"]}
        | {other["source"] for day in insights["days"] for other in day["other_sources"]}
    )
    age = insights.get("age_years")
    records = insights["records"]
    head = (
        f"{record_type}: {records} record{'' if records == 1 else 's'} from "
        f"{', '.join(sources) or 'no source'}; "
        f"fetched {insights['fetched_at'] or 'at an unknown time'}; "
        f"local dates follow {insights['timezone']}"
    )
    if measure is STEPS:
        head += f"; age {age if age is not None else 'unknown'}"
    lines = [head + "."]
    for day in insights["days"]:
        reports = [day, *day["other_sources"]]
        listed = "; ".join(
            f"{r['source']} {r[measure.unit]} {measure.unit} over {r['coverage_hours']} h "
            f"({r['records']} record{'' if r['records'] == 1 else 's'})"
            for r in reports
        )
        state = " (in progress at fetch)" if day["partial"] else ""
        lines.append(f"{day['date']}{state}: {listed}")
    return "\n".join(lines)


def process_records(
    measure: Measure,
    records: Sequence[Mapping[str, Any]],
    user: UserContext,
    rule: SourceRule,
) -> ProcessResult:
    intervals = intervals_from_records(records, measure.value_field, user.timezone)
    totals = daily_totals(intervals, rule)
    # Distinct offsets only: the description depends on which occur, not how often.
    offsets = list(
        dict.fromkeys(
            readable_offset(record.get(field))
            for record in records
            for field in ("startZoneOffsetId", "endZoneOffsetId")
        )
    )
    insights = activity_insights(measure, totals, intervals, offsets, user, rule)
    events: dict[str, int] = {}
    if measure is STEPS and insights.get("sedentary_days"):
        events["sedentary_day"] = insights["sedentary_days"]
    first = min(intervals, key=lambda iv: iv.start_ms, default=None)
    last = max(intervals, key=lambda iv: iv.end_ms, default=None)
    return ProcessResult(
        narrative=activity_narrative(measure, insights),
        insights=insights,
        summary=_summary(measure, insights, measure.record_type),
        events=events,
        data_start=(
            None if first is None else datetime.fromtimestamp(first.start_ms / 1000, tz=first.tz)
        ),
        data_end=None if last is None else datetime.fromtimestamp(last.end_ms / 1000, tz=last.tz),
    )
