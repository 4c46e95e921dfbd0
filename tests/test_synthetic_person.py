"""The synthetic person (``etl_core.testing.person``) has the properties its docstring
promises, read back from the Avro bytes as any test would read them."""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import datetime, timedelta

from etl_core.testing import read_avro, synthetic_person
from etl_core.testing.person import (
    BACKFILL_DAY,
    DEFAULT_START,
    SENSOR_GAP_DAY,
    ZONE,
)

EXPORTS = synthetic_person(42)


def _records(record_type: str, *, backfill: bool | None = None) -> list[list[dict]]:
    return [
        read_avro(export.data)
        for export in EXPORTS
        if export.record_type == record_type
        and (backfill is None or ("backfill" in export.name) == backfill)
    ]


def test_one_file_per_type_per_morning_plus_one_late_glucose_file() -> None:
    by_type: dict[str, int] = defaultdict(int)
    for export in EXPORTS:
        by_type[export.record_type] += 1
        assert export.name.startswith(f"{export.record_type}_")
    assert by_type["BloodGlucoseRecord"] == 43
    assert by_type["StepsRecord"] == 42
    assert [e.fetched_at for e in EXPORTS] == sorted(e.fetched_at for e in EXPORTS)


def test_consecutive_exports_overlap() -> None:
    files = _records("BloodGlucoseRecord", backfill=False)
    shared = [
        len({r["metadata"]["id"] for r in a} & {r["metadata"]["id"] for r in b})
        for a, b in itertools.pairwise(files)
    ]
    # 30-hour fetches once a day share six hours of five-minute readings (less across the
    # sensor change).
    assert sorted(shared)[1] == 72 and min(shared) >= 30
    assert all(r["zoneOffsetId"] == "Z" for f in files for r in f)


def test_a_daily_total_is_first_seen_running_then_complete_under_the_same_id() -> None:
    versions: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for file in _records("StepsRecord"):
        for record in file:
            meta = record["metadata"]
            versions[meta["id"]].append((meta["lastModifiedTimeEpochMillis"], record["count"]))
    revised = [v for v in versions.values() if len(set(v)) == 2]
    assert len(revised) >= 40
    for seen in revised:
        (early_modified, early_count), (late_modified, late_count) = sorted(set(seen))
        assert early_modified < late_modified and early_count < late_count


def test_the_backfill_holds_readings_no_daily_file_has() -> None:
    daily_ids = {
        r["metadata"]["id"] for f in _records("BloodGlucoseRecord", backfill=False) for r in f
    }
    (late,) = _records("BloodGlucoseRecord", backfill=True)
    assert len(late) == 72  # six hours of five-minute readings
    assert not daily_ids & {r["metadata"]["id"] for r in late}
    day = DEFAULT_START + timedelta(days=BACKFILL_DAY)
    for record in late:
        local = datetime.fromtimestamp(record["timeEpochMillis"] / 1000, ZONE)
        assert local.date() == day and 9 <= local.hour < 15


def test_the_sensor_gap_never_arrives() -> None:
    readings = sorted({r["timeEpochMillis"] for f in _records("BloodGlucoseRecord") for r in f})
    gaps = [(a, b) for a, b in itertools.pairwise(readings) if b - a >= 2 * 3_600_000]
    assert len(gaps) == 1
    start = datetime.fromtimestamp(gaps[0][0] / 1000, ZONE)
    assert start.date() == DEFAULT_START + timedelta(days=SENSOR_GAP_DAY)


def test_the_same_arguments_give_the_same_bytes() -> None:
    again = synthetic_person(42)
    assert [(e.name, e.data) for e in again] == [(e.name, e.data) for e in EXPORTS]
