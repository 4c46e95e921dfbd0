"""Flattening HeartRateRecord ``samples`` arrays into one time-ordered series."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, tzinfo
from operator import itemgetter
from typing import NamedTuple, TypeGuard

from etl_core import Record
from etl_core.contract.memo import RecordMemo
from etl_heartrate.localtime import local_days, record_offset_id, record_zone
from etl_heartrate.rules import PLAUSIBLE_TIME_MS, HeartRateRules

UNKNOWN_ORIGIN = "unknown source"
EARLIEST_MS, LATEST_MS = PLAUSIBLE_TIME_MS
DUPLICATE = "duplicate"
OUT_OF_RANGE = "out of range"
MALFORMED = "malformed"
"""Why a sample was left out (the keys of :meth:`SampleSeries.dropped_on`)."""


class HeartRateSample(NamedTuple):
    """One beats-per-minute reading at one instant, with the local day it belongs to.

    A named tuple rather than a dataclass: windows of weeks hold tens of thousands of samples,
    and a tuple is several times cheaper to create."""

    time_ms: int
    bpm: float
    origin: str
    day: date
    zone: tzinfo


@dataclass(frozen=True, slots=True)
class SampleSeries:
    """All usable samples of a batch, sorted by time, exact duplicates removed."""

    samples: list[HeartRateSample]
    records: int
    duplicates_dropped: int
    out_of_range_dropped: int
    malformed_dropped: int
    offset_ids: list[str | None]
    """The zone offset each record was read in (``None``: no real offset), for the
    ``timezone`` insight."""
    dropped_by_day: Mapping[tuple[date, str], int] = field(default_factory=dict)
    """Samples left out per (local day, reason). A sample without a plausible time has no day
    and counts only in the totals above."""

    def dropped_on(self, days: Iterable[date]) -> dict[str, int]:
        """Samples left out on ``days``, per reason (every reason present, zero or not)."""
        wanted = set(days)
        counts = dict.fromkeys((DUPLICATE, OUT_OF_RANGE, MALFORMED), 0)
        for (day, reason), count in self.dropped_by_day.items():
            if day in wanted:
                counts[reason] += count
        return counts

    def by_origin(self) -> dict[str, int]:
        """Kept samples per data origin (app package), largest first."""
        counts = Counter(sample.origin for sample in self.samples)
        return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def _is_instant(value: object) -> TypeGuard[int]:
    # ``type(...) is`` rather than isinstance: it is the hot loop, and it rejects bools too.
    return type(value) is int and EARLIEST_MS <= value < LATEST_MS


def _is_bpm(value: object) -> TypeGuard[float]:
    kind = type(value)
    # NaN is the one float unequal to itself.
    return kind is int or (kind is float and value == value)


class _RecordSamples(NamedTuple):
    """What one record contributes to a series, read once per rebuild pass."""

    samples: tuple[HeartRateSample, ...]
    malformed: int
    out_of_range: int
    left_out: tuple[tuple[date, str], ...]
    """(local day, reason) of each left-out sample that has a plausible time."""


def _read_record(record: Record, zone: tzinfo, low: float, high: float) -> _RecordSamples:
    """The samples of one record read in ``zone``, bpm valid between ``low`` and ``high``."""
    metadata = record.get("metadata")
    origin = UNKNOWN_ORIGIN
    if isinstance(metadata, Mapping) and isinstance(metadata.get("dataOriginPackageName"), str):
        origin = metadata["dataOriginPackageName"] or UNKNOWN_ORIGIN
    raw_samples = record.get("samples")
    if not isinstance(raw_samples, list):
        return _RecordSamples((), 0, 0, ())
    malformed = out_of_range = 0
    times: list[int] = []
    values: list[float] = []
    # Left-out samples that have a plausible time, so a calendar window can count its own.
    left_out_times: list[int] = []
    left_out_reasons: list[str] = []
    for item in raw_samples:
        if type(item) is not dict and not isinstance(item, Mapping):
            malformed += 1
            continue
        time_ms = item.get("timeEpochMillis")
        bpm = item.get("beatsPerMinute")
        if not _is_instant(time_ms):
            malformed += 1
            continue
        if not _is_bpm(bpm):
            malformed += 1
            left_out_times.append(time_ms)
            left_out_reasons.append(MALFORMED)
            continue
        if not low <= bpm <= high:
            out_of_range += 1
            left_out_times.append(time_ms)
            left_out_reasons.append(OUT_OF_RANGE)
            continue
        times.append(time_ms)
        values.append(bpm)
    make = HeartRateSample
    samples = tuple(
        make(time_ms, bpm, origin, day, zone)
        for time_ms, bpm, day in zip(times, values, local_days(times, zone), strict=True)
    )
    left_out: tuple[tuple[date, str], ...] = ()
    if left_out_times:
        left_out = tuple(zip(local_days(left_out_times, zone), left_out_reasons, strict=True))
    return _RecordSamples(samples, malformed, out_of_range, left_out)


_READ_RECORD = RecordMemo(_read_record, generation=5_000)
"""A record reads the same in every window of a pass (a day's samples sit in its day, its week
and the lookback of the weeks after): read once. A record without an offset of its own is read
in the person's zone, part of the key: core hands the windows of a pass one zone object until
the person's offsets change."""


def flatten_samples(
    records: Iterable[Record], user_zone: tzinfo | None, rules: HeartRateRules
) -> SampleSeries:
    """Every valid sample of ``records``, one entry per distinct (instant, bpm).

    A sample is dropped when its time or bpm is missing or not a number, or its time is not a
    plausible instant (``malformed``, see :data:`~etl_heartrate.rules.PLAUSIBLE_TIME_MS`), when
    the bpm lies outside the range Health Connect accepts (core keeps records whose array items
    are out of range, so this is where those items leave), or when another record already holds
    the same instant with the same bpm (overlapping exports of one measurement). Samples of
    different sources at the same instant with different values are both kept.
    """
    candidates: list[HeartRateSample] = []
    offset_ids: list[str | None] = []
    record_count = 0
    malformed = 0
    out_of_range = 0
    dropped_by_day: Counter[tuple[date, str]] = Counter()
    low, high = rules.valid_low_bpm, rules.valid_high_bpm
    for record in records:
        record_count += 1
        offset_id = record_offset_id(record, "startZoneOffsetId", "endZoneOffsetId")
        offset_ids.append(offset_id)
        zone = record_zone(offset_id, user_zone)
        read = _READ_RECORD(record, zone, low, high)
        candidates.extend(read.samples)
        malformed += read.malformed
        out_of_range += read.out_of_range
        if read.left_out:
            dropped_by_day.update(read.left_out)

    # Sorting by origin too makes the surviving copy of a duplicate independent of record order.
    candidates.sort(key=itemgetter(0, 1, 2))
    kept: list[HeartRateSample] = []
    duplicates = 0
    previous_time: int | None = None
    previous_bpm: float | None = None
    for sample in candidates:
        if sample.time_ms == previous_time and sample.bpm == previous_bpm:
            duplicates += 1
            dropped_by_day[(sample.day, DUPLICATE)] += 1
            continue
        previous_time, previous_bpm = sample.time_ms, sample.bpm
        kept.append(sample)
    return SampleSeries(
        samples=kept,
        records=record_count,
        duplicates_dropped=duplicates,
        out_of_range_dropped=out_of_range,
        malformed_dropped=malformed,
        offset_ids=offset_ids,
        dropped_by_day=dict(dropped_by_day),
    )
