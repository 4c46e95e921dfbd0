"""Synthetic BloodPressureRecord exports, in the shape the Health Connect exporter writes.

No real blood pressure export exists in the samples, so this writes one synthetic person's week
in New York (offset -04:00, October 2025): a seated upper-arm reading every morning and evening
from a home cuff app, mostly normal to stage 1, one stage 2 morning, one reading taken standing
and one at the wrist. Deterministic: the same call always gives the same bytes.

``python -m etl_bloodpressure.samples DIR`` writes ``DIR/BloodPressureRecord_<fetch ms>.avro``.
"""

from __future__ import annotations

import argparse
import random
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from etl_core.contract.schemas import load_avsc
from etl_core.testing import make_metadata, write_avro

ZONE = timezone(timedelta(hours=-4))
OFFSET = "-04:00"
ORIGIN = "com.omronhealthcare.omronconnect"
FIRST_DAY = datetime(2025, 10, 6, tzinfo=ZONE)
FETCH = datetime(2025, 10, 13, 9, 0, tzinfo=ZONE)
SYNC_MARKER = b"etl-bp-samples!!"


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def record(
    moment: datetime,
    systolic: float,
    diastolic: float,
    *,
    position: str = "SITTING_DOWN",
    location: str = "LEFT_UPPER_ARM",
    record_id: str | None = None,
    offset: str | None = OFFSET,
) -> dict[str, Any]:
    """One BloodPressureRecord as the exporter writes it."""
    rid = record_id or str(uuid.uuid5(uuid.NAMESPACE_URL, f"etl-bp/{_ms(moment)}"))
    return {
        "metadata": make_metadata(rid, ORIGIN, _ms(moment) + 60_000, "PHONE"),
        "timeEpochMillis": _ms(moment),
        "zoneOffsetId": offset,
        "systolicInMillimetersOfMercury": systolic,
        "diastolicInMillimetersOfMercury": diastolic,
        "bodyPosition": position,
        "measurementLocation": location,
        "appRecordFetchTimeEpochMillis": _ms(FETCH),
    }


def week_of_readings(seed: int = 7) -> list[dict[str, Any]]:
    """Fourteen readings: 07:30 and 21:15 on seven days."""
    rng = random.Random(seed)
    records = []
    for day in range(7):
        for hour, minute, base in ((7, 30, (128, 82)), (21, 15, (119, 76))):
            moment = FIRST_DAY + timedelta(days=day, hours=hour, minutes=minute)
            systolic = float(base[0] + rng.randint(-6, 6))
            diastolic = float(base[1] + rng.randint(-4, 4))
            records.append(record(moment, systolic, diastolic))
    records[4] = {**records[4], "systolicInMillimetersOfMercury": 146.0}
    records[4]["diastolicInMillimetersOfMercury"] = 92.0
    records[7] = {**records[7], "bodyPosition": "STANDING_UP"}
    records[10] = {**records[10], "measurementLocation": "LEFT_WRIST"}
    return records


def invalid_readings() -> list[dict[str, Any]]:
    """Readings validation must flag: systolic out of Health Connect's range, diastolic above
    systolic, and a record without its id."""
    records = week_of_readings()[:6]
    records[1] = {**records[1], "systolicInMillimetersOfMercury": 900.0}
    records[2] = {**records[2], "diastolicInMillimetersOfMercury": 150.0}
    records[3] = {**records[3], "metadata": {**records[3]["metadata"], "id": None}}
    return records


def export_file(records: list[dict[str, Any]]) -> bytes:
    schema = load_avsc("etl_bloodpressure", "BloodPressureRecord.avsc")
    return write_avro(schema, records, sync_marker=SYNC_MARKER)


def write_sample(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"BloodPressureRecord_{_ms(FETCH)}.avro"
    path.write_bytes(export_file(week_of_readings()))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description="Write a synthetic BloodPressureRecord export.")
    parser.add_argument("folder", type=Path)
    print(write_sample(parser.parse_args().folder))  # a command, not library code


if __name__ == "__main__":
    main()
