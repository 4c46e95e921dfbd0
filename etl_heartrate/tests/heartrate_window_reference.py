"""Plain reference computations for the calendar windows, written from the definitions in the
README (clinical.md) without the plugin's code: raw records in, expected window values out.

Rounding follows the README: bpm, ms and minutes to 0.1, ln RMSSD to 0.01; medians and
differences are taken of the displayed daily or nightly values where the README says so.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from heartrate_reference import offset_zone, reference_resting, reference_runs, reference_samples

Record = dict[str, Any]


def newest_per_id(records: Iterable[Record]) -> list[Record]:
    """One version per ``metadata.id``: the one with the latest ``lastModifiedTimeEpochMillis``."""
    chosen: dict[str, Record] = {}
    for record in records:
        rid = record["metadata"]["id"]
        held = chosen.get(rid)
        modified = record["metadata"]["lastModifiedTimeEpochMillis"]
        if held is None or modified > held["metadata"]["lastModifiedTimeEpochMillis"]:
            chosen[rid] = record
    return list(chosen.values())


def days(first: date, count: int) -> list[date]:
    return [first + timedelta(days=i) for i in range(count)]


def local_wall_time(epoch_ms: int, offset_id: str | None) -> datetime:
    """The wall-clock time of an instant in its record's own offset (UTC without one)."""
    return datetime.fromtimestamp(epoch_ms / 1000, tz=offset_zone(offset_id)).replace(tzinfo=None)


def records_touching(records: Iterable[Record], start: datetime, end: datetime) -> int:
    """How many distinct records (one per ``metadata.id``) have a local span, both ends
    included, that touches the wall-clock interval from ``start`` up to ``end``."""
    count = 0
    for record in newest_per_id(records):
        if "timeEpochMillis" in record:
            first = last = local_wall_time(record["timeEpochMillis"], record["zoneOffsetId"])
        else:
            first = local_wall_time(record["startTimeEpochMillis"], record["startZoneOffsetId"])
            last = local_wall_time(record["endTimeEpochMillis"], record["endZoneOffsetId"])
        count += first < end and last >= start
    return count


# -- heart rate ---------------------------------------------------------------------------------


class HeartRateReference:
    """Every expected heart-rate window value of one person's records."""

    def __init__(self, records: list[Record]) -> None:
        self.samples = reference_samples(records)
        self.by_day: dict[date, list[tuple[int, float, str, date]]] = defaultdict(list)
        for sample in self.samples:
            self.by_day[sample[3]].append(sample)
        self.resting = reference_resting(self.samples)
        self.zone_of = {}
        for record in records:
            zone = offset_zone(record.get("startZoneOffsetId") or record.get("endZoneOffsetId"))
            for sample in record["samples"]:
                self.zone_of[sample["timeEpochMillis"]] = zone

    def resting_value(self, day: date) -> float | None:
        found = self.resting.get(day)
        return None if found is None else round(found[0], 1)

    def day(self, day: date) -> dict[str, Any]:
        samples = self.by_day.get(day, [])
        values = [bpm for _t, bpm, _o, _d in samples]
        minutes = {t // 60_000 for t, _b, _o, _d in samples}
        resting = self.resting.get(day)
        zone = self.zone_of[samples[0][0]] if samples else offset_zone(None)

        def clock_of(minute: int) -> str:
            return datetime.fromtimestamp(minute * 60, tz=zone).strftime("%H:%M")

        previous = self.resting_value(day - timedelta(days=1))
        today = self.resting_value(day)
        series = [(t, bpm) for t, bpm, _o, _d in samples]
        return {
            "samples": len(samples),
            "monitored_minutes": len(minutes),
            "coverage_percent": round(100 * len(minutes) / 1440, 1),
            "mean_bpm": round(math.fsum(values) / len(values), 1) if values else None,
            "min_bpm": min(values) if values else None,
            "max_bpm": max(values) if values else None,
            "resting_bpm": today,
            "resting_from": None if resting is None else clock_of(resting[1]),
            "resting_to": None if resting is None else clock_of(resting[2] + 1),
            "previous_resting_bpm": previous,
            "change": (
                round(today - previous, 1) if today is not None and previous is not None else None
            ),
            "tachycardia": reference_runs(series, lambda bpm: bpm > 100),
            "bradycardia": reference_runs(series, lambda bpm: bpm < 50),
            "above_100": sum(1 for v in values if v > 100),
            "below_50": sum(1 for v in values if v < 50),
            "zone": zone,
        }

    def week(self, monday: date) -> dict[str, Any]:
        values = {
            day: value
            for day in days(monday - timedelta(days=28), 35)
            if (value := self.resting_value(day)) is not None
        }
        return reference_trend(values, monday)


def reference_trend(values: dict[date, float], monday: date) -> dict[str, Any]:
    """The week from ``monday`` against the median of the 28 days before it (>= 14 values),
    its change only with >= 5 values this week; ``values`` are displayed daily resting values."""

    def taken(first: date, count: int) -> list[float]:
        return [values[d] for d in days(first, count) if d in values]

    week = taken(monday, 7)
    baseline_values = taken(monday - timedelta(days=28), 28)
    previous = taken(monday - timedelta(days=7), 7)
    median = round(statistics.median(week), 1) if week else None
    baseline = round(statistics.median(baseline_values), 1) if len(baseline_values) >= 14 else None
    enough = len(week) >= 5
    change = (
        round(median - baseline, 1)
        if enough and baseline is not None and median is not None
        else None
    )
    previous_median = round(statistics.median(previous), 1) if previous else None
    return {
        "daily": [values.get(d) for d in days(monday, 7)],
        "days_with_resting": len(week),
        "median": median,
        "baseline_days": len(baseline_values),
        "baseline": baseline,
        "change": change,
        "notable": change is not None and change >= 5,
        "days_above": (
            sum(1 for v in week if round(v - baseline, 1) >= 5)
            if change is not None and baseline is not None
            else None
        ),
        "previous_median": previous_median,
        "previous_days": len(previous),
        "change_from_previous": (
            round(median - previous_median, 1)
            if enough and len(previous) >= 5 and median is not None and previous_median is not None
            else None
        ),
    }


# -- HRV ----------------------------------------------------------------------------------------


class HrvReference:
    """Every expected HRV window value of one person's records."""

    def __init__(self, records: list[Record]) -> None:
        kept = {
            (r["timeEpochMillis"], r["heartRateVariabilityRmssd"]): r
            for r in records
            if 1 <= r["heartRateVariabilityRmssd"] <= 200
        }
        self.by_night: dict[date, list[float]] = defaultdict(list)
        for (t, value), record in sorted(kept.items(), key=lambda item: item[0]):
            local = datetime.fromtimestamp(t / 1000, tz=offset_zone(record["zoneOffsetId"]))
            self.by_night[(local - timedelta(hours=12)).date()].append(value)
        self.nightly = {
            night: math.fsum(math.log(v) for v in values) / len(values)
            for night, values in self.by_night.items()
        }

    def night(self, night: date) -> dict[str, Any] | None:
        if night not in self.nightly:
            return None
        values = self.by_night[night]
        return {
            "measurements": len(values),
            "mean_rmssd_ms": round(math.fsum(values) / len(values), 1),
            **reference_judgement(self.nightly, night),
        }

    def week(self, monday: date) -> dict[str, Any]:
        def part(first: date) -> dict[str, Any]:
            nights = [n for n in days(first, 7) if n in self.nightly]
            judged = {n: self.night(n) for n in nights}
            mean = (
                round(math.fsum(self.nightly[n] for n in nights) / len(nights), 2)
                if len(nights) >= 3
                else None
            )
            newest_first = sorted(nights, reverse=True)
            return {
                "nights": nights,
                "ln_mean": mean,
                "above": [n.isoformat() for n in newest_first if judged[n]["status"] == "above"],
                "below": [n.isoformat() for n in newest_first if judged[n]["status"] == "below"],
            }

        this, previous = part(monday), part(monday - timedelta(days=7))
        change = (
            round(this["ln_mean"] - previous["ln_mean"], 2)
            if this["ln_mean"] is not None and previous["ln_mean"] is not None
            else None
        )
        return {"this": this, "previous": previous, "change": change}


def reference_judgement(nightly: dict[date, float], night: date) -> dict[str, Any]:
    """Night ``night``: its rolling mean over nights N-6..N (>= 3), its band from nights
    N-34..N-7 (>= 14, mean +- 0.5 sample SD) and its status, as displayed (two decimals)."""
    rolling = [nightly[n] for n in days(night - timedelta(days=6), 7) if n in nightly]
    band_nights = [nightly[n] for n in days(night - timedelta(days=34), 28) if n in nightly]
    rolling_mean = round(math.fsum(rolling) / len(rolling), 2) if len(rolling) >= 3 else None
    low = high = None
    if len(band_nights) >= 14:
        mean = math.fsum(band_nights) / len(band_nights)
        sd = statistics.stdev(band_nights)
        low, high = round(mean - 0.5 * sd, 2), round(mean + 0.5 * sd, 2)
    status = None
    if rolling_mean is not None and low is not None and high is not None:
        status = "below" if rolling_mean < low else "above" if rolling_mean > high else "within"
    return {
        "ln_rmssd": round(nightly[night], 2),
        "rolling_nights": len(rolling),
        "rolling_ln_mean": rolling_mean,
        "band_nights": len(band_nights),
        "band_ln_low": low,
        "band_ln_high": high,
        "status": status,
    }
