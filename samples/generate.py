"""Write the synthetic Health Connect exports in ``samples/health-connect/``.

The real exports may not be copied into the project, so ``etl run samples`` runs on these: the
exporter's own schemas, one synthetic person in New York (offset -04:00 in October), one week
in October 2025 with two data origins (a phone app and a ring), a hypoglycaemic night and
evening glucose peaks, a walk that lifts the heart rate, four nights of ring HRV, three nights
recorded by both devices plus an afternoon nap, and a last day still running at fetch time.

Deterministic: the same script always writes the same bytes (fixed seed and sync markers).
Run: ``python samples/generate.py`` (needs etl-core installed).
"""

from __future__ import annotations

import hashlib
import math
import random
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from etl_core.testing import write_health_connect

OUT = Path(__file__).resolve().parent / "health-connect"
TZ = timezone(timedelta(hours=-4))
OFFSET = "-04:00"
PHONE = "com.sec.android.app.shealth"
RING = "com.ouraring.oura"
CGM = "com.dexcom.stelo"
FETCH = datetime(2025, 10, 13, 14, 0, tzinfo=TZ)
FETCH_MS = int(FETCH.timestamp() * 1000)
MINUTE = 60_000


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def local(day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A local time in October 2025."""
    return datetime(2025, 10, day, tzinfo=TZ) + timedelta(hours=hour, minutes=minute)


def record_id(*parts: object) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "etl-samples/" + "/".join(map(str, parts))))


def metadata(origin: str, rid: str, modified: datetime, device_type: str) -> dict[str, Any]:
    return {
        "id": rid,
        "dataOriginPackageName": origin,
        "lastModifiedTimeEpochMillis": ms(modified),
        "clientRecordId": None,
        "clientRecordVersion": 0,
        "device": {"manufacturer": None, "model": None, "type": device_type},
    }


def glucose(rng: random.Random) -> Iterator[dict[str, Any]]:
    """Three days of 5-minute CGM readings with meals, an evening peak above 180 and, on the
    second night, a dip below 70 (and briefly below 54) for about 40 minutes."""
    start = local(10)
    for i in range(3 * 288):
        moment = start + timedelta(minutes=5 * i)
        hours = moment.hour + moment.minute / 60
        level = 104 + 6 * math.sin(i / 17)
        for meal_hour, rise in ((7.5, 55), (12.5, 60), (19.0, 105)):
            since = hours - meal_hour
            if 0 <= since < 3:
                level += rise * math.sin(math.pi * since / 3) ** 2
        if moment.day == 12 and 2.5 <= hours < 3.25:
            level = 64 - 12 * math.sin(math.pi * (hours - 2.5) / 0.75)
        level += rng.gauss(0, 3)
        yield {
            "metadata": metadata(CGM, record_id("bg", i), moment + timedelta(minutes=6), "UNKNOWN"),
            "timeEpochMillis": ms(moment),
            "zoneOffsetId": OFFSET,
            "levelInMilligramsPerDeciliter": round(level),
            "specimenSource": "INTERSTITIAL_FLUID",
            "mealType": "UNKNOWN",
            "relationToMeal": "UNKNOWN",
            "appRecordFetchTimeEpochMillis": FETCH_MS,
        }


def heart_rate_bpm(moment: datetime, rng: random.Random) -> int:
    hours = moment.hour + moment.minute / 60
    if hours < 6.5 or hours >= 23:
        base = 54
    elif moment.day == 11 and 17 <= hours < 17.6:
        base = 122  # a brisk 35-minute walk
    else:
        base = 74 + 6 * math.sin(hours)
    return max(40, round(base + rng.gauss(0, 3)))


def heart_rate(rng: random.Random) -> Iterator[dict[str, Any]]:
    """Two days: the phone writes 10-minute series records of 1-minute samples; the ring writes
    one record of 5-minute samples for the night in between."""
    start = local(11)
    for block in range(2 * 144):
        block_start = start + timedelta(minutes=10 * block)
        samples = [
            {
                "timeEpochMillis": ms(block_start + timedelta(minutes=m)),
                "beatsPerMinute": heart_rate_bpm(block_start + timedelta(minutes=m), rng),
            }
            for m in range(10)
        ]
        yield {
            "metadata": metadata(PHONE, record_id("hr", block), block_start, "PHONE"),
            "startTimeEpochMillis": samples[0]["timeEpochMillis"],
            "endTimeEpochMillis": samples[-1]["timeEpochMillis"],
            "startZoneOffsetId": OFFSET,
            "endZoneOffsetId": OFFSET,
            "appRecordFetchTimeEpochMillis": FETCH_MS,
            "samples": samples,
        }
    night = local(11, 23)
    ring_samples = [
        {
            "timeEpochMillis": ms(night + timedelta(minutes=5 * k)),
            "beatsPerMinute": heart_rate_bpm(night + timedelta(minutes=5 * k), rng),
        }
        for k in range(7 * 12 + 1)
    ]
    yield {
        "metadata": metadata(RING, record_id("hr-ring"), local(12, 8), "RING"),
        "startTimeEpochMillis": ring_samples[0]["timeEpochMillis"],
        "endTimeEpochMillis": ring_samples[-1]["timeEpochMillis"],
        "startZoneOffsetId": OFFSET,
        "endZoneOffsetId": OFFSET,
        "appRecordFetchTimeEpochMillis": FETCH_MS,
        "samples": ring_samples,
    }


def hrv(rng: random.Random) -> Iterator[dict[str, Any]]:
    """Four nights of ring RMSSD every 5 minutes, 23:30 to 06:30."""
    for night in (8, 9, 10, 11):
        level = {8: 41.0, 9: 44.0, 10: 38.0, 11: 35.0}[night]
        start = local(night, 23, 30)
        for k in range(85):
            moment = start + timedelta(minutes=5 * k)
            yield {
                "metadata": metadata(RING, record_id("hrv", night, k), local(night + 1, 8), "RING"),
                "timeEpochMillis": ms(moment),
                "zoneOffsetId": OFFSET,
                "heartRateVariabilityRmssd": round(level * math.exp(rng.gauss(0, 0.25)), 1),
                "appRecordFetchTimeEpochMillis": FETCH_MS,
            }


STAGE_CYCLE = (("LIGHT", 25), ("DEEP", 35), ("LIGHT", 20), ("REM", 20), ("AWAKE", 4))


def stages(start: datetime, end: datetime, first_awake: int, shift: int) -> list[dict[str, Any]]:
    """Sleep stages from lights-out: a few awake minutes, then 90-minute-ish cycles."""
    result = [("AWAKE", first_awake)]
    cursor = start + timedelta(minutes=first_awake)
    index = shift
    while cursor < end:
        stage, minutes = STAGE_CYCLE[index % len(STAGE_CYCLE)]
        result.append((stage, minutes))
        cursor += timedelta(minutes=minutes)
        index += 1
    out, cursor = [], start
    for stage, minutes in result:
        stage_end = min(end, cursor + timedelta(minutes=minutes))
        out.append(
            {
                "startTimeEpochMillis": ms(cursor),
                "endTimeEpochMillis": ms(stage_end),
                "stage": stage,
            }
        )
        cursor = stage_end
        if cursor >= end:
            break
    return out


def session(
    origin: str, rid: str, start: datetime, end: datetime, staged: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "metadata": metadata(
            origin, rid, end + timedelta(hours=1), "PHONE" if origin == PHONE else "RING"
        ),
        "title": None,
        "notes": None,
        "startTimeEpochMillis": ms(start),
        "endTimeEpochMillis": ms(end),
        "startZoneOffsetId": OFFSET,
        "endZoneOffsetId": OFFSET,
        "durationMillis": ms(end) - ms(start),
        "appRecordFetchTimeEpochMillis": FETCH_MS,
        "stages": staged,
    }


def sleep(rng: random.Random) -> Iterator[dict[str, Any]]:
    """Three nights from the phone, two of them also from the ring, and one afternoon nap."""
    nights = {
        9: (local(9, 23, 5), local(10, 6, 40)),
        10: (local(10, 23, 40), local(11, 7, 10)),
        11: (local(11, 22, 50), local(12, 6, 5)),
    }
    for day, (start, end) in nights.items():
        yield session(PHONE, record_id("sleep-phone", day), start, end, stages(start, end, 12, day))
        if day in (10, 11):
            ring_start, ring_end = start + timedelta(minutes=20), end - timedelta(minutes=15)
            yield session(
                RING,
                record_id("sleep-ring", day),
                ring_start,
                ring_end,
                stages(ring_start, ring_end, 6, day + 1),
            )
    nap_start, nap_end = local(11, 15, 10), local(11, 15, 40)
    yield session(
        PHONE,
        record_id("nap", 11),
        nap_start,
        nap_end,
        [
            {
                "startTimeEpochMillis": ms(nap_start),
                "endTimeEpochMillis": ms(nap_end),
                "stage": "LIGHT",
            }
        ],
    )


def daily(
    origin: str, kind: str, days: range, value: Callable[[int], float], field: str
) -> Iterator[dict[str, Any]]:
    for day in days:
        start, end = local(day), local(day + 1) - timedelta(milliseconds=1)
        yield {
            "metadata": metadata(
                origin,
                record_id(kind, origin, day),
                min(end, FETCH),
                "PHONE" if origin == PHONE else "RING",
            ),
            "startTimeEpochMillis": ms(start),
            "endTimeEpochMillis": ms(end),
            "startZoneOffsetId": OFFSET,
            "endZoneOffsetId": OFFSET,
            field: value(day),
            "appRecordFetchTimeEpochMillis": FETCH_MS,
        }


def steps(rng: random.Random) -> Iterator[dict[str, Any]]:
    """Eight days from the phone and the last four also from the ring; the 13th is partial."""
    phone = {6: 7420, 7: 9310, 8: 4120, 9: 8850, 10: 10240, 11: 6930, 12: 3980, 13: 2210}
    ring = {10: 9120, 11: 6240, 12: 3610, 13: 1980}
    yield from daily(PHONE, "steps", range(6, 14), phone.__getitem__, "count")
    yield from daily(RING, "steps", range(10, 14), ring.__getitem__, "count")


def calories(rng: random.Random) -> Iterator[dict[str, Any]]:
    kcal = {6: 412.0, 7: 505.0, 8: 260.0, 9: 480.0, 10: 566.0, 11: 390.0, 12: 231.0, 13: 118.0}
    yield from daily(RING, "kcal", range(6, 14), kcal.__getitem__, "energyInKilocalories")


GENERATORS: dict[str, Callable[[random.Random], Iterator[dict[str, Any]]]] = {
    "BloodGlucoseRecord": glucose,
    "HeartRateRecord": heart_rate,
    "HeartRateVariabilityRmssdRecord": hrv,
    "SleepSessionRecord": sleep,
    "StepsRecord": steps,
    "ActiveCaloriesBurnedRecord": calories,
}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for record_type, generate in GENERATORS.items():
        name = f"{record_type}_{FETCH_MS}.avro"
        rng = random.Random(record_type)
        marker = hashlib.sha256(name.encode()).digest()[:16]
        data = write_health_connect(record_type, list(generate(rng)), sync_marker=marker)
        (OUT / name).write_bytes(data)
        print(f"{name}: {len(data)} bytes")


if __name__ == "__main__":
    main()
