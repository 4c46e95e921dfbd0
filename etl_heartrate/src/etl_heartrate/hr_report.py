"""Heart rate: from a flattened sample series to the processor's result parts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

from etl_heartrate.formatting import local_datetime
from etl_heartrate.hr_insights import Insights, build_insights
from etl_heartrate.hr_narrative import build_narrative, build_summary
from etl_heartrate.rules import HeartRateRules
from etl_heartrate.samples import SampleSeries


@dataclass(frozen=True, slots=True)
class HeartRateReport:
    narrative: str
    insights: Insights
    summary: str
    events: dict[str, int]
    data_start: datetime | None
    data_end: datetime | None


def heart_rate_report(
    series: SampleSeries,
    user_zone: tzinfo | None,
    age_years: int | None,
    rules: HeartRateRules,
) -> HeartRateReport:
    insights = build_insights(series, user_zone, age_years, rules)
    events = {
        "tachycardia_episode": insights["tachycardia_episodes"],
        "bradycardia_episode": insights["bradycardia_episodes"],
    }
    samples = series.samples
    return HeartRateReport(
        narrative=build_narrative(insights, rules),
        insights=insights,
        summary=build_summary(insights),
        events=events,
        data_start=local_datetime(samples[0].time_ms, samples[0].zone) if samples else None,
        data_end=local_datetime(samples[-1].time_ms, samples[-1].zone) if samples else None,
    )
