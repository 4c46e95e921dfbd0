"""Plain reference code for the window insights, written apart from the plugin: decode the
raw exports, keep the newest version of each record, read every reading in the person's
zone, and apply each definition of clinical.md the simple way (counting readings on the
5-minute grid, a streaming event rule, ``statistics``). Tests compare the plugin against it.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from pytest import approx

from etl_core.testing import SyntheticExport, read_avro

FIVE_MIN_MS = 300_000
GAP_BREAK_MS = 20 * 60_000
SENSOR_GAP_MS = 120 * 60_000


@dataclass(frozen=True)
class Reading:
    epoch_ms: int
    mg_dl: float
    local: datetime


def decode(exports: Iterable[SyntheticExport | bytes | Any]) -> list[dict[str, Any]]:
    """Every BloodGlucoseRecord of the exports, every version."""
    found: list[dict[str, Any]] = []
    for export in exports:
        if isinstance(export, SyntheticExport):
            if export.record_type == "BloodGlucoseRecord":
                found += read_avro(export.data)
        elif export.name.startswith("BloodGlucoseRecord_"):
            found += read_avro(export)
    return found


def newest(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One version per metadata.id: the one modified last."""
    best: dict[str, dict[str, Any]] = {}
    for record in records:
        rid = record["metadata"]["id"]
        held = best.get(rid)
        modified = record["metadata"]["lastModifiedTimeEpochMillis"]
        if held is None or modified > held["metadata"]["lastModifiedTimeEpochMillis"]:
            best[rid] = record
    return list(best.values())


def readings(records: Iterable[dict[str, Any]], zone: tzinfo) -> list[Reading]:
    """The readings in the person's zone (the CGM's offsets are all 'Z'), by instant."""
    by_instant = {
        r["timeEpochMillis"]: Reading(
            r["timeEpochMillis"],
            float(r["levelInMilligramsPerDeciliter"]),
            datetime.fromtimestamp(r["timeEpochMillis"] / 1000, tz=zone),
        )
        for r in records
    }
    return [by_instant[k] for k in sorted(by_instant)]


def between(all_readings: Sequence[Reading], first: date, days: int) -> list[Reading]:
    last = first + timedelta(days=days - 1)
    return [r for r in all_readings if first <= r.local.date() <= last]


def pct(values: Sequence[float], keep: Any) -> float | None:
    if not values:
        return None
    return round(100 * sum(1 for v in values if keep(v)) / len(values), 1)


def r1(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def figures(window: Sequence[Reading], first: date, days: int) -> dict[str, Any]:
    """Coverage, sufficiency, level and bands of one span (5-minute sensor, fixed offset)."""
    values = [r.mg_dl for r in window]
    possible = days * 288
    wear = round(min(100.0, 100 * len(values) / possible), 1)
    worn = len({r.local.date() for r in window})
    sufficient = days >= 14 and worn >= 14 and wear >= 70
    mean = statistics.fmean(values) if values else None
    sd = statistics.stdev(values) if len(values) > 1 else None
    return {
        "first_day": first.isoformat(),
        "last_day": (first + timedelta(days=days - 1)).isoformat(),
        "readings": len(values),
        "possible_readings": possible,
        "wear_percent": wear,
        "days_worn": worn,
        "data_sufficient": sufficient,
        "mean_mg_dl": r1(mean),
        "sd_mg_dl": r1(sd),
        "cv_percent": r1(100 * sd / mean) if sd is not None and mean else None,
        "gmi_percent": r1(3.31 + 0.02392 * mean) if sufficient and mean is not None else None,
        "tbr54_percent": pct(values, lambda v: v < 54),
        "tbr54_69_percent": pct(values, lambda v: 54 <= v < 70),
        "tbr70_percent": pct(values, lambda v: v < 70),
        "tir_percent": pct(values, lambda v: 70 <= v <= 180),
        "tar181_250_percent": pct(values, lambda v: 180 < v <= 250),
        "tar180_percent": pct(values, lambda v: v > 180),
        "tar250_percent": pct(values, lambda v: v > 250),
    }


@dataclass(frozen=True)
class RefEvent:
    start: datetime
    end: datetime
    minutes: int
    extreme: float
    open: bool
    start_observed: bool


def events(window: Sequence[Reading], beyond: Any, need: int, extreme: Any = min) -> list[RefEvent]:
    """The consensus rule read as a stream on the 5-minute grid: an event starts once readings
    beyond the threshold span ``need`` sampling slots (3 = 15 minutes; 25 = more than 120), at
    least two of them read; it ends at the first reading of a return that spans three slots. A
    reading missing inside a run does not shorten it (the run spans its slots, as the sensor's
    grid does), while a gap of more than 20 minutes ends continuity, leaving an event open at
    its last reading beyond plus one interval."""
    found: list[RefEvent] = []
    beyond_first = back_first = -1
    start = last_beyond = -1
    in_event = False
    segment_start = 0

    def slots(first: int, last: int) -> int:
        return round((window[last].epoch_ms - window[first].epoch_ms) / FIVE_MIN_MS) + 1

    def close(end_ms: int, end_tz: Any, is_open: bool) -> None:
        chosen = extreme(window[i].mg_dl for i in range(start, last_beyond + 1))
        found.append(
            RefEvent(
                window[start].local,
                datetime.fromtimestamp(end_ms / 1000, tz=end_tz),
                round((end_ms - window[start].epoch_ms) / 60_000),
                chosen,
                is_open,
                start != segment_start,
            )
        )

    for i, reading in enumerate(window):
        if i and reading.epoch_ms - window[i - 1].epoch_ms > GAP_BREAK_MS:
            if in_event:
                close(window[last_beyond].epoch_ms + FIVE_MIN_MS, reading.local.tzinfo, True)
            in_event = False
            beyond_first = back_first = -1
            segment_start = i
        if beyond(reading.mg_dl):
            back_first = -1
            if beyond_first < 0:
                beyond_first = i
            if in_event:
                last_beyond = i
            elif i > beyond_first and slots(beyond_first, i) >= need:
                in_event, start, last_beyond = True, beyond_first, i
        else:
            beyond_first = -1
            if back_first < 0:
                back_first = i
            if in_event and slots(back_first, i) >= 3:
                first_back = window[back_first]
                close(first_back.epoch_ms, first_back.local.tzinfo, False)
                in_event = False
    if in_event:
        close(window[last_beyond].epoch_ms + FIVE_MIN_MS, window[-1].local.tzinfo, True)
    return found


def event_groups(window: Sequence[Reading]) -> dict[str, list[RefEvent]]:
    return {
        "below_70": events(window, lambda v: v < 70, 3),
        "below_54": events(window, lambda v: v < 54, 3),
        "extended_below_70": events(window, lambda v: v < 70, 25),
        "above_180": events(window, lambda v: v > 180, 3, max),
        "above_250": events(window, lambda v: v > 250, 3, max),
    }


def sensor_gaps(window: Sequence[Reading]) -> list[tuple[datetime, datetime, int]]:
    """(start, end, minutes) of every stretch of 2 hours or more without readings."""
    gaps = []
    for before, after in itertools.pairwise(window):
        missing = after.epoch_ms - before.epoch_ms - FIVE_MIN_MS
        if missing >= SENSOR_GAP_MS:
            start = datetime.fromtimestamp(
                (before.epoch_ms + FIVE_MIN_MS) / 1000, tz=before.local.tzinfo
            )
            gaps.append((start, after.local, round(missing / 60_000)))
    return gaps


def quantile7(values: Sequence[float], percent: int) -> float:
    """The type-7 percentile as the standard library computes it."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[percent - 1]


def agp(window: Sequence[Reading]) -> list[dict[str, int]]:
    rows = []
    for hour in range(24):
        values = [r.mg_dl for r in window if r.local.hour == hour]
        if values:
            rows.append(
                {
                    "hour": hour,
                    "readings": len(values),
                    **{f"p{p}": round(quantile7(values, p)) for p in (5, 25, 50, 75, 95)},
                }
            )
    return rows


def risk(values: Sequence[float]) -> dict[str, float]:
    lows, highs = [], []
    for value in values:
        f = 1.509 * (math.log(value) ** 1.084 - 5.381)
        (lows if f < 0 else highs).append(10 * f * f)
    n = len(values)
    share = {
        "vlow": 100 * sum(1 for v in values if v < 54) / n,
        "low": 100 * sum(1 for v in values if 54 <= v < 70) / n,
        "high": 100 * sum(1 for v in values if 180 < v <= 250) / n,
        "vhigh": 100 * sum(1 for v in values if v > 250) / n,
    }
    gri = min(
        100.0, 3.0 * share["vlow"] + 2.4 * share["low"] + 1.6 * share["vhigh"] + 0.8 * share["high"]
    )
    mean, sd = statistics.fmean(values), statistics.stdev(values)
    return {
        "lbgi": round(sum(lows) / n, 1),
        "hbgi": round(sum(highs) / n, 1),
        "gri": round(gri, 1),
        "j_index": round(0.001 * (mean + sd) ** 2, 1),
    }


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _expected_events(window: Sequence[Reading]) -> dict[str, Any]:
    groups = {}
    for name, found in event_groups(window).items():
        low = name.startswith(("below", "extended"))
        key = "nadir_mg_dl" if low else "peak_mg_dl"
        extremes = [event.extreme for event in found]
        groups[name] = {
            "count": len(found),
            "open_count": sum(event.open for event in found),
            "longest_min": max((event.minutes for event in found), default=None),
            ("lowest_mg_dl" if low else "highest_mg_dl"): r1(
                (min(extremes) if low else max(extremes)) if extremes else None
            ),
            "events": [
                {
                    "start": iso(event.start),
                    "end": iso(event.end),
                    "duration_min": event.minutes,
                    key: r1(event.extreme),
                    "open": event.open,
                    "start_observed": event.start_observed,
                }
                for event in found
            ],
        }
    return groups


def expected_insights(all_readings: Sequence[Reading], first: date, days: int) -> dict[str, Any]:
    """Every insight of the window of ``days`` days from ``first``, recomputed from all of the
    person's readings (the previous 14 days for a report's comparison)."""
    window = between(all_readings, first, days)
    values = [r.mg_dl for r in window]
    core = figures(window, first, days)
    out: dict[str, Any] = {k: v for k, v in core.items() if k not in ("first_day", "last_day")}
    out["window"] = {"first_day": core["first_day"], "last_day": core["last_day"], "days": days}
    out["first_reading"] = iso(window[0].local)
    out["last_reading"] = iso(window[-1].local)
    # levels are shown to one decimal (the real exports hold values like 88.99999999999999)
    out["min_mg_dl"], out["max_mg_dl"] = r1(min(values)), r1(max(values))
    out["min_at"] = iso(next(r.local for r in window if r.mg_dl == min(values)))
    out["max_at"] = iso(next(r.local for r in window if r.mg_dl == max(values)))
    out["events"] = _expected_events(window)
    gaps = sensor_gaps(window)
    out["sensor_gaps"] = {
        "count": len(gaps),
        "longest_min": max((g[2] for g in gaps), default=None),
        "gaps": [
            {
                "start": iso(s),
                "end": iso(e),
                "duration_min": m,
                "duration_hours": round(m / 60, 1),
            }
            for s, e, m in gaps
        ],
    }
    night = [r for r in window if r.local.hour < 6]
    out["overnight"] = {
        "readings": len(night),
        "min_mg_dl": r1(min((r.mg_dl for r in night), default=None)),
        "lows": sum(1 for e in events(window, lambda v: v < 70, 3) if e.start.hour < 6),
    }
    sufficient = core["data_sufficient"]
    out["agp_hours"] = agp(window) if sufficient else None
    out["variability"] = risk(values) if sufficient else None
    if days == 14:
        previous_first = first - timedelta(days=14)
        before = between(all_readings, previous_first, 14)
        previous = figures(before, previous_first, 14)
        out["previous"] = previous
        comparable = sufficient and previous["data_sufficient"]
        out["comparison"] = (
            {
                key: round(core[key] - previous[key], 1)
                for key in (
                    "mean_mg_dl",
                    "cv_percent",
                    "gmi_percent",
                    "tir_percent",
                    "tbr70_percent",
                    "tbr54_percent",
                    "tar180_percent",
                    "tar250_percent",
                )
            }
            if comparable
            else None
        )
    return out


def check_insights(ins: dict[str, Any], want: dict[str, Any]) -> None:
    """Assert that a window's insights hold every value of :func:`expected_insights`."""
    for key, value in want.items():
        if key == "window":
            for part, expected_value in value.items():
                assert ins["window"][part] == expected_value, part
        elif key == "sensor_gaps":
            for part in ("count", "longest_min", "gaps"):
                assert ins["sensor_gaps"][part] == value[part], part
        elif key == "overnight":
            for part, expected_value in value.items():
                assert ins["overnight"][part] == expected_value, part
        elif key == "agp_hours":
            assert (ins["agp"]["hours"] if ins["agp"] else None) == value
        elif key == "previous":
            for part, expected_value in value.items():
                assert ins["previous"][part] == expected_value, f"previous {part}"
        elif key == "comparison":
            if value is None:
                assert ins["comparison"] is None
            else:
                signed = {
                    k: (-1 if v["direction"] == "lower" else 1) * v["by"]
                    for k, v in ins["comparison"].items()
                }
                assert signed == approx(value, abs=1e-9)
        else:
            assert ins[key] == value, key
