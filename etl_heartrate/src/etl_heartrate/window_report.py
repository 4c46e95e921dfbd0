"""Calendar windows of the heart-rate plugin: which windows, and one window -> ProcessResult.

Heart rate (``HeartRateRecord``):

- ``day``: each local day, with one day of lookback for the comparison with the day before;
- ``week``: each ISO week (Monday to Sunday, local), with 28 days of lookback for the personal
  baseline (median of the daily resting values of the 4 weeks before) and the previous week.

HRV (``HeartRateVariabilityRmssdRecord``):

- ``night``: noon to noon, named by the evening's date, the unit a ring measures HRV in; 35
  nights of lookback: 6 for the 7-night mean, 28 more for its band, one for the night before;
- ``week``: the seven nights Monday to Sunday (Monday noon to the next Monday noon), the
  weekly unit of readiness practice; 41 nights of lookback so the previous week's nights are
  judged the same way for the comparison.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from etl_core import ExampleText, ProcessResult, Window
from etl_heartrate.formatting import local_datetime
from etl_heartrate.hr_day_text import day_examples, day_summary
from etl_heartrate.hr_week_text import week_examples, week_summary
from etl_heartrate.hr_window import daily_heart_rate
from etl_heartrate.hr_window_insights import day_window_insights, week_window_insights
from etl_heartrate.hrv import collect_measurements
from etl_heartrate.hrv_night_text import night_examples, night_summary
from etl_heartrate.hrv_week_text import week_examples as hrv_week_examples
from etl_heartrate.hrv_week_text import week_summary as hrv_week_summary
from etl_heartrate.hrv_window_insights import night_window_insights
from etl_heartrate.hrv_window_insights import week_window_insights as hrv_week_insights
from etl_heartrate.methods import HEART_RATE_DAY_METHODS, HEART_RATE_WEEK_METHODS, HRV_METHODS
from etl_heartrate.rules import HeartRateRules, HrvRules
from etl_heartrate.specs import HEART_RATE
from etl_heartrate.window_rules import HEART_RATE_DAY, HRV_NIGHT, WINDOW_RULES


@dataclass(frozen=True, slots=True)
class WindowParts:
    insights: dict[str, object]
    summary: str
    examples: list[ExampleText]
    methods: Mapping[str, str]
    events: dict[str, int]
    data_start: datetime | None
    data_end: datetime | None


def _heart_rate(window: Window, rules: HeartRateRules) -> WindowParts | None:
    daily = daily_heart_rate([*window.records, *window.earlier], window.user.timezone, rules)
    samples = daily.samples_on(window.days())
    if not samples:
        return None
    start = local_datetime(samples[0].time_ms, samples[0].zone)
    end = local_datetime(samples[-1].time_ms, samples[-1].zone)
    if window.rule.name == HEART_RATE_DAY.name:
        ins = day_window_insights(window, daily, rules)
        events = {
            "tachycardia_episode": len(ins["tachycardia_episodes"]),
            "bradycardia_episode": len(ins["bradycardia_episodes"]),
        }
        examples = day_examples(ins, window.key)
        return WindowParts(
            ins, day_summary(ins), examples, HEART_RATE_DAY_METHODS, events, start, end
        )
    week = week_window_insights(window, daily, rules)
    events = {"resting_hr_notable_rise": int(week["notable_rise"])}
    examples = week_examples(week, window.key)
    return WindowParts(
        week, week_summary(week), examples, HEART_RATE_WEEK_METHODS, events, start, end
    )


def _hrv(window: Window, rules: HrvRules) -> WindowParts | None:
    series = collect_measurements([*window.records, *window.earlier], window.user.timezone, rules)
    nights = set(window.days())
    inside = [m for m in series.measurements if m.night in nights]
    if not inside:
        return None
    start = local_datetime(inside[0].time_ms, inside[0].zone)
    end = local_datetime(inside[-1].time_ms, inside[-1].zone)
    if window.rule.name == HRV_NIGHT.name:
        ins = night_window_insights(window, series, rules)
        night = ins["night"]
        outside = night is not None and night["status"] in ("above", "below")
        events = {"hrv_rolling_mean_outside_band": int(outside)}
        examples = night_examples(ins, window.key)
        return WindowParts(ins, night_summary(ins), examples, HRV_METHODS, events, start, end)
    week = hrv_week_insights(window, series, rules)
    events = {
        "hrv_rolling_mean_outside_band": len(week["nights_below_band"])
        + len(week["nights_above_band"])
    }
    examples = hrv_week_examples(week, window.key)
    return WindowParts(week, hrv_week_summary(week), examples, HRV_METHODS, events, start, end)


def process_window(
    window: Window, heart_rate_rules: HeartRateRules, hrv_rules: HrvRules
) -> ProcessResult | None:
    """The examples of one window, or ``None`` when no sample or measurement falls in it."""
    names = {rule.name for rule in WINDOW_RULES.get(window.record_type, ())}
    if window.rule.name not in names:
        return None
    if window.record_type == HEART_RATE:
        parts = _heart_rate(window, heart_rate_rules)
    else:
        parts = _hrv(window, hrv_rules)
    if parts is None or not parts.examples:
        return None
    return ProcessResult(
        narrative=parts.examples[0].output,
        insights=parts.insights,
        summary=parts.summary,
        events=parts.events,
        data_start=parts.data_start,
        data_end=parts.data_end,
        examples=parts.examples,
        methods=dict(parts.methods),
    )
