"""HRV (RMSSD): from collected measurements to the processor's result parts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

from etl_heartrate.formatting import local_datetime
from etl_heartrate.hrv import RmssdSeries
from etl_heartrate.hrv_insights import Insights, build_insights
from etl_heartrate.hrv_narrative import build_narrative, build_summary
from etl_heartrate.rules import HrvRules


@dataclass(frozen=True, slots=True)
class HrvReport:
    narrative: str
    insights: Insights
    summary: str
    events: dict[str, int]
    data_start: datetime | None
    data_end: datetime | None


def hrv_report(series: RmssdSeries, user_zone: tzinfo | None, rules: HrvRules) -> HrvReport:
    insights = build_insights(series, user_zone, rules)
    events: dict[str, int] = {}
    base = insights["baseline"]
    if base is not None:
        events["hrv_rolling_mean_outside_band"] = base["nights_outside_band"]
    ms = series.measurements
    return HrvReport(
        narrative=build_narrative(insights),
        insights=insights,
        summary=build_summary(insights),
        events=events,
        data_start=local_datetime(ms[0].time_ms, ms[0].zone) if ms else None,
        data_end=local_datetime(ms[-1].time_ms, ms[-1].zone) if ms else None,
    )
