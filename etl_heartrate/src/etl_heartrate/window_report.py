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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from etl_core import ExampleText, ProcessResult, Window, WindowRule
from etl_core.windows import SUNDAY
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
from etl_heartrate.rules import HeartRateRules, HrvRules
from etl_heartrate.specs import HEART_RATE, HRV_RMSSD

HEART_RATE_DAY = WindowRule.day("day", lookback_days=1)
HEART_RATE_WEEK = WindowRule.iso_week("week", lookback_days=28)
HRV_NIGHT = WindowRule.night("night", lookback_days=35)
HRV_WEEK = WindowRule("week", days=7, ends_on=SUNDAY, start_hour=12, lookback_days=41)

WINDOW_RULES: Mapping[str, tuple[WindowRule, ...]] = {
    HEART_RATE: (HEART_RATE_DAY, HEART_RATE_WEEK),
    HRV_RMSSD: (HRV_NIGHT, HRV_WEEK),
}

RESTING_METHOD = (
    "Resting heart rate of a local day: samples averaged per clock minute; the lowest mean of "
    "30 consecutive minutes among windows with at least 20 monitored minutes; only for days with "
    "at least 20% of their 1,440 minutes monitored (clinical.md, Heart rate: the minimum rolling "
    "30-minute mean in a local day)."
)
HEART_RATE_DAY_METHODS = {
    "resting_bpm": RESTING_METHOD,
    "resting_status": "Compared with the usual adult resting range of 60-100 bpm (clinical.md).",
    "episodes": (
        "A sustained period is at least 3 consecutive samples over at least 5 minutes beyond the "
        "threshold, no gap over 5 minutes: above 100 bpm (tachycardia) or below 50 bpm "
        "(bradycardia, 2018 ACC/AHA/HRS guideline). Only the samples inside the local day count."
    ),
    "zones": (
        "With an adult age only: HRmax = 220 - age; ACSM bands moderate 64-76% and vigorous "
        "77-95% of HRmax; an elevated-activity bout is sustained at or above 64% HRmax."
    ),
    "change_from_previous_day_bpm": (
        "This day's resting value minus the previous day's, both as displayed (0.1 bpm); one day "
        "is not a change (clinical.md, Longitudinal windows)."
    ),
}
HEART_RATE_WEEK_METHODS = {
    "daily resting_bpm": RESTING_METHOD,
    "median_resting_bpm": "Median of the week's daily resting values (as displayed, 0.1 bpm).",
    "baseline": (
        "Personal baseline: the median of the daily resting values of the 28 days before the "
        "week, given from 14 days with a value; otherwise no personal baseline yet (clinical.md, "
        "Longitudinal windows)."
    ),
    "change_from_baseline_bpm": (
        "Week median minus baseline, stated only when at least 5 of the 7 days have a resting "
        "value (one day is not a change; the weekly figures of clinical.md need 5 of 7)."
    ),
    "notable_rise": (
        "A rise of 5 bpm or more of the week's median over the baseline: wearable studies treat "
        "a sustained rise of about 5 bpm as notable (Radin et al., Lancet Digit Health "
        "2020;2:e85, via clinical.md)."
    ),
    "change_from_previous_week_bpm": (
        "Week median minus the previous week's, when both weeks have at least 5 days with a "
        "resting value."
    ),
}
HRV_METHODS = {
    "night": (
        "A night runs from local noon to the next local noon and is named by its first date. "
        "Its value is the mean of ln RMSSD over its measurements (ln of the geometric mean): "
        "readiness practice works in ln RMSSD (Plews et al., clinical.md), and averaging in the "
        "log scale keeps a few high readings from dominating a night."
    ),
    "rolling_ln_mean": (
        "Rolling 7-night mean: the mean of the nightly values of the 7 calendar nights ending "
        "with the night, from at least 3 nights with a value (Plews et al., clinical.md)."
    ),
    "band": (
        "Personal band: mean +- 0.5 SD (sample SD) of the nightly values of the 28 nights before "
        "the first night of the rolling mean it judges (nights N-34 to N-7), from at least 14 "
        "nights, so it never includes the nights it judges (clinical.md, Longitudinal windows: "
        "Plews 2012-2014, Vesterinen 2016, Javaloyes 2019)."
    ),
    "status": (
        "A night is above or below the band when its rolling mean is, comparing the values as "
        "displayed (two decimals)."
    ),
}


def window_rules(record_type: str) -> Sequence[WindowRule] | None:
    return WINDOW_RULES.get(record_type)


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
