"""Shared builders for crafted glucose records."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, tzinfo
from typing import Any

from etl_core import Batch, ProcessResult, UserContext, ValidationReport, Window, WindowRule
from etl_core.contract.windows import build_window
from etl_core.testing import build_batch, make_metadata

FIVE_MIN_MS = 300_000
START_MS = 1_758_326_400_000
"""2025-09-20T00:00:00Z."""

NO_FINDINGS = ValidationReport(findings=[], scores={}, quality_score=1.0, threshold=0.7)


def glucose_record(
    epoch_ms: int,
    mg_dl: float,
    *,
    offset: str | None = "Z",
    relation: str = "UNKNOWN",
    meal: str = "UNKNOWN",
    specimen: str = "INTERSTITIAL_FLUID",
    record_id: str | None = None,
) -> dict[str, Any]:
    return {
        "metadata": make_metadata(record_id or f"g-{epoch_ms}", origin="com.example.cgm"),
        "timeEpochMillis": epoch_ms,
        "zoneOffsetId": offset,
        "levelInMilligramsPerDeciliter": float(mg_dl),
        "specimenSource": specimen,
        "mealType": meal,
        "relationToMeal": relation,
        "appRecordFetchTimeEpochMillis": epoch_ms + 3_600_000,
    }


def trace(
    values: Sequence[float],
    *,
    start_ms: int = START_MS,
    step_ms: int = FIVE_MIN_MS,
    offset: str | None = "Z",
) -> list[dict[str, Any]]:
    """Records one every ``step_ms`` from ``start_ms``."""
    return [glucose_record(start_ms + i * step_ms, v, offset=offset) for i, v in enumerate(values)]


def glucose_batch(records: Sequence[dict[str, Any]], user: UserContext | None = None) -> Batch:
    return build_batch("BloodGlucoseRecord", records, user=user)


def reference_events(
    values: Sequence[float], threshold: float, above: bool = False
) -> list[tuple[int, int, float]]:
    """A streaming reading of the consensus rule on a gapless 5-minute grid: an event starts
    once three consecutive readings are beyond the threshold and ends at the first of three
    consecutive readings back on the other side. Returns (first index, last index beyond,
    nadir or peak)."""
    need = 3
    extreme = max if above else min
    events: list[tuple[int, int, float]] = []
    beyond_run = back_run = 0
    start = last_beyond = -1
    in_event = False
    for i, value in enumerate(values):
        if (value > threshold) if above else (value < threshold):
            beyond_run += 1
            back_run = 0
            if in_event:
                last_beyond = i
            elif beyond_run >= need:
                in_event, start, last_beyond = True, i - need + 1, i
        else:
            back_run += 1
            beyond_run = 0
            if in_event and back_run >= need:
                events.append((start, last_beyond, extreme(values[start : last_beyond + 1])))
                in_event = False
    if in_event:
        events.append((start, last_beyond, extreme(values[start : last_beyond + 1])))
    return events


def process_records(
    rule: WindowRule, first: date, records: list[dict[str, Any]], zone: tzinfo | None
) -> tuple[Window, ProcessResult | None]:
    """The window of ``rule`` starting on ``first`` built from ``records`` in ``zone``, as core
    builds it, and what the plugin makes of it."""
    from etl_glucose.plugin import etl_process_window, glucose_spec

    spec = glucose_spec()
    window = build_window(
        spec.name,
        rule,
        first,
        records,
        time_fields=spec.time_fields,
        user=UserContext(timezone=zone),
    )
    return window, etl_process_window(window, spec)
