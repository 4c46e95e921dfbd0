"""Local clock times of readings, by the shared zone-offset rule of
:mod:`etl_core.contract.timeutil`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone, tzinfo

from etl_core.contract.timeutil import resolve_tz

_DAY_S = 86_400


def minutes_of_day(
    times_ms: Sequence[int], offset_ids: Sequence[str | None], user_zone: tzinfo | None
) -> list[int]:
    """Local minute of the day (0-1439) of each instant.

    Fixed offsets are applied arithmetically; named zones go through ``datetime`` so that
    daylight-saving changes land on the right readings.
    """
    zones: dict[str | None, tzinfo] = {}
    result: list[int] = []
    for epoch_ms, offset_id in zip(times_ms, offset_ids, strict=True):
        zone = zones.get(offset_id)
        if zone is None:
            zone = zones[offset_id] = resolve_tz(offset_id, user_zone)
        if isinstance(zone, timezone):
            shift = zone.utcoffset(None) or timedelta(0)
            seconds = (epoch_ms // 1000 + int(shift.total_seconds())) % _DAY_S
            result.append(seconds // 60)
        else:
            moment = datetime.fromtimestamp(epoch_ms / 1000, tz=zone)
            result.append(moment.hour * 60 + moment.minute)
    return result
