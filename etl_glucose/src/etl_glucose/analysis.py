"""From readings to the structured insights of one batch.

Everything is computed in full precision; :func:`display` rounds only the reported value
(one decimal for mg/dL, minutes and percents, two for GMI and eA1c). Comparisons the
narrative states in words (targets met, data sufficient) are made on the displayed values so
that the text never contradicts its own figures.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from etl_core.contract.timeutil import describe_zone_use, iso, parse_offset, to_local
from etl_glucose import metrics
from etl_glucose.events import Direction, Episode, EventRule, find_episodes
from etl_glucose.localtime import minutes_of_day
from etl_glucose.readings import UNKNOWN, GlucoseSeries
from etl_glucose.rules import DAY_MS, DEFAULT_RULES, HOUR_MS, MINUTE_MS, GlucoseRules
from etl_glucose.variability import glycaemia_risk_index, j_index, risk_indices

MEAL_RELATIONS = ("FASTING", "BEFORE_MEAL", "AFTER_MEAL", "GENERAL")


def display(value: float | None, places: int = 1) -> float | None:
    return None if value is None else round(value, places)


@dataclass(frozen=True, slots=True)
class GlucoseAnalysis:
    insights: dict[str, Any]
    event_counts: dict[str, int]
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class BandCounts:
    """How many readings fall in each consensus band (the bands below 54 and above 250 are
    also counted in below 70 and above 180)."""

    total: int
    below_54: int
    below_70: int
    in_range: int
    above_180: int
    above_250: int

    @classmethod
    def of(cls, values: Sequence[float], rules: GlucoseRules) -> BandCounts:
        below_54 = below_70 = in_range = above_180 = above_250 = 0
        for v in values:
            if v < rules.low:
                below_70 += 1
                if v < rules.very_low:
                    below_54 += 1
            elif v <= rules.high:
                in_range += 1
            else:
                above_180 += 1
                if v > rules.very_high:
                    above_250 += 1
        return cls(len(values), below_54, below_70, in_range, above_180, above_250)

    def percent(self, count: int) -> float | None:
        return 100.0 * count / self.total if self.total else None


@dataclass(frozen=True, slots=True)
class Coverage:
    """How much of the window the sensor covered."""

    span_ms: int
    interval_ms: int | None
    """The nominal sampling interval; ``None`` below two distinct instants."""
    continuous: bool
    expected_readings: int | None
    wear_shown: float | None
    days_shown: float | None

    @classmethod
    def of(cls, times: Sequence[int], rules: GlucoseRules) -> Coverage:
        span_ms = times[-1] - times[0]
        interval_ms = metrics.nominal_interval_ms(metrics.median_spacing_ms(times))
        continuous = (
            interval_ms is not None and interval_ms <= rules.continuous_interval_minutes * MINUTE_MS
        )
        if not continuous or interval_ms is None:
            return cls(span_ms, interval_ms, False, None, None, display(span_ms / DAY_MS))
        expected = metrics.expected_readings(span_ms, interval_ms)
        return cls(
            span_ms,
            interval_ms,
            True,
            expected,
            display(metrics.wear_percent(len(times), expected)),
            # each reading stands for one interval, so 14 full days of 5-minute readings
            # cover 14 days although the first and last are 5 minutes short of that apart
            display((span_ms + interval_ms) / DAY_MS),
        )

    def sufficient(self, rules: GlucoseRules) -> bool:
        """The consensus rule, judged on the displayed days and wear."""
        return (
            self.continuous
            and self.days_shown is not None
            and self.wear_shown is not None
            and self.days_shown >= rules.sufficiency_days
            and self.wear_shown >= rules.sufficiency_wear_percent
        )


def _window_summary(values: Sequence[float], rules: GlucoseRules) -> dict[str, Any]:
    bands = BandCounts.of(values, rules)
    return {
        "readings": bands.total,
        "mean_mg_dl": display(metrics.mean(values)),
        "tir_percent": display(bands.percent(bands.in_range)),
        "tbr70_percent": display(bands.percent(bands.below_70)),
        "tar180_percent": display(bands.percent(bands.above_180)),
    }


def _time_of_day(
    series: GlucoseSeries, user_zone: tzinfo | None, rules: GlucoseRules
) -> dict[str, Any]:
    minutes = minutes_of_day(series.epoch_ms, series.offset_ids, user_zone)
    start, end = rules.overnight_start_hour * 60, rules.overnight_end_hour * 60
    overnight: list[float] = []
    daytime: list[float] = []
    for value, minute in zip(series.mg_dl, minutes, strict=True):
        (overnight if start <= minute < end else daytime).append(value)
    night_window = f"{rules.overnight_start_hour:02d}:00-{rules.overnight_end_hour:02d}:00"
    day_window = f"{rules.overnight_end_hour:02d}:00-24:00"
    return {
        "overnight": {"window": night_window, **_window_summary(overnight, rules)},
        "daytime": {"window": day_window, **_window_summary(daytime, rules)},
    }


def _meal_relations(series: GlucoseSeries) -> dict[str, Any]:
    """Summaries by the recorded relation to a meal; UNKNOWN is never guessed from the clock."""
    summaries: dict[str, Any] = {}
    pairs = list(zip(series.relations_to_meal, series.mg_dl, strict=True))
    for relation in MEAL_RELATIONS:
        values = [value for known, value in pairs if known == relation]
        if values:
            summaries[relation.lower()] = {
                "readings": len(values),
                "mean_mg_dl": display(metrics.mean(values)),
                "min_mg_dl": display(min(values)),
                "max_mg_dl": display(max(values)),
            }
    return summaries


def _episode_group(
    episodes: Sequence[Episode],
    series: GlucoseSeries,
    user_zone: tzinfo | None,
    direction: Direction,
) -> dict[str, Any]:
    """Count, longest duration, most extreme value and the list of events of one kind."""
    low = direction == "below"
    extreme_key = "nadir_mg_dl" if low else "peak_mg_dl"
    listed = []
    offsets = series.offset_ids
    for episode in episodes:
        listed.append(
            {
                "start": iso(to_local(episode.start_ms, offsets[episode.first_index], user_zone)),
                "end": iso(to_local(episode.end_ms, offsets[episode.last_index], user_zone)),
                "duration_min": display(episode.duration_ms / MINUTE_MS),
                extreme_key: display(episode.extreme_mg_dl),
                "recovered": episode.recovered,
            }
        )
    extremes = [e.extreme_mg_dl for e in episodes]
    most_extreme = (min(extremes) if low else max(extremes)) if extremes else None
    longest = max((e.duration_ms for e in episodes), default=None)
    return {
        "count": len(episodes),
        "longest_min": display(longest / MINUTE_MS) if longest is not None else None,
        ("lowest_mg_dl" if low else "highest_mg_dl"): display(most_extreme),
        "events": listed,
    }


def _events(
    series: GlucoseSeries,
    interval_ms: int,
    user_zone: tzinfo | None,
    rules: GlucoseRules,
) -> tuple[dict[str, Any], dict[str, Any], dict[str, int]]:
    times, values = series.epoch_ms, series.mg_dl
    rule = EventRule(
        min_duration_ms=rules.event_minutes * MINUTE_MS,
        recovery_ms=rules.event_minutes * MINUTE_MS,
        interval_ms=interval_ms,
        max_gap_ms=rules.max_gap_minutes * MINUTE_MS,
        min_readings=rules.event_min_readings,
    )
    extended_rule = EventRule(
        min_duration_ms=rules.extended_hypo_minutes * MINUTE_MS,
        recovery_ms=rules.event_minutes * MINUTE_MS,
        interval_ms=interval_ms,
        max_gap_ms=rules.max_gap_minutes * MINUTE_MS,
        strictly_longer=True,
        min_readings=rules.event_min_readings,
    )
    below_70 = find_episodes(times, values, rules.low, "below", rule)
    below_54 = find_episodes(times, values, rules.very_low, "below", rule)
    extended = find_episodes(times, values, rules.low, "below", extended_rule)
    above_180 = find_episodes(times, values, rules.high, "above", rule)
    above_250 = find_episodes(times, values, rules.very_high, "above", rule)
    hypo = {
        "below_70": _episode_group(below_70, series, user_zone, "below"),
        "below_54": _episode_group(below_54, series, user_zone, "below"),
        "extended_below_70": _episode_group(extended, series, user_zone, "below"),
    }
    hyper = {
        "above_180": _episode_group(above_180, series, user_zone, "above"),
        "above_250": _episode_group(above_250, series, user_zone, "above"),
    }
    counts = {
        "hypo_below_70": len(below_70),
        "hypo_below_54": len(below_54),
        "hypo_extended": len(extended),
        "hyper_above_180": len(above_180),
        "hyper_above_250": len(above_250),
    }
    return hypo, hyper, counts


def _targets(rules: GlucoseRules) -> dict[str, Any]:
    return {
        "range_mg_dl": f"{rules.low:g}-{rules.high:g}",
        "very_low_mg_dl": rules.very_low,
        "low_mg_dl": rules.low,
        "high_mg_dl": rules.high,
        "very_high_mg_dl": rules.very_high,
        "tir_above_percent": rules.tir_target_above,
        "tbr70_below_percent": rules.tbr70_target_below,
        "tbr54_below_percent": rules.tbr54_target_below,
        "tar180_below_percent": rules.tar180_target_below,
        "tar250_below_percent": rules.tar250_target_below,
        "cv_at_most_percent": rules.cv_target_at_most,
        "event_minutes": rules.event_minutes,
        "extended_hypo_minutes": rules.extended_hypo_minutes,
        "sufficiency_days": rules.sufficiency_days,
        "sufficiency_wear_percent": rules.sufficiency_wear_percent,
    }


def _targets_met(insights: dict[str, Any], rules: GlucoseRules) -> dict[str, bool | None]:
    """Each consensus target, judged on the displayed value; ``None`` when the targets do not
    apply (a single reading, or readings too sparse to be continuous monitoring)."""
    if not insights["continuous"] or insights["readings"] < 2:
        return dict.fromkeys(("tir", "tbr70", "tbr54", "tar180", "tar250", "cv"))

    def below(key: str, limit: float) -> bool | None:
        value = insights[key]
        return None if value is None else value < limit

    tir = insights["tir_percent"]
    cv = insights["cv_percent"]
    return {
        "tir": None if tir is None else tir > rules.tir_target_above,
        "tbr70": below("tbr70_percent", rules.tbr70_target_below),
        "tbr54": below("tbr54_percent", rules.tbr54_target_below),
        "tar180": below("tar180_percent", rules.tar180_target_below),
        "tar250": below("tar250_percent", rules.tar250_target_below),
        "cv": None if cv is None else cv <= rules.cv_target_at_most,
    }


def analyse(
    series: GlucoseSeries,
    user_zone: tzinfo | None = None,
    *,
    excluded: int = 0,
    rules: GlucoseRules = DEFAULT_RULES,
) -> GlucoseAnalysis:
    """The insights of a non-empty series of readings."""
    if not len(series):
        raise ValueError("no readings to analyse")
    times, values, offsets = series.epoch_ms, series.mg_dl, series.offset_ids
    n = len(values)
    average = metrics.mean(values)
    sd = metrics.sample_sd(values)
    coverage = Coverage.of(times, rules)

    bands = BandCounts.of(values, rules)
    low_only = bands.below_70 - bands.below_54
    high_only = bands.above_180 - bands.above_250
    risks = risk_indices(values)
    # GRI weighs percent of time; sparse readings are not time
    gri = (
        glycaemia_risk_index(
            100.0 * bands.below_54 / n,
            100.0 * low_only / n,
            100.0 * high_only / n,
            100.0 * bands.above_250 / n,
        )
        if coverage.continuous
        else None
    )

    start = to_local(times[0], offsets[0], user_zone)
    end = to_local(times[-1], offsets[-1], user_zone)
    insights: dict[str, Any] = {
        "readings": n,
        "excluded_readings": excluded,
        "start": iso(start),
        "end": iso(end),
        "timezone": describe_zone_use(dict.fromkeys(offsets), user_zone),
        "local_time_known": user_zone is not None
        or all(parse_offset(offset) is not None for offset in dict.fromkeys(offsets)),
        "span_hours": display(coverage.span_ms / HOUR_MS),
        "days_covered": coverage.days_shown,
        "sampling_interval_min": display(coverage.interval_ms / MINUTE_MS)
        if coverage.interval_ms
        else None,
        "continuous": coverage.continuous,
        "expected_readings": coverage.expected_readings,
        "wear_percent": coverage.wear_shown,
        "data_sufficient": coverage.sufficient(rules),
        "mean_mg_dl": display(average),
        "sd_mg_dl": display(sd),
        "cv_percent": display(metrics.cv_percent(sd, average)),
        "min_mg_dl": display(min(values)),
        "max_mg_dl": display(max(values)),
        "tir_percent": display(bands.percent(bands.in_range)),
        "tbr70_percent": display(bands.percent(bands.below_70)),
        "tbr54_percent": display(bands.percent(bands.below_54)),
        "tar180_percent": display(bands.percent(bands.above_180)),
        "tar250_percent": display(bands.percent(bands.above_250)),
        "reading_counts": {
            "below_54": bands.below_54,
            "below_70": bands.below_70,
            "in_range": bands.in_range,
            "above_180": bands.above_180,
            "above_250": bands.above_250,
        },
        # one reading cannot stand for the mean glucose these estimates are built on
        "gmi_percent": display(metrics.gmi_percent(average), 2) if n > 1 else None,
        "ea1c_percent": display(metrics.ea1c_percent(average), 2) if n > 1 else None,
        "variability": {
            "lbgi": display(risks[0]) if risks else None,
            "hbgi": display(risks[1]) if risks else None,
            "gri": display(gri),
            "j_index": display(j_index(average, sd))
            if average is not None and sd is not None
            else None,
        },
    }
    event_counts: dict[str, int] = {}
    if coverage.continuous and coverage.interval_ms and n >= rules.event_min_readings:
        hypo, hyper, event_counts = _events(series, coverage.interval_ms, user_zone, rules)
        insights["hypo_events"], insights["hyper_events"] = hypo, hyper
    else:
        insights["hypo_events"] = insights["hyper_events"] = None
    insights["time_of_day"] = _time_of_day(series, user_zone, rules)
    insights["meal_relation"] = _meal_relations(series)
    insights["meal_relation_readings"] = sum(
        1 for relation in series.relations_to_meal if relation in MEAL_RELATIONS
    )
    meal_types = Counter(series.meal_types)
    meal_types.pop(UNKNOWN, None)
    insights["meal_types"] = dict(sorted(meal_types.items()))
    insights["specimen_sources"] = dict(sorted(Counter(series.specimen_sources).items()))
    insights["data_origins"] = sorted(set(series.origins))
    insights["targets"] = _targets(rules)
    insights["targets_met"] = _targets_met(insights, rules)
    return GlucoseAnalysis(insights, event_counts, start, end)
