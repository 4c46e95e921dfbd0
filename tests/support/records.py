"""Crafted BodyTemperatureRecord files for core tests."""

from __future__ import annotations

from typing import Any

from etl_core.testing import make_metadata, write_avro
from tests.support.temperature_plugin import SCHEMA

BASE_MS = 1_758_400_000_000
DAY_MS = 86_400_000
FETCH_MS = BASE_MS + DAY_MS


def temperature_records(
    count: int, *, start_ms: int = BASE_MS, tag: str = "t"
) -> list[dict[str, Any]]:
    return [
        {
            "metadata": make_metadata(f"{tag}-{i}", "com.example.thermo", start_ms),
            "timeEpochMillis": start_ms + i * 600_000,
            "zoneOffsetId": "-05:00",
            "temperatureInCelsius": 36.5 + (i % 5) / 10,
            "appRecordFetchTimeEpochMillis": FETCH_MS,
        }
        for i in range(count)
    ]


def temperature_file(records: list[dict[str, Any]]) -> bytes:
    return write_avro(SCHEMA, records)
