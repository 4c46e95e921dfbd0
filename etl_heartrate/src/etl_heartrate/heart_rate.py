"""Heart-rate metrics over a flattened sample series. Pure functions, full precision."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from etl_core.contract.memo import GroupMemo
from etl_heartrate.rules import (
    ACSM_ZONES,
    DAY_MINUTES,
    MINUTE_MS,
    MODERATE_FRACTION_OF_HR_MAX,
    HeartRateZone,
    RestingRule,
    SustainRule,
)
from etl_heartrate.samples import HeartRateSample


@dataclass(frozen=True, slots=True)
class SustainedRun:
    """A sustained stretch of samples beyond a threshold (an episode or a bout)."""

    start_ms: int
    end_ms: int
    samples: int
    mean_bpm: float
    min_bpm: float
    max_bpm: float
    zone: tzinfo
    """The clock of the first sample."""
    end_zone: tzinfo
    """The clock of the last sample: records on either side of a daylight-saving change carry
    different offsets."""

    @property
    def duration_minutes(self) -> float:
        return (self.end_ms - self.start_ms) / MINUTE_MS


def sustained_runs(
    samples: Sequence[HeartRateSample],
    beyond_threshold: Callable[[float], bool],
    rule: SustainRule,
) -> list[SustainedRun]:
    """Runs of time-ordered samples that all satisfy ``beyond_threshold`` and meet ``rule``.

    One sample that fails the threshold, or a gap longer than the rule allows, ends a run.
    """
    runs: list[SustainedRun] = []
    current: list[HeartRateSample] = []

    def close() -> None:
        if (
            len(current) >= rule.min_samples
            and current[-1].time_ms - current[0].time_ms >= rule.min_duration_ms
        ):
            values = [s.bpm for s in current]
            runs.append(
                SustainedRun(
                    start_ms=current[0].time_ms,
                    end_ms=current[-1].time_ms,
                    samples=len(current),
                    mean_bpm=math.fsum(values) / len(values),
                    min_bpm=min(values),
                    max_bpm=max(values),
                    zone=current[0].zone,
                    end_zone=current[-1].zone,
                )
            )
        current.clear()

    max_gap = rule.max_gap_ms
    for sample in samples:
        if not beyond_threshold(sample.bpm):
            if current:
                close()
            continue
        if current and sample.time_ms - current[-1].time_ms > max_gap:
            close()
        current.append(sample)
    if current:
        close()
    return runs


def minute_means(samples: Sequence[HeartRateSample]) -> dict[int, float]:
    """Mean bpm of each clock minute (epoch minute number) that holds at least one sample."""
    sums: dict[int, float] = {}
    counts: dict[int, int] = {}
    for sample in samples:
        minute = sample.time_ms // MINUTE_MS
        sums[minute] = sums.get(minute, 0.0) + sample.bpm
        counts[minute] = counts.get(minute, 0) + 1
    return {minute: sums[minute] / counts[minute] for minute in sums}


@dataclass(frozen=True, slots=True)
class RestingWindow:
    """The lowest qualifying rolling-window mean of one day."""

    mean_bpm: float
    first_minute: int
    """Epoch minute number of the window's first monitored minute."""
    last_minute: int
    """Epoch minute number of the window's last monitored minute."""
    minutes_covered: int


def lowest_window(means_by_minute: Mapping[int, float], rule: RestingRule) -> RestingWindow | None:
    """The window of ``rule.window_minutes`` consecutive minutes with the lowest mean of minute
    means, among windows with enough minutes covered; the earliest one on ties.

    Windows may start before the first or end after the last monitored minute of the day; what
    is reported is the span of the monitored minutes inside the winning window.

    Running sums find the candidates in one pass; the few windows whose running mean lies within
    float noise of the lowest are then summed exactly (``math.fsum``), so the winner and its mean
    are the ones the definition gives, not an artefact of accumulated rounding.
    """
    if not means_by_minute:
        return None
    width = rule.window_minutes
    first, last = min(means_by_minute), max(means_by_minute)
    origin = first - width + 1
    span = last - origin + 1
    covered_before = [0] * (span + 1)
    sum_before = [0.0] * (span + 1)
    for offset in range(span):
        value = means_by_minute.get(origin + offset)
        covered_before[offset + 1] = covered_before[offset] + (value is not None)
        sum_before[offset + 1] = sum_before[offset] + (value or 0.0)
    candidates: list[tuple[float, int]] = []
    for offset in range(span):
        end = min(offset + width, span)
        covered = covered_before[end] - covered_before[offset]
        if covered >= rule.min_window_minutes_covered:
            candidates.append(((sum_before[end] - sum_before[offset]) / covered, offset))
    if not candidates:
        return None
    lowest = min(mean for mean, _ in candidates)
    tolerance = 1e-9 * max(1.0, abs(lowest))
    best: RestingWindow | None = None
    for mean_estimate, offset in candidates:
        if mean_estimate > lowest + tolerance:
            continue
        start = origin + offset
        covered_minutes = [m for m in range(start, start + width) if m in means_by_minute]
        mean = math.fsum(means_by_minute[m] for m in covered_minutes) / len(covered_minutes)
        if best is None or mean < best.mean_bpm:
            best = RestingWindow(
                mean, covered_minutes[0], covered_minutes[-1], len(covered_minutes)
            )
    return best


@dataclass(frozen=True, slots=True)
class DaySummary:
    """One local day of samples."""

    day: date
    zone: tzinfo
    samples: int
    minutes_covered: int
    mean_bpm: float
    min_bpm: float
    max_bpm: float
    resting: RestingWindow | None
    """``None`` when the day is too sparsely covered or no window has enough minutes."""
    enough_coverage: bool
    day_minutes: int = DAY_MINUTES
    """How long the local day lasted: 1,380 or 1,500 minutes on the days daylight saving time
    starts or ends."""
    resting_start_zone: tzinfo | None = None
    resting_end_zone: tzinfo | None = None
    """The clocks of the resting window's first and last monitored minutes (``None`` without
    a resting window)."""

    @property
    def coverage_fraction(self) -> float:
        return self.minutes_covered / self.day_minutes


def _midnight_ms(day: date, zone: tzinfo) -> int:
    # The same midnight core's split_by_local_day cuts days at, so every sample assigned to a
    # day lies between that day's two midnights.
    return int(datetime.combine(day, time.min, tzinfo=zone).timestamp() * 1000)


def local_day_minutes(day: date, start_zone: tzinfo, end_zone: tzinfo) -> int:
    """The real length of a local day, in minutes, from its midnight in ``start_zone`` (the
    clock of its first sample) to the next midnight in ``end_zone`` (that of its last): 1,440,
    but 1,380 or 1,500 when daylight saving time starts or ends that day, whether the change
    shows in the person's zone or in the offsets the records carry."""
    start = _midnight_ms(day, start_zone)
    end = _midnight_ms(day + timedelta(days=1), end_zone)
    return max(1, (end - start) // MINUTE_MS)


def _zone_of_minute(day_samples: Sequence[HeartRateSample], minute: int) -> tzinfo:
    """The clock of the first sample in an epoch minute (``day_samples`` in time order)."""
    for sample in day_samples:
        if sample.time_ms // MINUTE_MS >= minute:
            return sample.zone
    return day_samples[-1].zone


def daily_summaries(samples: Sequence[HeartRateSample], rule: RestingRule) -> list[DaySummary]:
    """Per local day: counts, coverage, mean, range and resting heart rate."""
    by_day: dict[date, list[HeartRateSample]] = {}
    for sample in samples:
        by_day.setdefault(sample.day, []).append(sample)
    return [_SUMMARISE_DAY(by_day[day], rule) for day in sorted(by_day)]


def summarise_day(day_samples: Sequence[HeartRateSample], rule: RestingRule) -> DaySummary:
    """One local day's counts, coverage, mean, range and resting heart rate (``day_samples``:
    that day's samples, in time order, at least one)."""
    values = [s.bpm for s in day_samples]
    means = minute_means(day_samples)
    day = day_samples[0].day
    # Never shorter than what was monitored, whatever clocks the samples were read in: coverage
    # is a share of the day.
    day_minutes = max(local_day_minutes(day, day_samples[0].zone, day_samples[-1].zone), len(means))
    enough = len(means) >= rule.min_day_minutes_covered
    resting = lowest_window(means, rule) if enough else None
    return DaySummary(
        day=day,
        zone=day_samples[0].zone,
        samples=len(day_samples),
        minutes_covered=len(means),
        mean_bpm=math.fsum(values) / len(values),
        min_bpm=min(values),
        max_bpm=max(values),
        resting=resting,
        enough_coverage=enough,
        day_minutes=day_minutes,
        resting_start_zone=(
            None if resting is None else _zone_of_minute(day_samples, resting.first_minute)
        ),
        resting_end_zone=(
            None if resting is None else _zone_of_minute(day_samples, resting.last_minute)
        ),
    )


_SUMMARISE_DAY = GroupMemo(summarise_day, generation=40)
"""A day's samples are the same objects in every window of a pass that reads them (each
record's are read once, :data:`etl_heartrate.samples._READ_RECORD`), and a week window's
lookback summarises the 28 days before it: each day is summarised once per pass. Forty days a
generation covers a week and its lookback."""


def age_predicted_max(age_years: int) -> int:
    """HRmax = 220 - age (the formula behind the ACSM %HRmax bands)."""
    return 220 - age_years


@dataclass(frozen=True, slots=True)
class ZoneTime:
    zone: HeartRateZone
    low_bpm: float | None
    high_bpm: float | None
    minutes: int


def zone_bounds(zone: HeartRateZone, hr_max: float) -> tuple[float | None, float | None]:
    low = None if zone.low_fraction is None else zone.low_fraction * hr_max
    high = None if zone.high_fraction is None else zone.high_fraction * hr_max
    return low, high


def time_in_zones(means_by_minute: Mapping[int, float], hr_max: float) -> list[ZoneTime]:
    """Monitored minutes per ACSM band, each minute classed by its mean bpm."""
    result: list[ZoneTime] = []
    for zone in ACSM_ZONES:
        low, high = zone_bounds(zone, hr_max)
        minutes = sum(
            1
            for value in means_by_minute.values()
            if (low is None or value >= low) and (high is None or value < high)
        )
        result.append(ZoneTime(zone, low, high, minutes))
    return result


def moderate_threshold(hr_max: float) -> float:
    return MODERATE_FRACTION_OF_HR_MAX * hr_max
