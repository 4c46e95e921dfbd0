"""One calendar window of a person's CGM readings -> its insights.

Two kinds of window: a local day, and the 14-day report window of the international consensus
(Battelino 2019), which alone can be sufficient for a full report (GMI, target verdicts, the
AGP and a comparison with the previous 14 days). Computation is in full precision; figures
are rounded once, for display, and every verdict is judged on the displayed figures so that
no text contradicts its own numbers. Definitions: ``/work/shared/reference/clinical.md`` and
the package README.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from etl_core import Window
from etl_core.contract.timeutil import ClockSource, PersonZone, iso
from etl_glucose import metrics
from etl_glucose.agp import hourly_profile
from etl_glucose.analysis import BandCounts, display
from etl_glucose.events import Direction, Episode, EventRule, continuous_segments, find_episodes
from etl_glucose.rules import DEFAULT_RULES, MINUTE_MS, GlucoseRules
from etl_glucose.variability import glycaemia_risk_index, j_index, risk_indices
from etl_glucose.window_readings import LocalReadings, local_readings

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
EVENT_KINDS: tuple[tuple[str, Direction, str], ...] = (
    ("below_70", "below", "low"),
    ("below_54", "below", "very_low"),
    ("extended_below_70", "below", "low"),
    ("above_180", "above", "high"),
    ("above_250", "above", "very_high"),
)
ZERO = timedelta(0)
COMPARED = (
    "mean_mg_dl",
    "cv_percent",
    "gmi_percent",
    "tir_percent",
    "tbr70_percent",
    "tbr54_percent",
    "tar180_percent",
    "tar250_percent",
)


@dataclass(frozen=True, slots=True)
class WindowAnalysis:
    insights: dict[str, Any]
    event_counts: dict[str, int]
    start: datetime
    end: datetime


def is_report(window: Window, rules: GlucoseRules = DEFAULT_RULES) -> bool:
    """Whether the window is a report window (14 days or more) rather than a day."""
    return window.rule.days >= rules.report_days


def _interval_ms(times: Sequence[int], rules: GlucoseRules) -> int:
    interval = metrics.nominal_interval_ms(metrics.median_spacing_ms(times))
    return interval if interval is not None else rules.default_interval_minutes * MINUTE_MS


@dataclass(frozen=True, slots=True)
class Span:
    """A run of local days: a window, or the 14 days before it."""

    first_day: date
    days: int

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first_day, datetime.min.time())

    @property
    def end(self) -> datetime:
        return self.start + timedelta(days=self.days)

    @property
    def last_day(self) -> date:
        return self.first_day + timedelta(days=self.days - 1)


def _epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def span_minutes(span: Span, zone: tzinfo | None, readings: LocalReadings) -> float:
    """Real minutes of a span of local days (a 23-hour daylight-saving day is 1380).

    Its edges are read in the person's zone, with one exception. Core's person zone takes the
    offset of the person's records near an instant and falls back to the configured zone, else
    UTC, where none is near: an edge days away from any record can get the fallback while the
    readings took the person's inferred offset. That jump is no clock change the person lived
    through, so such an edge takes the offset of the reading nearest to it (of the other edge
    when the span holds no reading)."""
    tz = zone or UTC
    start, end = span.start.replace(tzinfo=tz), span.end.replace(tzinfo=tz)
    start_offset, end_offset = start.utcoffset() or ZERO, end.utcoffset() or ZERO
    if isinstance(zone, PersonZone):
        start_source, end_source = zone.source_at(_epoch_ms(start)), zone.source_at(_epoch_ms(end))
        if len(readings):
            if start_source is not zone.source_at(readings.epoch_ms[0]):
                start_offset = readings.local[0].utcoffset() or ZERO
            if end_source is not zone.source_at(readings.epoch_ms[-1]):
                end_offset = readings.local[-1].utcoffset() or ZERO
        elif start_source is not end_source:
            # one edge is near the person's records, the other is not: keep the known offset
            known = start_offset if start_source is ClockSource.INFERRED else end_offset
            start_offset = end_offset = known
    wall_minutes = (span.end - span.start).total_seconds() / 60
    return wall_minutes - (end_offset - start_offset).total_seconds() / 60


def core_figures(
    readings: LocalReadings, span: Span, zone: tzinfo | None, rules: GlucoseRules
) -> dict[str, Any]:
    """Coverage, sufficiency, level, variability and the consensus bands of a span's readings:
    what a window and the previous window are compared on."""
    values = readings.mg_dl
    interval_ms = _interval_ms(readings.epoch_ms, rules)
    continuous = interval_ms <= rules.continuous_interval_minutes * MINUTE_MS
    # wear and possible readings describe a continuous sensor, not sparse meter readings
    possible = (
        round(span_minutes(span, zone, readings) * MINUTE_MS / interval_ms) if continuous else None
    )
    wear = display(metrics.wear_percent(len(values), possible)) if possible else None
    days_worn = len({moment.date() for moment in readings.local})
    sufficient = (
        continuous
        and span.days >= rules.report_days
        and days_worn >= rules.sufficiency_days
        and wear is not None
        and wear >= rules.sufficiency_wear_percent
    )
    average = metrics.mean(values)
    sd = metrics.sample_sd(values)
    bands = BandCounts.of(values, rules)
    return {
        "first_day": span.first_day.isoformat(),
        "last_day": span.last_day.isoformat(),
        "readings": len(values),
        "sampling_interval_min": interval_ms // MINUTE_MS,
        "continuous": continuous,
        "possible_readings": possible,
        "wear_percent": wear,
        "days_worn": days_worn,
        "data_sufficient": sufficient,
        "mean_mg_dl": display(average),
        "sd_mg_dl": display(sd),
        "cv_percent": display(metrics.cv_percent(sd, average)),
        "gmi_percent": display(metrics.gmi_percent(average)) if sufficient else None,
        "tbr54_percent": display(bands.percent(bands.below_54)),
        "tbr54_69_percent": display(bands.percent(bands.below_70 - bands.below_54)),
        "tbr70_percent": display(bands.percent(bands.below_70)),
        "tir_percent": display(bands.percent(bands.in_range)),
        "tar181_250_percent": display(bands.percent(bands.above_180 - bands.above_250)),
        "tar180_percent": display(bands.percent(bands.above_180)),
        "tar250_percent": display(bands.percent(bands.above_250)),
    }


def _targets_met(figures: dict[str, Any], rules: GlucoseRules) -> dict[str, bool]:
    """Each consensus target judged on the displayed figure (only for a sufficient window)."""
    return {
        "tir": figures["tir_percent"] > rules.tir_target_above,
        "tbr70": figures["tbr70_percent"] < rules.tbr70_target_below,
        "tbr54": figures["tbr54_percent"] < rules.tbr54_target_below,
        "tar180": figures["tar180_percent"] < rules.tar180_target_below,
        "tar250": figures["tar250_percent"] < rules.tar250_target_below,
        "cv": figures["cv_percent"] <= rules.cv_target_at_most,
    }


def _local_at(readings: LocalReadings, index: int, epoch_ms: int) -> datetime:
    """An instant near reading ``index``, in that reading's local offset."""
    return datetime.fromtimestamp(epoch_ms / 1000, tz=readings.local[index].tzinfo)


def _event_group(
    episodes: Sequence[Episode],
    readings: LocalReadings,
    segment_starts: set[int],
    direction: Direction,
) -> dict[str, Any]:
    low = direction == "below"
    extreme_key = "nadir_mg_dl" if low else "peak_mg_dl"
    listed = [
        {
            "start": iso(readings.local[episode.first_index]),
            "end": iso(_local_at(readings, episode.last_index, episode.end_ms)),
            "duration_min": round(episode.duration_ms / MINUTE_MS),
            extreme_key: display(episode.extreme_mg_dl),
            # the end was not seen: the event ran into a gap or the end of the window's data
            "open": not episode.recovered,
            # the first reading after a gap or at the window's start may not be the first
            # minute below (or above) the threshold
            "start_observed": episode.first_index not in segment_starts,
        }
        for episode in episodes
    ]
    extremes = [episode.extreme_mg_dl for episode in episodes]
    return {
        "count": len(episodes),
        "open_count": sum(1 for event in listed if event["open"]),
        "longest_min": max((round(e.duration_ms / MINUTE_MS) for e in episodes), default=None),
        ("lowest_mg_dl" if low else "highest_mg_dl"): display(
            (min(extremes) if low else max(extremes)) if extremes else None
        ),
        "events": listed,
    }


def _events(
    readings: LocalReadings, interval_ms: int, rules: GlucoseRules
) -> tuple[dict[str, Any], dict[str, int]]:
    times, values = readings.epoch_ms, readings.mg_dl
    max_gap_ms = rules.max_gap_minutes * MINUTE_MS
    segment_starts = {lo for lo, _ in continuous_segments(times, max_gap_ms)}
    thresholds = {
        "low": rules.low,
        "very_low": rules.very_low,
        "high": rules.high,
        "very_high": rules.very_high,
    }
    groups: dict[str, Any] = {}
    for name, direction, threshold in EVENT_KINDS:
        extended = name == "extended_below_70"
        rule = EventRule(
            min_duration_ms=(rules.extended_hypo_minutes if extended else rules.event_minutes)
            * MINUTE_MS,
            recovery_ms=rules.event_minutes * MINUTE_MS,
            interval_ms=interval_ms,
            max_gap_ms=max_gap_ms,
            strictly_longer=extended,
            min_readings=rules.event_min_readings,
        )
        episodes = find_episodes(times, values, thresholds[threshold], direction, rule)
        groups[name] = _event_group(episodes, readings, segment_starts, direction)
    counts = {
        "hypo_below_70": groups["below_70"]["count"],
        "hypo_below_54": groups["below_54"]["count"],
        "hypo_extended": groups["extended_below_70"]["count"],
        "hyper_above_180": groups["above_180"]["count"],
        "hyper_above_250": groups["above_250"]["count"],
    }
    return groups, counts


def sensor_gaps(readings: LocalReadings, interval_ms: int, rules: GlucoseRules) -> dict[str, Any]:
    """Stretches of at least ``rules.sensor_gap_minutes`` without readings between two readings
    of the window: from one interval after the last reading before the gap to the first
    reading after it (the 42 missed 5-minute readings of 02:00-05:30 are 210 minutes)."""
    times = readings.epoch_ms
    gaps: list[dict[str, Any]] = []
    for i in range(len(times) - 1):
        missing_ms = times[i + 1] - times[i] - interval_ms
        if missing_ms >= rules.sensor_gap_minutes * MINUTE_MS:
            minutes = round(missing_ms / MINUTE_MS)
            gaps.append(
                {
                    "start": iso(_local_at(readings, i, times[i] + interval_ms)),
                    "end": iso(readings.local[i + 1]),
                    "duration_min": minutes,
                    "duration_hours": round(minutes / 60, 1),
                }
            )
    longest = max(gaps, key=lambda gap: gap["duration_min"], default=None)
    return {
        "count": len(gaps),
        "longest_min": longest["duration_min"] if longest else None,
        "longest_hours": longest["duration_hours"] if longest else None,
        "longest_start": longest["start"] if longest else None,
        "gaps": gaps,
    }


def _overnight(
    readings: LocalReadings, lows: dict[str, Any] | None, rules: GlucoseRules
) -> dict[str, Any]:
    start, end = rules.overnight_start_hour, rules.overnight_end_hour
    values = [
        value
        for value, moment in zip(readings.mg_dl, readings.local, strict=True)
        if start <= moment.hour < end
    ]
    night_lows = (
        sum(
            1
            for event in lows["events"]
            if start <= datetime.fromisoformat(event["start"]).hour < end
        )
        if lows is not None
        else None
    )
    return {
        "window": f"{start:02d}:00-{end:02d}:00",
        "readings": len(values),
        "min_mg_dl": display(min(values)) if values else None,
        "lows": night_lows,
    }


def _agp(readings: LocalReadings, rules: GlucoseRules) -> dict[str, Any]:
    profile = hourly_profile(
        [moment.hour for moment in readings.local], readings.mg_dl, rules.agp_percentiles
    )
    hours = [
        {
            "hour": entry.hour,
            "readings": entry.readings,
            **{
                f"p{percent}": round(value)
                for percent, value in zip(rules.agp_percentiles, entry.percentiles, strict=True)
            },
        }
        for entry in profile
    ]

    def extreme(key: str, pick: Any) -> dict[str, int]:
        best = pick(hours, key=lambda row: row[key])  # first hour on ties
        return {"hour": best["hour"], "mg_dl": best[key]}

    widest = max(hours, key=lambda row: row["p75"] - row["p25"])
    return {
        "hours": hours,
        "median_highest": extreme("p50", max),
        "median_lowest": extreme("p50", min),
        "p5_lowest": extreme("p5", min),
        "p95_highest": extreme("p95", max),
        "iqr_widest": {"hour": widest["hour"], "mg_dl": widest["p75"] - widest["p25"]},
    }


def _variability(values: Sequence[float], rules: GlucoseRules) -> dict[str, Any]:
    """LBGI, HBGI, GRI and J-index of a sufficient window (clinical.md, variability extras)."""
    risks = risk_indices(values)
    average, sd = metrics.mean(values), metrics.sample_sd(values)
    bands = BandCounts.of(values, rules)
    return {
        "lbgi": display(risks[0]) if risks else None,
        "hbgi": display(risks[1]) if risks else None,
        # GRI weighs the disjoint bands: < 54, 54-69, 181-250 and > 250 mg/dL
        "gri": display(
            glycaemia_risk_index(
                100.0 * bands.below_54 / bands.total,
                100.0 * (bands.below_70 - bands.below_54) / bands.total,
                100.0 * (bands.above_180 - bands.above_250) / bands.total,
                100.0 * bands.above_250 / bands.total,
            )
        ),
        "j_index": display(j_index(average, sd))
        if average is not None and sd is not None
        else None,
    }


def _targets(rules: GlucoseRules) -> dict[str, Any]:
    return {
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
        "report_days": rules.report_days,
        "sufficiency_wear_percent": rules.sufficiency_wear_percent,
        "sensor_gap_hours": rules.sensor_gap_minutes / 60,
        "agp_percentiles": list(rules.agp_percentiles),
        "overnight_hours": [rules.overnight_start_hour, rules.overnight_end_hour],
        "bands": {
            "very_low": f"below {rules.very_low:g}",
            "low": f"{rules.very_low:g}-{rules.low - 1:g}",
            "in_range": f"{rules.low:g}-{rules.high:g}",
            "high": f"{rules.high + 1:g}-{rules.very_high:g}",
            "very_high": f"above {rules.very_high:g}",
            "below": f"{rules.low:g}",
            "above": f"{rules.high:g}",
        },
    }


def _previous(window: Window, current: dict[str, Any], rules: GlucoseRules) -> dict[str, Any]:
    span = Span(window.first_day - timedelta(days=window.rule.days), window.rule.days)
    zone = window.user.timezone
    earlier = local_readings(window.earlier, span.start, span.end, zone)
    previous = core_figures(earlier, span, zone, rules)
    comparable = current["data_sufficient"] and previous["data_sufficient"]
    if previous["data_sufficient"]:
        previous["targets_met"] = _targets_met(previous, rules)
    change = {key: _change(previous[key], current[key]) for key in COMPARED} if comparable else None
    return {"previous": previous, "comparison": change}


def _change(before: float, after: float) -> dict[str, Any]:
    """A change between two displayed figures: the difference of what the text shows."""
    difference = round(after - before, 1)
    direction = "higher" if difference > 0 else "lower" if difference < 0 else "unchanged"
    return {"from": before, "to": after, "by": abs(difference), "direction": direction}


def analyse_window(window: Window, rules: GlucoseRules = DEFAULT_RULES) -> WindowAnalysis | None:
    """The insights of one window, or ``None`` when it holds no usable reading."""
    zone = window.user.timezone
    span = Span(window.first_day, window.rule.days)
    readings = local_readings(window.records, span.start, span.end, zone)
    if not len(readings):
        return None
    report = is_report(window, rules)
    figures = core_figures(readings, span, zone, rules)
    interval_ms = figures["sampling_interval_min"] * MINUTE_MS
    insights: dict[str, Any] = {
        "window": {
            "rule": window.rule.name,
            "kind": "report" if report else "day",
            "first_day": span.first_day.isoformat(),
            "last_day": span.last_day.isoformat(),
            "first_weekday": WEEKDAYS[span.first_day.weekday()],
            "last_weekday": WEEKDAYS[span.last_day.weekday()],
            "days": span.days,
        },
        "clock": {
            "source": window.clock.value,
            "kind": window.clock.name.lower(),
            "offsets": readings.offsets(),
        },
        "excluded_readings": readings.excluded,
        "first_reading": iso(readings.local[0]),
        "last_reading": iso(readings.local[-1]),
        **{k: v for k, v in figures.items() if k not in ("first_day", "last_day")},
        "min_mg_dl": display(min(readings.mg_dl)),
        "max_mg_dl": display(max(readings.mg_dl)),
        # the first reading at the extreme (ties: the earliest)
        "min_at": iso(readings.local[readings.mg_dl.index(min(readings.mg_dl))]),
        "max_at": iso(readings.local[readings.mg_dl.index(max(readings.mg_dl))]),
    }
    sufficient = figures["data_sufficient"]
    insights["targets_met"] = _targets_met(figures, rules) if sufficient else None
    event_counts: dict[str, int] = {}
    events: dict[str, Any] | None = None
    if figures["continuous"] and len(readings) >= rules.event_min_readings:
        events, event_counts = _events(readings, interval_ms, rules)
    insights["events"] = events
    insights["sensor_gaps"] = sensor_gaps(readings, interval_ms, rules) if events else None
    insights["overnight"] = _overnight(readings, events["below_70"] if events else None, rules)
    insights["agp"] = _agp(readings, rules) if sufficient else None
    insights["variability"] = _variability(readings.mg_dl, rules) if sufficient else None
    if report:
        insights.update(_previous(window, figures, rules))
    else:
        insights["previous"] = insights["comparison"] = None
    insights["targets"] = _targets(rules)
    return WindowAnalysis(insights, event_counts, readings.local[0], readings.local[-1])
