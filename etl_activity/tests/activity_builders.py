"""Crafted Health Connect activity records and plain reference computations for the tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from etl_core.testing import make_metadata

CHICAGO_SUMMER = timezone(timedelta(hours=-5))
PHONE = "com.sec.android.app.shealth"
RING = "com.ouraring.oura"
WATCH = "com.google.android.apps.fitness"
MINUTE_MS = 60_000
HOUR_MS = 3_600_000
DAY_MS = 86_400_000


def local_ms(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, tz: timezone = CHICAGO_SUMMER
) -> int:
    """Epoch milliseconds of a wall-clock time in a fixed-offset zone."""
    return int(datetime(year, month, day, hour, minute, tzinfo=tz).timestamp() * 1000)


def offset_id(tz: timezone) -> str:
    delta = tz.utcoffset(None)
    total = int(delta.total_seconds() // 60)
    if total == 0:
        return "Z"
    sign = "-" if total < 0 else "+"
    return f"{sign}{abs(total) // 60:02d}:{abs(total) % 60:02d}"


def activity_record(
    record_id: str,
    source: str,
    start_ms: int,
    end_ms: int,
    *,
    count: int | None = None,
    kcal: float | None = None,
    fetch_ms: int,
    offset: str | None = "-05:00",
) -> dict[str, Any]:
    """A StepsRecord (``count``) or ActiveCaloriesBurnedRecord (``kcal``) as exported."""
    record: dict[str, Any] = {
        "metadata": make_metadata(record_id, origin=source, last_modified_ms=fetch_ms - 1),
        "startTimeEpochMillis": start_ms,
        "endTimeEpochMillis": end_ms,
        "startZoneOffsetId": offset,
        "endZoneOffsetId": offset,
        "appRecordFetchTimeEpochMillis": fetch_ms,
    }
    if count is not None:
        record["count"] = count
    if kcal is not None:
        record["energyInKilocalories"] = kcal
    return record


def whole_day_steps(
    record_id: str, source: str, day: datetime, count: int, fetch_ms: int
) -> dict[str, Any]:
    """A whole-local-day total ending at 23:59:59.999, as Samsung Health writes it."""
    start = local_ms(day.year, day.month, day.day)
    return activity_record(
        record_id, source, start, start + DAY_MS - 1, count=count, fetch_ms=fetch_ms
    )


def utc_date_of(epoch_ms: int, offset_minutes: int) -> str:
    """The local calendar date of an instant, by plain arithmetic on a fixed offset."""
    return (
        (datetime.fromtimestamp(epoch_ms / 1000, tz=UTC) + timedelta(minutes=offset_minutes))
        .date()
        .isoformat()
    )
