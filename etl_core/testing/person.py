"""A synthetic person's exports over weeks or a year, in the Health Connect exporter's schemas.

Real exports are rolling fetches that overlap each other. This generator writes what one
person's phone would upload: every morning at 07:30 local time a sync exports each record type
for the last 30 hours, so consecutive files share about six hours of records; today's step and
calorie totals are exported while the day is still running (a partial total whose
``lastModifiedTimeEpochMillis`` is the fetch time) and again, complete, the next morning under
the same ``metadata.id``. CGM readings carry ``zoneOffsetId: "Z"``, as the real Dexcom exports
do, while every other record carries the person's offset (-05:00).

Built in, so that tests can find them in the raw records:

- a CGM backfill: six hours of readings on day 11 reach the phone only in a late file fetched
  on day 24 (``backfill`` in its name);
- a CGM sensor change on day 19: 3.5 hours without readings that never arrive;
- lows: an overnight dip below 70 mg/dL (and briefly below 54) on days 3, 16 and 30; evening
  peaks above 180 on Fridays and above 250 on day 27;
- heart rate: phone series records of one-minute samples from 07:00 to 23:00 and a ring record
  of five-minute samples each night; resting rate about 58 bpm, about 6 bpm higher from day 35;
- HRV: ring RMSSD every five minutes from 23:30 to 06:30, about 45 ms, falling to about 30 ms
  over the last five nights;
- sleep: a phone session every night (weekend nights later), the ring's overlapping session on
  most nights, afternoon naps on Saturdays, night 12 missing from both, night 9 recorded from
  its first sleep stage (no in-bed-awake period), and only four nights in week 5;
- steps from the phone every day and from the ring on most days (never to be summed); active
  calories from the ring.

Deterministic: the same arguments always give the same bytes.
"""

from __future__ import annotations

import hashlib
import math
import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from etl_core.testing.fixtures import write_health_connect

ZONE = timezone(timedelta(hours=-5))
OFFSET = "-05:00"
PHONE = "com.sec.android.app.shealth"
RING = "com.ouraring.oura"
CGM = "com.dexcom.stelo"
DEFAULT_START = date(2025, 6, 2)  # a Monday; Chicago keeps -05:00 all summer
SYNC_HOUR, SYNC_MINUTE = 7, 30
LOOKBACK = timedelta(hours=30)
BACKFILL_DAY, BACKFILL_HOURS, BACKFILL_FETCH_DAY = 11, (9, 15), 24
SENSOR_GAP_DAY, SENSOR_GAP_HOURS = 19, (2.0, 5.5)
HYPO_NIGHTS = (3, 16, 30)
MISSING_NIGHT = 12
NO_AWAKE_START_NIGHT = 9
SHORT_WEEK = 5
RESTING_RISE_FROM_DAY = 35
HRV_DROP_LAST_NIGHTS = 5


@dataclass(frozen=True, slots=True)
class SyntheticExport:
    """One export file: ``<RecordType>_<fetch epoch ms>[_backfill].avro``."""

    name: str
    record_type: str
    fetched_at: datetime
    data: bytes


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _rid(*parts: object) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "etl-synthetic-person/" + "/".join(map(str, parts))))


def _metadata(origin: str, rid: str, modified: datetime, device: str) -> dict[str, Any]:
    return {
        "id": rid,
        "dataOriginPackageName": origin,
        "lastModifiedTimeEpochMillis": _ms(modified),
        "clientRecordId": None,
        "clientRecordVersion": 0,
        "device": {"manufacturer": None, "model": None, "type": device},
    }


class _Person:
    """Every record of the person over ``days`` days, each with the instant it exists from
    (a reading once taken; a session once ended; a daily total as soon as its day starts)."""

    def __init__(self, start: date, days: int, seed: int) -> None:
        self.start = start
        self.days = days
        self.seed = seed

    def local(self, day: int, hours: float = 0.0) -> datetime:
        """Local time ``hours`` after midnight of day ``day`` (0-based from ``start``)."""
        midnight = datetime.combine(self.start + timedelta(days=day), datetime.min.time(), ZONE)
        return midnight + timedelta(hours=hours)

    def rng(self, *parts: object) -> random.Random:
        return random.Random(f"{self.seed}/" + "/".join(map(str, parts)))

    # -- glucose ----------------------------------------------------------------------------

    def glucose_level(self, day: int, hours: float, rng: random.Random) -> float:
        level = 102 + 5 * math.sin(hours / 3.8 + day)
        weekday = (self.start + timedelta(days=day)).weekday()
        for meal_hour, rise in ((7.5, 45), (12.5, 55), (19.0, 75)):
            since = hours - meal_hour
            if 0 <= since < 3:
                peak = rise + (60 if weekday == 4 and meal_hour == 19.0 else 0)
                peak += 95 if day == 27 and meal_hour == 19.0 else 0
                level += peak * math.sin(math.pi * since / 3) ** 2
        if day in HYPO_NIGHTS and 2.5 <= hours < 3.4:
            level = 63 - 13 * math.sin(math.pi * (hours - 2.5) / 0.9)
        return level + rng.gauss(0, 3)

    def glucose(self) -> Iterator[tuple[datetime, dict[str, Any], str]]:
        """(instant, record, channel): channel ``backfill`` marks readings that reach the phone
        only in the late file."""
        for day in range(self.days):
            rng = self.rng("glucose", day)
            for step in range(288):
                hours = step * 5 / 60
                moment = self.local(day, hours)
                level = self.glucose_level(day, hours, rng)
                if day == SENSOR_GAP_DAY and SENSOR_GAP_HOURS[0] <= hours < SENSOR_GAP_HOURS[1]:
                    continue
                channel = (
                    "backfill"
                    if day == BACKFILL_DAY and BACKFILL_HOURS[0] <= hours < BACKFILL_HOURS[1]
                    else "daily"
                )
                record = {
                    "metadata": _metadata(
                        CGM, _rid("bg", day, step), moment + timedelta(minutes=5), "UNKNOWN"
                    ),
                    "timeEpochMillis": _ms(moment),
                    "zoneOffsetId": "Z",
                    "levelInMilligramsPerDeciliter": float(round(level)),
                    "specimenSource": "INTERSTITIAL_FLUID",
                    "mealType": "UNKNOWN",
                    "relationToMeal": "UNKNOWN",
                }
                yield moment, record, channel

    # -- heart rate -------------------------------------------------------------------------

    def bpm(self, day: int, hours: float, rng: random.Random) -> int:
        rest = 58 + (6 if day >= RESTING_RISE_FROM_DAY else 0)
        base: float
        if hours < 6.5 or hours >= 23:
            base = rest - 4
        elif (self.start + timedelta(days=day)).weekday() in (1, 3) and 18 <= hours < 18.75:
            base = 128  # an evening run on Tuesdays and Thursdays
        else:
            base = rest + 14 + 6 * math.sin(hours)
        return max(38, round(base + rng.gauss(0, 3)))

    def heart_rate(self) -> Iterator[tuple[datetime, dict[str, Any]]]:
        for day in range(self.days):
            rng = self.rng("hr", day)
            for block in range(96):  # 07:00-23:00 in 10-minute series records
                start = self.local(day, 7 + block / 6)
                samples = [
                    {
                        "timeEpochMillis": _ms(start + timedelta(minutes=m)),
                        "beatsPerMinute": self.bpm(day, 7 + block / 6 + m / 60, rng),
                    }
                    for m in range(10)
                ]
                end = start + timedelta(minutes=9)
                yield end, self._series(PHONE, _rid("hr", day, block), start, end, samples)
            night = self.local(day, 23)
            ring_samples = [
                {
                    "timeEpochMillis": _ms(night + timedelta(minutes=5 * k)),
                    "beatsPerMinute": self.bpm(day, 23 + 5 * k / 60, rng),
                }
                for k in range(8 * 12)
            ]
            end = night + timedelta(minutes=5 * 95)
            yield end, self._series(RING, _rid("hr-ring", day), night, end, ring_samples)

    @staticmethod
    def _series(
        origin: str, rid: str, start: datetime, end: datetime, samples: list[dict[str, Any]]
    ) -> dict[str, Any]:
        return {
            "metadata": _metadata(
                origin, rid, end + timedelta(minutes=2), "PHONE" if origin == PHONE else "RING"
            ),
            "startTimeEpochMillis": _ms(start),
            "endTimeEpochMillis": _ms(end),
            "startZoneOffsetId": OFFSET,
            "endZoneOffsetId": OFFSET,
            "samples": samples,
        }

    # -- HRV --------------------------------------------------------------------------------

    def hrv(self) -> Iterator[tuple[datetime, dict[str, Any]]]:
        for night in range(self.days - 1):
            rng = self.rng("hrv", night)
            level = 45.0 + 4 * math.sin(night / 2.3)
            if night >= self.days - 1 - HRV_DROP_LAST_NIGHTS:
                level = 30.0 + 2 * math.sin(night)
            start = self.local(night, 23.5)
            for k in range(85):
                moment = start + timedelta(minutes=5 * k)
                yield (
                    moment,
                    {
                        "metadata": _metadata(
                            RING, _rid("hrv", night, k), moment + timedelta(minutes=1), "RING"
                        ),
                        "timeEpochMillis": _ms(moment),
                        "zoneOffsetId": OFFSET,
                        "heartRateVariabilityRmssd": round(level * math.exp(rng.gauss(0, 0.2)), 1),
                    },
                )

    # -- sleep ------------------------------------------------------------------------------

    def sleep(self) -> Iterator[tuple[datetime, dict[str, Any]]]:
        for night in range(self.days - 1):
            if night == MISSING_NIGHT:
                continue
            if night // 7 == SHORT_WEEK - 1 and night % 7 in (1, 3, 5):
                continue  # week 5 keeps four nights
            rng = self.rng("sleep", night)
            weekend = (self.start + timedelta(days=night)).weekday() in (4, 5)
            onset = (24.6 if weekend else 23.0) + rng.uniform(-0.3, 0.3)
            wake = (32.2 if weekend else 30.5) + rng.uniform(-0.25, 0.25)
            start, end = self.local(night, onset), self.local(night, wake)
            awake_first = 0 if night == NO_AWAKE_START_NIGHT else rng.randint(6, 18)
            stages = _stages(start, end, awake_first, night)
            yield end, _session(PHONE, _rid("sleep", night), start, end, stages)
            if night % 5 != 2:  # the ring misses some nights
                ring_start = start + timedelta(minutes=15)
                ring_end = end - timedelta(minutes=10)
                ring = _stages(ring_start, ring_end, max(awake_first - 5, 2), night + 1)
                yield (
                    ring_end,
                    _session(RING, _rid("sleep-ring", night), ring_start, ring_end, ring),
                )
            if (self.start + timedelta(days=night + 1)).weekday() == 5:
                nap_start = self.local(night + 1, 14.5)
                nap_end = nap_start + timedelta(minutes=35)
                nap = [{"startTimeEpochMillis": _ms(nap_start), "endTimeEpochMillis": _ms(nap_end),
                        "stage": "LIGHT"}]  # fmt: skip
                yield nap_end, _session(PHONE, _rid("nap", night), nap_start, nap_end, nap)

    # -- daily totals -----------------------------------------------------------------------

    def daily_totals(
        self, kind: str, origin: str, field: str, days: Callable[[int], bool]
    ) -> Iterator[_DailyTotal]:
        for day in range(self.days):
            if not days(day):
                continue
            rng = self.rng(kind, origin, day)
            weekday = (self.start + timedelta(days=day)).weekday()
            total: float
            if field == "count":
                total = rng.randint(7000, 10500) if weekday < 5 else rng.randint(3500, 13000)
                if origin == RING:
                    total = round(total * rng.uniform(0.62, 0.8))
            else:
                total = round(rng.uniform(280, 620), 1)
            yield _DailyTotal(
                rid=_rid(kind, origin, day),
                origin=origin,
                field=field,
                total=total,
                start=self.local(day),
                end=self.local(day + 1) - timedelta(milliseconds=1),
            )


@dataclass(frozen=True, slots=True)
class _DailyTotal:
    """A whole-day total as an export sees it: partial while its day runs, complete after."""

    rid: str
    origin: str
    field: str
    total: float
    start: datetime
    end: datetime

    def seen_at(self, fetch: datetime) -> dict[str, Any] | None:
        if fetch <= self.start:
            return None
        share = min(1.0, (fetch - self.start) / (self.end - self.start))
        value = round(self.total * share) if self.field == "count" else round(self.total * share, 1)
        return {
            "metadata": _metadata(
                self.origin,
                self.rid,
                min(fetch, self.end + timedelta(minutes=30)),
                "PHONE" if self.origin == PHONE else "RING",
            ),
            "startTimeEpochMillis": _ms(self.start),
            "endTimeEpochMillis": _ms(self.end),
            "startZoneOffsetId": OFFSET,
            "endZoneOffsetId": OFFSET,
            self.field: value,
        }


def _between(
    items: list[tuple[datetime, dict[str, Any]]], since: datetime, until: datetime
) -> list[dict[str, Any]]:
    return [record for moment, record in items if since <= moment < until]


def _stages(start: datetime, end: datetime, awake_first: int, shift: int) -> list[dict[str, Any]]:
    cycle = (("LIGHT", 25), ("DEEP", 30), ("LIGHT", 20), ("REM", 22), ("AWAKE", 3))
    plan = [("AWAKE", awake_first)] if awake_first else []
    cursor = start + timedelta(minutes=awake_first)
    index = shift
    while not awake_first and cycle[index % len(cycle)][0] == "AWAKE":
        index += 1  # a night recorded from its first sleep stage starts asleep
    while cursor < end:
        stage, minutes = cycle[index % len(cycle)]
        plan.append((stage, minutes))
        cursor += timedelta(minutes=minutes)
        index += 1
    result, cursor = [], start
    for stage, minutes in plan:
        stage_end = min(end, cursor + timedelta(minutes=minutes))
        result.append(
            {
                "startTimeEpochMillis": _ms(cursor),
                "endTimeEpochMillis": _ms(stage_end),
                "stage": stage,
            }
        )
        cursor = stage_end
        if cursor >= end:
            break
    return result


def _session(
    origin: str, rid: str, start: datetime, end: datetime, stages: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "metadata": _metadata(
            origin, rid, end + timedelta(minutes=20), "PHONE" if origin == PHONE else "RING"
        ),
        "title": None,
        "notes": None,
        "startTimeEpochMillis": _ms(start),
        "endTimeEpochMillis": _ms(end),
        "startZoneOffsetId": OFFSET,
        "endZoneOffsetId": OFFSET,
        "stages": stages,
    }


def _export(
    record_type: str, fetch: datetime, records: list[dict[str, Any]], suffix: str = ""
) -> SyntheticExport:
    name = f"{record_type}_{_ms(fetch)}{suffix}.avro"
    stamped = [{**record, "appRecordFetchTimeEpochMillis": _ms(fetch)} for record in records]
    marker = hashlib.sha256(name.encode()).digest()[:16]
    return SyntheticExport(
        name, record_type, fetch, write_health_connect(record_type, stamped, sync_marker=marker)
    )


def synthetic_person(
    days: int = 42, *, start: date = DEFAULT_START, seed: int = 7
) -> list[SyntheticExport]:
    """Every export of one synthetic person over ``days`` days from ``start`` (see the module
    docstring), ordered by fetch time: one file per record type per morning sync, plus the
    late CGM backfill file."""
    if days < 2:
        raise ValueError("a synthetic person needs at least two days")
    person = _Person(start, days, seed)
    glucose = list(person.glucose())
    heart = list(person.heart_rate())
    hrv = list(person.hrv())
    sleep = list(person.sleep())
    totals = {
        "StepsRecord": [
            *person.daily_totals("steps", PHONE, "count", lambda d: True),
            *person.daily_totals("steps", RING, "count", lambda d: d % 6 != 4),
        ],
        "ActiveCaloriesBurnedRecord": list(
            person.daily_totals("kcal", RING, "energyInKilocalories", lambda d: d % 9 != 7)
        ),
    }
    exports: list[SyntheticExport] = []
    for day in range(1, days + 1):
        fetch = person.local(day, SYNC_HOUR + SYNC_MINUTE / 60)
        since = fetch - LOOKBACK

        batches = {
            "BloodGlucoseRecord": [
                record
                for moment, record, channel in glucose
                if channel == "daily" and since <= moment < fetch
            ],
            "HeartRateRecord": _between(heart, since, fetch),
            "HeartRateVariabilityRmssdRecord": _between(hrv, since, fetch),
            "SleepSessionRecord": _between(sleep, since, fetch),
        }
        for record_type, daily in totals.items():
            # Yesterday's total (now complete) and today's (still running).
            seen = [
                record
                for total in daily
                if since - timedelta(days=1) <= total.start < fetch
                and (record := total.seen_at(fetch)) is not None
            ]
            batches[record_type] = seen
        for record_type in sorted(batches):
            if batches[record_type]:
                exports.append(_export(record_type, fetch, batches[record_type]))
        if day == BACKFILL_FETCH_DAY and days > BACKFILL_DAY:
            late = [record for _, record, channel in glucose if channel == "backfill"]
            exports.append(
                _export("BloodGlucoseRecord", fetch + timedelta(minutes=2), late, "_backfill")
            )
    return exports


def write_synthetic_person(folder: Path, days: int = 42, **options: Any) -> list[Path]:
    """:func:`synthetic_person` written into ``folder``; returns the paths in fetch order."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for export in synthetic_person(days, **options):
        path = folder / export.name
        path.write_bytes(export.data)
        paths.append(path)
    return paths
