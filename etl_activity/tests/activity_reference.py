"""A plain reference reading of the real exports, independent of the plugin's code.

The real files hold whole-day totals (one record per app and day), so the reference is simple:
each record's local date comes from its own offset by arithmetic; per date and app the amount
is the record's value and the coverage its duration; the app covering more of the day (to the
nearest minute) stands for the day, then the package name.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from etl_core.testing import read_avro


@dataclass(frozen=True)
class ReferenceDay:
    day: str
    chosen_source: str
    amount: float
    other_amounts: dict[str, float]
    partial: bool


def offset_minutes(offset_id: str | None) -> int:
    if offset_id in (None, "", "Z"):
        return 0
    sign = -1 if offset_id[0] == "-" else 1
    hours, minutes = offset_id[1:].split(":")
    return sign * (int(hours) * 60 + int(minutes))


def local_date(epoch_ms: int, offset_id: str | None) -> date:
    moment = datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)
    return (moment + timedelta(minutes=offset_minutes(offset_id))).date()


def local_midnight_after(day: date, offset_id: str | None) -> int:
    naive_next = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)
    return int((naive_next - timedelta(minutes=offset_minutes(offset_id))).timestamp() * 1000)


def reference_days(records: list[dict[str, Any]], value_field: str) -> list[ReferenceDay]:
    per_day: dict[date, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for record in records:
        start, end = record["startTimeEpochMillis"], record["endTimeEpochMillis"]
        offset = record["startZoneOffsetId"]
        day = local_date(start, offset)
        # The reference only covers what the real files hold: records within one local day.
        assert local_date(end - 1, offset) == day
        per_day[day][record["metadata"]["dataOriginPackageName"]].append(record)
    days = []
    for day, by_source in sorted(per_day.items()):
        amounts = {s: sum(r[value_field] for r in rs) for s, rs in by_source.items()}
        minutes = {
            s: round(sum(r["endTimeEpochMillis"] - r["startTimeEpochMillis"] for r in rs) / 60_000)
            for s, rs in by_source.items()
        }
        chosen = sorted(by_source, key=lambda s: (-minutes[s], s))[0]
        touching = [r for rs in by_source.values() for r in rs]
        fetch = max(r["appRecordFetchTimeEpochMillis"] for r in touching)
        partial = any(
            local_midnight_after(day, r["startZoneOffsetId"]) > fetch
            or r["endTimeEpochMillis"] > r["appRecordFetchTimeEpochMillis"]
            for r in touching
        )
        days.append(
            ReferenceDay(
                day=day.isoformat(),
                chosen_source=chosen,
                amount=amounts[chosen],
                other_amounts={s: a for s, a in amounts.items() if s != chosen},
                partial=partial,
            )
        )
    return days


def reference_for_file(path: Path, value_field: str) -> list[ReferenceDay]:
    return reference_days(read_avro(path), value_field)
