"""Local-day totals of interval records (steps, active energy), one source per day.

- An interval is read in the zone of its start offset (the core rule in
  :mod:`etl_core.contract.timeutil`) and cut at each local midnight; each piece carries the share of
  the record's amount proportional to its duration.
- Pieces from one source that overlap in time are not added: on every stretch of time covered
  by several of them, the one with the highest rate counts (a duplicate record therefore
  counts once, and a record nested in a longer one is not counted twice).
- Sources are never added either: :class:`~etl_activity.source_rule.SourceRule` picks one.
- A day is *partial* when it was still in progress at the data's fetch time: the local day
  ends after the latest ``appRecordFetchTimeEpochMillis`` of the records touching it, or one
  of those records ends after its own fetch time.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from itertools import pairwise
from typing import Any

from etl_activity.source_rule import Candidate, Criterion, SourceRule
from etl_core.contract.timeutil import readable_offset, resolve_tz, split_by_local_day

UNKNOWN_SOURCE = "unknown"


@dataclass(frozen=True, slots=True)
class Interval:
    """One record reduced to what daily totals need."""

    source: str
    start_ms: int
    end_ms: int
    amount: float
    tz: tzinfo
    fetch_ms: int | None

    @property
    def duration_ms(self) -> int:
        return self.end_ms - self.start_ms


@dataclass(frozen=True, slots=True)
class Piece:
    """The part of one interval that falls on one local day."""

    start_ms: int
    end_ms: int
    interval: Interval

    @property
    def amount(self) -> float:
        """This piece's share of the record's amount, by duration."""
        if self.start_ms == self.interval.start_ms and self.end_ms == self.interval.end_ms:
            return self.interval.amount  # exact, with no float round trip
        return self.interval.amount * (self.end_ms - self.start_ms) / self.interval.duration_ms


@dataclass(frozen=True, slots=True)
class SourceDay:
    """What one source reports for one local day."""

    source: str
    amount: float
    covered_ms: int
    records: int
    overlap_ms: int
    """Time counted by more than one of this source's records (resolved, not added)."""


@dataclass(frozen=True, slots=True)
class DayTotal:
    day: date
    chosen: SourceDay
    others: tuple[SourceDay, ...]
    """The sources not used, best ranked first."""
    decided_by: Criterion
    partial: bool


def intervals_from_records(
    records: Iterable[Mapping[str, Any]], value_field: str, user_zone: tzinfo | None
) -> list[Interval]:
    """Records with a usable interval (end after start) and a numeric amount."""
    intervals = []
    for record in records:
        start, end = record.get("startTimeEpochMillis"), record.get("endTimeEpochMillis")
        amount = record.get(value_field)
        if not (isinstance(start, int) and isinstance(end, int) and end > start):
            continue
        if not isinstance(amount, int | float) or isinstance(amount, bool):
            continue
        if not math.isfinite(amount):
            continue
        metadata = record.get("metadata") or {}
        source = str(metadata.get("dataOriginPackageName") or UNKNOWN_SOURCE)
        fetch = record.get("appRecordFetchTimeEpochMillis")
        intervals.append(
            Interval(
                source=source,
                start_ms=start,
                end_ms=end,
                amount=float(amount),
                tz=resolve_tz(readable_offset(record.get("startZoneOffsetId")), user_zone),
                fetch_ms=fetch if isinstance(fetch, int) else None,
            )
        )
    return intervals


def local_day_end_ms(day: date, tz: tzinfo) -> int:
    """The instant the local day ends (the next local midnight)."""
    midnight = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    return int(midnight.timestamp() * 1000)


def covered_ms(pieces: Sequence[Piece]) -> int:
    """Length of the union of the pieces' time spans."""
    total = 0
    reach = None
    for piece in sorted(pieces, key=lambda p: p.start_ms):
        if reach is None or piece.start_ms >= reach:
            total += piece.end_ms - piece.start_ms
            reach = piece.end_ms
        elif piece.end_ms > reach:
            total += piece.end_ms - reach
            reach = piece.end_ms
    return total


def combined_amount(pieces: Sequence[Piece]) -> float:
    """One source's amount over its pieces, overlapping stretches counted once at the highest
    rate among the pieces covering them."""
    ordered = sorted(pieces, key=lambda p: (p.start_ms, p.end_ms))
    if all(a.end_ms <= b.start_ms for a, b in pairwise(ordered)):
        return sum(piece.amount for piece in ordered)
    boundaries = sorted({p.start_ms for p in ordered} | {p.end_ms for p in ordered})
    total = 0.0
    active: list[Piece] = []
    next_index = 0
    for seg_start, seg_end in pairwise(boundaries):
        while next_index < len(ordered) and ordered[next_index].start_ms <= seg_start:
            active.append(ordered[next_index])
            next_index += 1
        active = [p for p in active if p.end_ms > seg_start]
        if active:
            length = seg_end - seg_start
            total += max(p.interval.amount * length / p.interval.duration_ms for p in active)
    return total


def _source_day(source: str, pieces: Sequence[Piece]) -> SourceDay:
    covered = covered_ms(pieces)
    return SourceDay(
        source=source,
        amount=combined_amount(pieces),
        covered_ms=covered,
        records=len({id(p.interval) for p in pieces}),
        overlap_ms=sum(p.end_ms - p.start_ms for p in pieces) - covered,
    )


def _is_partial(day: date, touching: Sequence[Interval]) -> bool:
    fetches = [iv.fetch_ms for iv in touching if iv.fetch_ms is not None]
    if not fetches:
        return False  # no fetch time: nothing says the day was still running
    if any(iv.fetch_ms is not None and iv.end_ms > iv.fetch_ms for iv in touching):
        return True
    latest_fetch = max(fetches)
    return any(local_day_end_ms(day, tz) > latest_fetch for tz in {iv.tz for iv in touching})


def daily_totals(intervals: Iterable[Interval], rule: SourceRule) -> list[DayTotal]:
    """One total per local day, by date."""
    pieces_by_day: dict[date, dict[str, list[Piece]]] = defaultdict(lambda: defaultdict(list))
    touching: dict[date, list[Interval]] = defaultdict(list)
    for interval in intervals:
        for share in split_by_local_day(interval.start_ms, interval.end_ms, interval.tz):
            if share.end_ms == share.start_ms:
                continue
            pieces_by_day[share.day][interval.source].append(
                Piece(share.start_ms, share.end_ms, interval)
            )
            touching[share.day].append(interval)
    totals = []
    for day in sorted(pieces_by_day):
        by_source = {
            source: _source_day(source, pieces)
            for source, pieces in sorted(pieces_by_day[day].items())
        }
        winner, decided_by = rule.choose(
            [Candidate(s.source, s.covered_ms) for s in by_source.values()]
        )
        ranked_others = sorted(
            (s for s in by_source.values() if s.source != winner.source),
            key=lambda s: rule.rank_key(Candidate(s.source, s.covered_ms)),
        )
        totals.append(
            DayTotal(
                day=day,
                chosen=by_source[winner.source],
                others=tuple(ranked_others),
                decided_by=decided_by,
                partial=_is_partial(day, touching[day]),
            )
        )
    return totals
