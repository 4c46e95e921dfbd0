"""The readings of one calendar window, each with its local wall-clock time.

A reading's local time is its own zone offset when it has a real one, else the person's zone
(``window.user.timezone``: the offset core inferred from their other records, or the
configured zone), else UTC: the shared rule of :mod:`etl_core.contract.timeutil`. The real CGM
exports
carry ``zoneOffsetId: "Z"``, so their clock always comes from the person's zone.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from etl_core import Record
from etl_core.contract.memo import RecordMemo
from etl_core.contract.timeutil import PersonZone, constant_offset, readable_offset, resolve_tz
from etl_glucose.rules import PLAUSIBLE_MG_DL


@dataclass(frozen=True, slots=True)
class LocalReadings:
    """Parallel columns, one entry per usable reading, sorted by instant (one per instant)."""

    epoch_ms: list[int]
    mg_dl: list[float]
    local: list[datetime]
    """Aware local times (the reading's own offset, else the person's zone, else UTC)."""
    excluded: int
    """Readings of the span left out for a level outside the plausible range."""

    def __len__(self) -> int:
        return len(self.epoch_ms)

    def wall(self, index: int) -> datetime:
        return self.local[index].replace(tzinfo=None)

    def offsets(self) -> list[str]:
        """The distinct UTC offsets the local times use, as ``-05:00``."""
        deltas: set[timedelta | None] = set()
        constant: set[tzinfo] = set()
        for moment in self.local:
            clock = moment.tzinfo
            # A clock with one offset at every instant is asked once (a window holds up to
            # thousands of readings, and the person's zone otherwise answers per instant).
            if clock in constant:
                continue
            if clock is not None and constant_offset(clock) is not None:
                constant.add(clock)
            deltas.add(moment.utcoffset())
        return sorted({offset_label(delta) for delta in deltas})


def offset_label(delta: timedelta | None) -> str:
    """``-05:00`` for an offset five hours behind UTC."""
    minutes = int((delta or timedelta(0)).total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


_Reading = tuple[int, float | None, datetime, datetime]
"""A record's instant, its level (``None`` when implausible), its aware local time and its
wall-clock time."""


def _reading(record: Record, zone: tzinfo | None) -> _Reading | None:
    """One record as a reading, or ``None`` when it has no instant or no numeric level."""
    instant = record.get("timeEpochMillis")
    level = record.get("levelInMilligramsPerDeciliter")
    if not isinstance(instant, int) or isinstance(instant, bool):
        return None
    if not isinstance(level, int | float) or isinstance(level, bool):
        return None
    clock = resolve_tz(readable_offset(record.get("zoneOffsetId")), zone)
    shift = constant_offset(clock)
    if shift is None and type(clock) is PersonZone:
        # What fromtimestamp would build through the zone's fromutc, without the round trip
        # through Python: the person's offset at this instant, memoised by hour.
        utc = datetime.fromtimestamp(instant / 1000, tz=UTC).replace(tzinfo=None)
        wall = utc + clock.offset_at(instant)
        # The fold tells the two readings of a repeated hour apart (their offsets differ).
        moment = wall.replace(tzinfo=clock, fold=clock.fold_at(instant))
    elif shift is None:
        moment = datetime.fromtimestamp(instant / 1000, tz=clock)
        wall = moment.replace(tzinfo=None)
    else:
        # The same local time, without asking the clock per reading: UTC plus its offset.
        wall = datetime.fromtimestamp(instant / 1000, tz=UTC).replace(tzinfo=None) + shift
        moment = wall.replace(tzinfo=clock)
    value = float(level)
    # A non-finite or implausible level is a transfer error, not a glucose level.
    plausible = math.isfinite(value) and value in PLAUSIBLE_MG_DL
    return instant, value if plausible else None, moment, wall


_READINGS = RecordMemo(_reading, generation=10_000)
"""Each record read once per rebuild pass: a reading sits in its day, its report window and the
next report window's comparison, and placing it in local time is most of reading it."""


def local_readings(
    records: Iterable[Record], start: datetime, end: datetime, zone: tzinfo | None
) -> LocalReadings:
    """Readings whose local wall-clock time lies in ``[start, end)`` (naive local times).

    Two records of one instant (the same reading written by two apps) count once: the first
    plausible one in ``records`` order, which core makes independent of file order.
    """
    rows: dict[int, tuple[float, datetime] | None] = {}
    for found in _READINGS.each(records, zone):
        if found is None:
            continue
        instant, value, moment, wall = found
        if rows.get(instant) or not start <= wall < end:
            continue
        rows[instant] = (value, moment) if value is not None else None
    kept = sorted((instant, row) for instant, row in rows.items() if row is not None)
    return LocalReadings(
        epoch_ms=[instant for instant, _ in kept],
        mg_dl=[row[0] for _, row in kept],
        local=[row[1] for _, row in kept],
        excluded=sum(1 for row in rows.values() if row is None),
    )
