"""Builders of crafted Health Connect records for the heart-rate plugin's tests."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from typing import Any

from etl_core import Batch, ProcessResult, UserContext, ValidationReport
from etl_core.testing import build_batch, make_metadata
from etl_heartrate import plugin

# 2025-09-20 00:00:00 at -05:00, a local midnight the crafted series start from.
MIDNIGHT_MS = 1_758_344_400_000
MINUTE_MS = 60_000
SAMSUNG = "com.sec.android.app.shealth"
OURA = "com.ouraring.oura"

_ids = itertools.count()


def hr_record(
    samples: Sequence[tuple[int, float]],
    origin: str = SAMSUNG,
    offset: str | None = "-05:00",
    record_id: str | None = None,
) -> dict[str, Any]:
    """A HeartRateRecord holding ``samples`` as (epoch ms, bpm)."""
    times = [t for t, _ in samples] or [MIDNIGHT_MS]
    return {
        "metadata": make_metadata(record_id or f"hr-{next(_ids)}", origin=origin),
        "startTimeEpochMillis": min(times),
        "endTimeEpochMillis": max(times),
        "startZoneOffsetId": offset,
        "endZoneOffsetId": offset,
        "appRecordFetchTimeEpochMillis": 1_758_407_139_312,
        "samples": [{"timeEpochMillis": t, "beatsPerMinute": bpm} for t, bpm in samples],
    }


def minute_series(start_minute: int, bpms: Iterable[float]) -> list[tuple[int, float]]:
    """One sample per minute from ``start_minute`` minutes after the crafted midnight."""
    return [(MIDNIGHT_MS + (start_minute + i) * MINUTE_MS, bpm) for i, bpm in enumerate(bpms)]


def hrv_record(
    time_ms: int, rmssd: float, offset: str | None = "-05:00", origin: str = OURA
) -> dict[str, Any]:
    return {
        "metadata": make_metadata(f"hrv-{next(_ids)}", origin=origin),
        "timeEpochMillis": time_ms,
        "zoneOffsetId": offset,
        "heartRateVariabilityRmssd": rmssd,
        "appRecordFetchTimeEpochMillis": 1_758_407_139_312,
    }


def empty_report() -> ValidationReport:
    return ValidationReport(findings=(), scores={}, quality_score=1.0, threshold=0.0)


def process(
    record_type: str,
    records: Sequence[dict[str, Any]],
    age: int | None = None,
    user: UserContext | None = None,
) -> ProcessResult:
    """Run the plugin's ``etl_process`` hook on a crafted batch."""
    batch: Batch = build_batch(record_type, records, user=user or UserContext(age_years=age))
    spec = {s.name: s for s in plugin.etl_record_types()}[record_type]
    result = plugin.etl_process(batch=batch, spec=spec, validation=empty_report())
    assert result is not None
    return result
