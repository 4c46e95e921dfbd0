"""Plain reference computations for the window tests, independent of the plugin's code.

From decoded records: one version per ``metadata.id`` (the newest ``lastModified``, then the
latest fetch), local days by arithmetic on each record's fixed offset, each record's amount
shared among the local days it touches by overlap, per day and app the sum of the shares (the
reference only takes records of one app that do not overlap each other), the app covering most
of the day (to the nearest minute) and then the package name, partial days by the fetch rule,
and the week's figures by their definitions (clinical.md, "Activity" and "Longitudinal
windows").
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Any

from activity_reference import offset_minutes

MINUTE_MS = 60_000
DAY_MS = 86_400_000


def _version(record: dict[str, Any]) -> tuple[int, int]:
    return record["metadata"]["lastModifiedTimeEpochMillis"], record[
        "appRecordFetchTimeEpochMillis"
    ]


def newest_per_id(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The newest version of each ``metadata.id``: modified last, and of two modified at the
    same instant the one fetched last (the real exports refetch 20 September three times)."""
    newest: dict[str, dict[str, Any]] = {}
    for record in records:
        rid = record["metadata"]["id"]
        held = newest.get(rid)
        if held is None or _version(record) > _version(held):
            newest[rid] = record
    return list(newest.values())


def local_midnight_ms(day: date, offset: int) -> int:
    """Epoch ms of local midnight starting ``day`` at a fixed offset (minutes east of UTC)."""
    utc_midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return int(utc_midnight.timestamp() * 1000) - offset * MINUTE_MS


def local_day_of(epoch_ms: int, offset: int) -> date:
    return (datetime.fromtimestamp(epoch_ms / 1000, tz=UTC) + timedelta(minutes=offset)).date()


@dataclass
class SourceDay:
    amount: float = 0.0
    covered_ms: int = 0
    spans: list[tuple[int, int]] = field(default_factory=list)


@dataclass(frozen=True)
class RefDay:
    day: date
    source: str
    amount: float
    others: dict[str, float]
    partial: bool


def reference_days(records: list[dict[str, Any]], value_field: str) -> dict[date, RefDay]:
    per_day: dict[date, dict[str, SourceDay]] = defaultdict(lambda: defaultdict(SourceDay))
    touching: dict[date, list[dict[str, Any]]] = defaultdict(list)
    offsets: dict[date, set[int]] = defaultdict(set)
    for record in records:
        start, end = record["startTimeEpochMillis"], record["endTimeEpochMillis"]
        if end <= start:
            continue
        offset = offset_minutes(record["startZoneOffsetId"])
        source = record["metadata"]["dataOriginPackageName"]
        day = local_day_of(start, offset)
        while local_midnight_ms(day, offset) < end:
            lo = max(start, local_midnight_ms(day, offset))
            hi = min(end, local_midnight_ms(day + timedelta(days=1), offset))
            if hi > lo:
                entry = per_day[day][source]
                entry.amount += record[value_field] * (hi - lo) / (end - start)
                entry.covered_ms += hi - lo
                entry.spans.append((lo, hi))
                touching[day].append(record)
                offsets[day].add(offset)
            day += timedelta(days=1)
    days = {}
    for day, by_source in per_day.items():
        for entry in by_source.values():  # the reference's own limit: no overlap in one app
            spans = sorted(entry.spans)
            assert all(a[1] <= b[0] for a, b in pairwise(spans))
        ranked = sorted(by_source, key=lambda s: (-round(by_source[s].covered_ms / MINUTE_MS), s))
        latest_fetch = max(r["appRecordFetchTimeEpochMillis"] for r in touching[day])
        partial = any(
            local_midnight_ms(day + timedelta(days=1), offset) > latest_fetch
            for offset in offsets[day]
        ) or any(
            r["endTimeEpochMillis"] > r["appRecordFetchTimeEpochMillis"] for r in touching[day]
        )
        days[day] = RefDay(
            day=day,
            source=ranked[0],
            amount=by_source[ranked[0]].amount,
            others={s: by_source[s].amount for s in ranked[1:]},
            partial=partial,
        )
    return days


def reported(value: float, unit: str) -> float:
    """A day's amount as reported: whole steps, kcal to one decimal."""
    return round(value) if unit == "steps" else round(value, 1)


def age_range(age: int | None) -> tuple[int, int] | None:
    """Paluch 2022: 6,000-8,000 a day at 60 and over, 8,000-10,000 under 60."""
    if age is None:
        return None
    return (6000, 8000) if age >= 60 else (8000, 10000)


def position(steps: int, bounds: tuple[int, int]) -> str:
    low, high = bounds
    return "below" if steps < low else "within" if steps <= high else "above"


@dataclass(frozen=True)
class RefWeek:
    complete: list[RefDay]
    partial: list[RefDay]
    missing: list[date]
    not_reached: list[date]
    mean: int | None
    sufficient: bool
    within: int | None
    below: int | None
    above: int | None
    mean_position: str | None
    previous_complete: int | None
    previous_mean: int | None
    change: tuple[int, int | None, str] | None


def _week_mean(days: list[RefDay]) -> int | None:
    return round(sum(d.amount for d in days) / len(days)) if days else None


def reference_week(
    days: dict[date, RefDay],
    monday: date,
    latest_fetch_date: date,
    age: int | None,
    unit: str,
    with_previous: bool = True,
) -> RefWeek:
    week = [monday + timedelta(days=i) for i in range(7)]
    held = [days[d] for d in week if d in days]
    complete = [d for d in held if not d.partial]
    partial = [d for d in held if d.partial]
    missing = [d for d in week if d not in days and d <= latest_fetch_date]
    not_reached = [d for d in week if d not in days and d > latest_fetch_date]
    mean = _week_mean(complete)
    sufficient = len(complete) >= 5
    bounds = age_range(age) if unit == "steps" else None
    counts: dict[str, int] = {"below": 0, "within": 0, "above": 0}
    if bounds is not None:
        for day in complete:
            counts[position(round(day.amount), bounds)] += 1
    previous_days = [
        days[d] for d in (monday - timedelta(days=7 - i) for i in range(7)) if d in days
    ]
    previous_complete = [d for d in previous_days if not d.partial]
    has_previous = with_previous and bool(previous_days)
    previous_mean = _week_mean(previous_complete) if has_previous else None
    change = None
    if has_previous and sufficient and len(previous_complete) >= 5:
        assert mean is not None and previous_mean is not None
        diff = mean - previous_mean
        direction = "higher" if diff > 0 else "lower" if diff < 0 else "unchanged"
        percent = None if previous_mean == 0 else round(100 * abs(diff) / previous_mean)
        change = (abs(diff), percent, direction)
    return RefWeek(
        complete=complete,
        partial=partial,
        missing=missing,
        not_reached=not_reached,
        mean=mean,
        sufficient=sufficient,
        within=None if bounds is None else counts["within"],
        below=None if bounds is None else counts["below"],
        above=None if bounds is None else counts["above"],
        mean_position=(
            position(mean, bounds)
            if bounds is not None and sufficient and mean is not None
            else None
        ),
        previous_complete=len(previous_complete) if has_previous else None,
        previous_mean=previous_mean,
        change=change,
    )
