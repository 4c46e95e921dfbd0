"""One batch of sleep sessions in, one ProcessResult's worth of content out (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from etl_core import UserContext
from etl_core.contract.timeutil import to_local
from etl_sleep.insights import build_insights
from etl_sleep.metrics import SessionMetrics, session_metrics
from etl_sleep.narrative import write_narrative, write_summary
from etl_sleep.nights import sleep_periods
from etl_sleep.source_rule import SourceRule


@dataclass(frozen=True, slots=True)
class SleepAnalysis:
    insights: dict[str, Any]
    narrative: str
    summary: str
    events: dict[str, int]
    data_start: datetime | None
    data_end: datetime | None


def usable_sessions(records: Sequence[Mapping[str, Any]]) -> tuple[list[SessionMetrics], int]:
    """Metrics of every session with integer bounds and an end not before its start, and how
    many records were left out."""
    sessions: list[SessionMetrics] = []
    skipped = 0
    for record in records:
        start = record.get("startTimeEpochMillis")
        end = record.get("endTimeEpochMillis")
        if not isinstance(start, int) or not isinstance(end, int) or end < start:
            skipped += 1
            continue
        sessions.append(session_metrics(record))
    return sessions, skipped


def analyse(
    records: Sequence[Mapping[str, Any]],
    user: UserContext,
    rule: SourceRule,
    min_night_minutes: int,
    excluded_before: int = 0,
) -> SleepAnalysis:
    """Nights, naps, insights, narrative and summary for the records of one batch.

    ``excluded_before`` counts records that validation already removed, so that the
    narrative can say how many sessions were left out in all.
    """
    sessions, skipped = usable_sessions(records)
    periods = sleep_periods(sessions, rule, min_night_minutes)
    insights = build_insights(
        sessions,
        periods,
        rule,
        min_night_minutes,
        user.timezone,
        user.age_years,
        excluded_before + skipped,
    )
    short_nights = sum(1 for night in insights["nights"] if night["meets"]["duration"] is False)
    events = {
        "nights": insights["night_count"],
        "naps": insights["nap_count"],
        "short_sleep_nights": short_nights,
    }
    data_start = data_end = None
    if sessions:
        first = min(sessions, key=lambda s: s.start_ms)
        last = max(sessions, key=lambda s: s.end_ms)
        data_start = to_local(first.start_ms, first.start_offset, user.timezone)
        data_end = to_local(last.end_ms, last.end_offset, user.timezone)
    return SleepAnalysis(
        insights=insights,
        narrative=write_narrative(insights),
        summary=write_summary(periods, insights),
        events=events,
        data_start=data_start,
        data_end=data_end,
    )
