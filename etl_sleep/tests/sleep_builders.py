"""Builders for crafted sleep sessions, in minutes from a fixed local evening."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from etl_core.testing import make_metadata

BASE_MS = 1_758_315_600_000
"""2025-09-19T16:00:00-05:00 (a Friday afternoon in the -05:00 offset)."""
MIN_MS = 60_000

StageTuple = tuple[str, float, float]
"""(stage name, start minute, end minute) relative to :data:`BASE_MS`."""


def at(minute: float) -> int:
    return BASE_MS + round(minute * MIN_MS)


def session(
    start_min: float,
    end_min: float,
    stages: Sequence[StageTuple] | None = (),
    *,
    origin: str = "com.sec.android.app.shealth",
    record_id: str | None = None,
    start_offset: str | None = "-05:00",
    end_offset: str | None = "-05:00",
) -> dict[str, Any]:
    """A SleepSessionRecord as the exporter decodes it."""
    return {
        "metadata": make_metadata(record_id or f"{origin}-{start_min}-{end_min}", origin),
        "title": None,
        "notes": None,
        "startTimeEpochMillis": at(start_min),
        "endTimeEpochMillis": at(end_min),
        "startZoneOffsetId": start_offset,
        "endZoneOffsetId": end_offset,
        "durationMillis": at(end_min) - at(start_min),
        "appRecordFetchTimeEpochMillis": BASE_MS + 86_400_000,
        "stages": [
            {"startTimeEpochMillis": at(s), "endTimeEpochMillis": at(e), "stage": name}
            for name, s, e in (stages or ())
        ],
    }


def contiguous(start_min: float, *pieces: tuple[str, float]) -> list[StageTuple]:
    """Touching stages from ``start_min``: ``contiguous(0, ("LIGHT", 30), ("DEEP", 60))``."""
    out: list[StageTuple] = []
    cursor = start_min
    for name, length in pieces:
        out.append((name, cursor, cursor + length))
        cursor += length
    return out
