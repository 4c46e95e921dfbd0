"""Local days for many instants at once, following core's zone rule
(``etl_core.contract.timeutil``)."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from datetime import date, tzinfo
from typing import Any

from etl_core.contract.timeutil import (
    UnknownZoneError,
    parse_offset,
    resolve_tz,
    split_by_local_day,
)


def record_offset_id(record: Mapping[str, Any], *fields: str) -> str | None:
    """The first of ``fields`` holding a real zone offset (not ``Z``, empty or unreadable).

    Interval records carry a start and an end offset; the start one wins, the end one stands in
    when the start one is missing.
    """
    for name in fields:
        candidate = record.get(name)
        if not isinstance(candidate, str):
            continue
        try:
            if parse_offset(candidate) is not None:
                return candidate
        except UnknownZoneError:
            continue
    return None


def record_zone(offset_id: str | None, user_zone: tzinfo | None) -> tzinfo:
    """The zone a record's instants are read in (core's rule: offset, then user zone, then UTC)."""
    return resolve_tz(offset_id, user_zone)


def local_days(times_ms: Sequence[int], zone: tzinfo) -> list[date]:
    """The local date of each instant in ``zone``.

    Midnights come from :func:`etl_core.contract.timeutil.split_by_local_day`, once per call, so
    that a
    record of thousands of samples costs one bisection per sample rather than one datetime.
    """
    if not times_ms:
        return []
    first, last = min(times_ms), max(times_ms)
    shares = split_by_local_day(first, last + 1, zone)
    if len(shares) == 1:
        return [shares[0].day] * len(times_ms)
    starts = [share.start_ms for share in shares]
    return [shares[bisect_right(starts, t) - 1].day for t in times_ms]
