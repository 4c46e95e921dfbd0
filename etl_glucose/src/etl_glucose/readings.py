"""Glucose readings extracted from decoded BloodGlucoseRecords, as time-ordered columns.

Columns rather than one object per reading: a year of 5-minute data is about 105,000 readings,
and per-reading objects cost more than every metric together.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from etl_core import Record
from etl_core.contract.timeutil import readable_offset

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

    def columns(self) -> tuple[list[Any], ...]:
        return (
            self.epoch_ms,
            self.mg_dl,
            self.offset_ids,
            self.specimen_sources,
            self.meal_types,
            self.relations_to_meal,
            self.origins,
        )


def _text(value: object) -> str:
    return value if isinstance(value, str) and value else UNKNOWN


def series_from_records(records: Iterable[Record]) -> GlucoseSeries:
    """Usable readings (an integer instant and a finite level) in time order; exports are
    usually, not always, sorted."""
    series = GlucoseSeries([], [], [], [], [], [], [])
    offsets: dict[object, str | None] = {}
    for record in records:
        instant = record.get("timeEpochMillis")
        raw_level = record.get("levelInMilligramsPerDeciliter")
        if (
            not isinstance(instant, int)
            or not isinstance(raw_level, int | float)
            # bool is an int subclass and is never an instant or a glucose level
            or isinstance(instant, bool)
            or isinstance(raw_level, bool)
        ):
            continue
        level = float(raw_level)
        if not math.isfinite(level):
            continue
        raw_offset = record.get("zoneOffsetId")
        if raw_offset not in offsets:
            offsets[raw_offset] = readable_offset(raw_offset)
        metadata = record.get("metadata")
        origin = metadata.get("dataOriginPackageName") if isinstance(metadata, Mapping) else None
        series.epoch_ms.append(instant)
        series.mg_dl.append(level)
        series.offset_ids.append(offsets[raw_offset])
        series.specimen_sources.append(_text(record.get("specimenSource")))
        series.meal_types.append(_text(record.get("mealType")))
        series.relations_to_meal.append(_text(record.get("relationToMeal")))
        series.origins.append(_text(origin))
    times = series.epoch_ms
    if all(a <= b for a, b in pairwise(times)):
        return series
    order = sorted(range(len(times)), key=times.__getitem__)
    return GlucoseSeries(*([column[i] for i in order] for column in series.columns()))
