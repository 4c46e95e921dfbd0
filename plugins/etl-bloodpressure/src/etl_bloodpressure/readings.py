"""Blood pressure readings out of decoded BloodPressureRecord records."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo

from etl_core import Record
from etl_core.contract.timeutil import UnknownZoneError, parse_offset, to_local

SYSTOLIC = "systolicInMillimetersOfMercury"
DIASTOLIC = "diastolicInMillimetersOfMercury"


@dataclass(frozen=True, slots=True)
class Reading:
    time_ms: int
    offset_id: str | None
    systolic: float
    diastolic: float
    body_position: str
    measurement_location: str

    def local_time(self, user_zone: tzinfo | None) -> datetime:
        return to_local(self.time_ms, self.offset_id, user_zone)


def usable_offset(offset_id: object) -> str | None:
    """The record's zone offset id if core's time rule can read it, else ``None``."""
    if not isinstance(offset_id, str):
        return None
    try:
        parse_offset(offset_id)
    except UnknownZoneError:
        return None
    return offset_id


def _finite(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def is_inverted(record: Record) -> bool:
    """Diastolic at or above systolic: a measurement or entry error, never physiology."""
    systolic, diastolic = _finite(record.get(SYSTOLIC)), _finite(record.get(DIASTOLIC))
    return systolic is not None and diastolic is not None and diastolic >= systolic


def readings_from_records(records: Iterable[Record]) -> list[Reading]:
    """Readings in time order. Records without a time or a finite pair of values, or with an
    inverted pair, are skipped (validation has already reported them)."""
    readings = []
    for record in records:
        time_ms = record.get("timeEpochMillis")
        systolic, diastolic = _finite(record.get(SYSTOLIC)), _finite(record.get(DIASTOLIC))
        if not isinstance(time_ms, int) or systolic is None or diastolic is None:
            continue
        if diastolic >= systolic:
            continue
        readings.append(
            Reading(
                time_ms=time_ms,
                offset_id=usable_offset(record.get("zoneOffsetId")),
                systolic=systolic,
                diastolic=diastolic,
                body_position=str(record.get("bodyPosition") or "UNKNOWN"),
                measurement_location=str(record.get("measurementLocation") or "UNKNOWN"),
            )
        )
    readings.sort(key=lambda reading: reading.time_ms)
    return readings
