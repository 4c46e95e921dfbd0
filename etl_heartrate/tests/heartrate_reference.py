"""Plain reference computations for the tests, written straight from the definitions in the
README without reusing the plugin's code, so that a shared mistake cannot hide."""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

MINUTE = 60_000


def offset_zone(offset_id: str | None) -> timezone:
    """``-05:00`` -> fixed offset; missing or ``Z`` -> UTC (tests give no user zone)."""
    if not offset_id or offset_id == "Z":
        return UTC
    sign = -1 if offset_id[0] == "-" else 1
    hours, minutes = offset_id[1:].split(":")
    return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))


def reference_samples(records: list[dict[str, Any]]) -> list[tuple[int, float, str, date]]:
    """(time, bpm, origin, local day) of every in-range sample, exact (time, bpm) duplicates
    kept once, sorted by time."""
    seen: dict[tuple[int, float], tuple[int, float, str, date]] = {}
    for record in records:
        zone = offset_zone(record.get("startZoneOffsetId") or record.get("endZoneOffsetId"))
        origin = record["metadata"]["dataOriginPackageName"]
        for sample in record["samples"]:
            bpm = sample["beatsPerMinute"]
            if not 1 <= bpm <= 300:
                continue
            t = sample["timeEpochMillis"]
            day = datetime.fromtimestamp(t / 1000, tz=zone).date()
            key = (t, bpm)
            if key not in seen or origin < seen[key][2]:
                seen[key] = (t, bpm, origin, day)
    return sorted(seen.values(), key=lambda s: (s[0], s[1], s[2]))


def reference_resting(
    samples: list[tuple[int, float, str, date]],
    window: int = 30,
    min_window_minutes: int = 20,
    min_day_minutes: int = 288,
) -> dict[date, tuple[float, int, int] | None]:
    """Per day: (lowest window mean of minute means, first and last monitored minute of that
    window) or None."""
    per_day: dict[date, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    for t, bpm, _origin, day in samples:
        per_day[day][t // MINUTE].append(bpm)
    result: dict[date, tuple[float, int, int] | None] = {}
    for day, minutes in per_day.items():
        means = {m: sum(v) / len(v) for m, v in minutes.items()}
        if len(means) < min_day_minutes:
            result[day] = None
            continue
        best: tuple[float, int, int] | None = None
        for start in range(min(means) - window + 1, max(means) + 1):
            inside = [m for m in sorted(means) if start <= m < start + window]
            if len(inside) < min_window_minutes:
                continue
            mean = math.fsum(means[m] for m in inside) / len(inside)
            if best is None or mean < best[0]:
                best = (mean, inside[0], inside[-1])
        result[day] = best
    return result


def reference_runs(
    samples: list[tuple[int, float]],
    beyond: Any,
    min_minutes: float = 5,
    min_samples: int = 3,
    max_gap_minutes: float = 5,
) -> list[tuple[int, int, int]]:
    """(start, end, samples) of each sustained run, by splitting the series into segments."""
    segments: list[list[tuple[int, float]]] = []
    for t, bpm in samples:
        if not beyond(bpm):
            segments.append([])
            continue
        if not segments or not segments[-1] or t - segments[-1][-1][0] > max_gap_minutes * MINUTE:
            segments.append([])
        segments[-1].append((t, bpm))
    return [
        (seg[0][0], seg[-1][0], len(seg))
        for seg in segments
        if len(seg) >= min_samples and seg[-1][0] - seg[0][0] >= min_minutes * MINUTE
    ]


def reference_rmssd(records: list[dict[str, Any]]) -> dict[str, Any]:
    values = sorted(
        {
            (r["timeEpochMillis"], r["heartRateVariabilityRmssd"])
            for r in records
            if 1 <= r["heartRateVariabilityRmssd"] <= 200
        }
    )
    rmssd = [v for _t, v in values]
    nights = {
        (
            datetime.fromtimestamp(t / 1000, tz=offset_zone(r["zoneOffsetId"]))
            - timedelta(hours=12)
        ).date()
        for r in records
        for t in [r["timeEpochMillis"]]
    }
    return {
        "measurements": len(rmssd),
        "mean": sum(rmssd) / len(rmssd),
        "median": statistics.median(rmssd),
        "sd": statistics.stdev(rmssd),
        "ln_mean": sum(math.log(v) for v in rmssd) / len(rmssd),
        "nights": len(nights),
        "min": min(rmssd),
        "max": max(rmssd),
    }
