"""Glucose readings extracted from decoded BloodGlucoseRecords, as time-ordered columns.

Columns rather than one object per reading: a year of 5-minute data is about 105,000 readings,
and per-reading objects cost more than every metric together.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from etl_core import Record
from etl_core.timeutil import UnknownZoneError, parse_offset

UNKNOWN = "UNKNOWN"


@dataclass(frozen=True, slots=True)
class GlucoseSeries:
    """Parallel columns, one entry per usable reading, sorted by instant."""

    epoch_ms: list[int]
    mg_dl: list[float]
    offset_ids: list[str | None]
    """Readable zone offset ids; ``None`` for ``Z``-like, absent or unreadable ones."""
    specimen_sources: list[str]
    meal_types: list[str]
    relations_to_meal: list[str]
    origins: list[str]

    def __len__(self) -> int:
        return len(self.epoch_ms)


def usable_offset(offset_id: object) -> str | None:
    """The record's zone offset id, or ``None`` when it is absent or unreadable (then the
    user's zone or UTC applies, as for ``Z``)."""
    if not isinstance(offset_id, str):
        return None
    try:
        parse_offset(offset_id)
    except UnknownZoneError:
        return None
    return offset_id


def _text(value: object) -> str:
    return value if isinstance(value, str) and value else UNKNOWN


def series_from_records(records: Iterable[Record]) -> GlucoseSeries:
    """Usable readings (an integer instant and a finite level) in time order; exports are
    usually, not always, sorted."""
    rows: list[tuple[int, float, str | None, str, str, str, str]] = []
    offsets: dict[object, str | None] = {}
    for record in records:
        instant = record.get("timeEpochMillis")
        raw_level = record.get("levelInMilligramsPerDeciliter")
        # exact type checks: bool is an int subclass and is never a glucose level
        if type(instant) is not int or type(raw_level) not in (float, int):
            continue
        level = float(raw_level)
        if not math.isfinite(level):
            continue
        raw_offset = record.get("zoneOffsetId")
        if raw_offset not in offsets:
            offsets[raw_offset] = usable_offset(raw_offset)
        metadata = record.get("metadata")
        origin = metadata.get("dataOriginPackageName") if isinstance(metadata, Mapping) else None
        rows.append((
            instant,
            level,
            offsets[raw_offset],
            _text(record.get("specimenSource")),
            _text(record.get("mealType")),
            _text(record.get("relationToMeal")),
            _text(origin),
        ))
    if any(rows[i][0] > rows[i + 1][0] for i in range(len(rows) - 1)):
        rows.sort(key=lambda row: row[0])
    return GlucoseSeries(
        epoch_ms=[row[0] for row in rows],
        mg_dl=[row[1] for row in rows],
        offset_ids=[row[2] for row in rows],
        specimen_sources=[row[3] for row in rows],
        meal_types=[row[4] for row in rows],
        relations_to_meal=[row[5] for row in rows],
        origins=[row[6] for row in rows],
    )
