"""Glucose readings extracted from decoded BloodGlucoseRecords, in time order."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from etl_core import Record
from etl_core.timeutil import UnknownZoneError, parse_offset

UNKNOWN = "UNKNOWN"


@dataclass(frozen=True, slots=True)
class Reading:
    epoch_ms: int
    mg_dl: float
    offset_id: str | None
    specimen_source: str
    meal_type: str
    relation_to_meal: str
    origin: str


def _enum_text(value: object) -> str:
    return value if isinstance(value, str) and value else UNKNOWN


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


def reading_from_record(record: Record) -> Reading | None:
    """One reading, or ``None`` when the record holds no usable instant or level."""
    instant = record.get("timeEpochMillis")
    level = record.get("levelInMilligramsPerDeciliter")
    if not isinstance(instant, int) or isinstance(instant, bool):
        return None
    if not isinstance(level, int | float) or isinstance(level, bool) or not math.isfinite(level):
        return None
    metadata = record.get("metadata") or {}
    origin = metadata.get("dataOriginPackageName") if isinstance(metadata, Mapping) else None
    return Reading(
        epoch_ms=instant,
        mg_dl=float(level),
        offset_id=usable_offset(record.get("zoneOffsetId")),
        specimen_source=_enum_text(record.get("specimenSource")),
        meal_type=_enum_text(record.get("mealType")),
        relation_to_meal=_enum_text(record.get("relationToMeal")),
        origin=origin if isinstance(origin, str) and origin else UNKNOWN,
    )


def readings_from_records(records: Iterable[Record]) -> list[Reading]:
    """Usable readings sorted by instant (exports are usually, not always, in order)."""
    readings = [r for r in map(reading_from_record, records) if r is not None]
    readings.sort(key=lambda r: r.epoch_ms)
    return readings
