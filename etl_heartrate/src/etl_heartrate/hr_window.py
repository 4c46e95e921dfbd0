"""Heart rate over calendar windows: a local day, and an ISO week against the person's own
baseline. Pure functions.

A window's records can reach past its edges (a ring's series record runs from 23:00 to 07:00),
so samples are assigned to local days one by one and only the days a question is about are
used: the window's days, and for baselines the days of the lookback.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta, tzinfo

from etl_core import Record
from etl_heartrate.formatting import round1
from etl_heartrate.heart_rate import DaySummary, daily_summaries
from etl_heartrate.rules import HeartRateRules, RestingTrendRule
from etl_heartrate.samples import HeartRateSample, SampleSeries, flatten_samples


@dataclass(frozen=True, slots=True)
class DailyHeartRate:
    """Every sample of some records, split by local day, with each day's summary."""

    series: SampleSeries
    samples_by_day: dict[date, list[HeartRateSample]]
    summaries: dict[date, DaySummary]

    def samples_on(self, days: Iterable[date]) -> list[HeartRateSample]:
        """The samples of ``days``, in time order."""
        wanted = set(days)
        found = [s for day in sorted(wanted) for s in self.samples_by_day.get(day, [])]
        found.sort(key=lambda s: (s.time_ms, s.bpm, s.origin))
        return found

    def resting_by_day(self, days: Iterable[date]) -> dict[date, float]:
        """The displayed (0.1 bpm) resting value of each of ``days`` that has one."""
        values: dict[date, float] = {}
        for day in days:
            summary = self.summaries.get(day)
            if summary is not None and summary.resting is not None:
                values[day] = round1(summary.resting.mean_bpm)
        return values


def daily_heart_rate(
    records: Iterable[Record], user_zone: tzinfo | None, rules: HeartRateRules
) -> DailyHeartRate:
    """Flatten ``records`` (a window's records and its lookback) and summarise every local day."""
    series = flatten_samples(records, user_zone, rules)
    by_day: dict[date, list[HeartRateSample]] = {}
    for sample in series.samples:
        by_day.setdefault(sample.day, []).append(sample)
    summaries = {s.day: s for s in daily_summaries(series.samples, rules.resting)}
    return DailyHeartRate(series, by_day, summaries)


def days_between(first: date, last: date) -> list[date]:
    """``first`` to ``last``, both included."""
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def median_or_none(values: Sequence[float]) -> float | None:
    """The median rounded to 0.1, or ``None`` without values."""
    return round1(statistics.median(values)) if values else None


@dataclass(frozen=True, slots=True)
class RestingTrend:
    """One week's daily resting values against the person's baseline and the previous week.

    Every value is computed from the displayed (0.1 bpm) daily values, so a reader can check
    each median and difference from the figures listed beside it.
    """

    week: list[tuple[date, float | None]]
    """The week's seven days with their resting value (``None``: no value that day)."""
    week_median: float | None
    baseline_first: date
    baseline_last: date
    baseline_days: int
    """Days of the baseline period with a resting value."""
    baseline_median: float | None
    """``None`` until ``rule.min_baseline_days`` days have a value: no personal baseline yet."""
    change_bpm: float | None
    """Week median minus baseline; ``None`` without a baseline or with too few days this week."""
    notable_rise: bool
    days_at_or_above_rise: int | None
    """Days of the week at least ``rule.notable_rise_bpm`` above the baseline."""
    previous_week_median: float | None
    previous_week_days: int
    change_from_previous_week_bpm: float | None
    """Only when both weeks have ``rule.min_week_days`` days with a value."""

    @property
    def week_days_with_value(self) -> int:
        return sum(1 for _, value in self.week if value is not None)


def resting_trend(
    resting_by_day: Mapping[date, float], week_first: date, rule: RestingTrendRule
) -> RestingTrend:
    """The week starting ``week_first`` against the ``rule.baseline_days`` before it.

    ``resting_by_day`` holds the displayed resting value of every day that has one (other days
    are simply absent)."""
    week_days = days_between(week_first, week_first + timedelta(days=6))
    week = [(day, resting_by_day.get(day)) for day in week_days]
    week_values = [value for _, value in week if value is not None]
    baseline_first = week_first - timedelta(days=rule.baseline_days)
    baseline_last = week_first - timedelta(days=1)
    baseline_values = [
        resting_by_day[day]
        for day in days_between(baseline_first, baseline_last)
        if day in resting_by_day
    ]
    baseline = (
        median_or_none(baseline_values) if len(baseline_values) >= rule.min_baseline_days else None
    )
    week_median = median_or_none(week_values)
    enough_this_week = len(week_values) >= rule.min_week_days
    change = (
        round1(week_median - baseline)
        if baseline is not None and week_median is not None and enough_this_week
        else None
    )
    days_above = (
        sum(1 for value in week_values if round1(value - baseline) >= rule.notable_rise_bpm)
        if baseline is not None and enough_this_week
        else None
    )
    previous_values = [
        resting_by_day[day]
        for day in days_between(week_first - timedelta(days=7), baseline_last)
        if day in resting_by_day
    ]
    previous_median = median_or_none(previous_values)
    change_from_previous = (
        round1(week_median - previous_median)
        if week_median is not None
        and previous_median is not None
        and enough_this_week
        and len(previous_values) >= rule.min_week_days
        else None
    )
    return RestingTrend(
        week=week,
        week_median=week_median,
        baseline_first=baseline_first,
        baseline_last=baseline_last,
        baseline_days=len(baseline_values),
        baseline_median=baseline,
        change_bpm=change,
        notable_rise=change is not None and change >= rule.notable_rise_bpm,
        days_at_or_above_rise=days_above,
        previous_week_median=previous_median,
        previous_week_days=len(previous_values),
        change_from_previous_week_bpm=change_from_previous,
    )
