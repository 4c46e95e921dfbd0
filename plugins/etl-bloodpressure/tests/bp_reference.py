"""Plain reference computations the tests compare the plugin with (no plugin code)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any

NAMES = [
    "normal",
    "elevated",
    "stage_1_hypertension",
    "stage_2_hypertension",
    "hypertensive_crisis",
]


def reference_category(systolic: float, diastolic: float) -> str:
    """Rank systolic and diastolic separately on the published bands and take the higher."""
    if systolic > 180:
        systolic_rank = 4
    elif systolic >= 140:
        systolic_rank = 3
    elif systolic >= 130:
        systolic_rank = 2
    elif systolic >= 120:
        systolic_rank = 1
    else:
        systolic_rank = 0
    if diastolic > 120:
        diastolic_rank = 4
    elif diastolic >= 90:
        diastolic_rank = 3
    elif diastolic >= 80:
        diastolic_rank = 2
    else:
        diastolic_rank = 0
    return NAMES[max(systolic_rank, diastolic_rank)]


def _zone(offset: str | None, fallback: tzinfo) -> tzinfo:
    if not offset or offset == "Z":
        return fallback
    sign = -1 if offset[0] == "-" else 1
    return timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6])))


def plain_insights(records: list[dict[str, Any]], fallback: tzinfo = UTC) -> dict[str, Any]:
    usable = [
        r
        for r in records
        if r["diastolicInMillimetersOfMercury"] < r["systolicInMillimetersOfMercury"]
    ]
    systolic = [r["systolicInMillimetersOfMercury"] for r in usable]
    diastolic = [r["diastolicInMillimetersOfMercury"] for r in usable]
    days = {
        datetime.fromtimestamp(
            r["timeEpochMillis"] / 1000, _zone(r["zoneOffsetId"], fallback)
        ).date()
        for r in usable
    }
    return {
        "readings": len(usable),
        "days": len(days),
        "mean_systolic": round(sum(systolic) / len(systolic), 1),
        "mean_diastolic": round(sum(diastolic) / len(diastolic), 1),
        "counts": Counter(
            reference_category(s, d) for s, d in zip(systolic, diastolic, strict=True)
        ),
    }
