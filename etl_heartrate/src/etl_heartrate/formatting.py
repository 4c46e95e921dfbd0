"""Rounding for display and the small phrases every narrative shares.

Metrics are computed in full precision; the insight holds the rounded value and the narrative
prints exactly that insight value, so the two can never disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone, tzinfo

from etl_core.contract.timeutil import iso

KNOWN_APPS = {
    "com.sec.android.app.shealth": "Samsung Health",
    "com.ouraring.oura": "Oura",
    "com.google.android.apps.fitness": "Google Fit",
    "com.fitbit.FitbitMobile": "Fitbit",
    "com.garmin.android.apps.connectmobile": "Garmin Connect",
    "com.withings.wiscale2": "Withings",
    "com.whoop.android": "WHOOP",
    "com.polar.polarflow": "Polar Flow",
}


def app_name(origin: str) -> str:
    """A reader-friendly name for a data origin package (the package itself when unknown)."""
    return KNOWN_APPS.get(origin, origin)


def round1(value: float) -> float:
    return round(float(value), 1)


def round2(value: float) -> float:
    return round(float(value), 2)


def whole_or_round1(value: float) -> int | float:
    """Whole readings stay integers (bpm is a long in the export); others get one decimal."""
    if float(value).is_integer():
        return int(value)
    return round1(value)


def show(value: float | int, decimals: int = 1) -> str:
    """An insight value as the narrative prints it: thousands separated, and a float with the
    same number of decimals it was rounded to, so the printed figure is the insight."""
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.{decimals}f}"


def offset_at(epoch_ms: int, zone: tzinfo) -> timedelta:
    """The offset ``zone`` gives at an instant.

    Taken from the wall clock the zone converts the instant to, not from ``utcoffset`` of that
    wall clock: in the repeated hour of a fall-back a wall clock such as 01:30 names two
    instants, and a ``tzinfo`` that ignores ``fold`` answers the first one's offset for both
    (core's ``PersonZone`` keeps the fold; a zone a caller passes may not)."""
    utc = datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)
    wall = utc.astimezone(zone).replace(tzinfo=None)
    return wall - utc.replace(tzinfo=None)


def local_datetime(epoch_ms: int, zone: tzinfo) -> datetime:
    """An instant as local wall-clock time with the offset in force at that instant (fixed), so
    that its ISO form names the instant even in the repeated hour of a fall-back."""
    offset = offset_at(epoch_ms, zone)
    return datetime.fromtimestamp(epoch_ms / 1000, tz=timezone(offset))


def local_iso(epoch_ms: int, zone: tzinfo) -> str:
    return iso(local_datetime(epoch_ms, zone))


def clock(moment_iso: str) -> str:
    """``2025-09-20T03:12:00-05:00`` -> ``03:12``."""
    return moment_iso[11:16]


def date_and_clock(moment_iso: str) -> str:
    """``2025-09-20T03:12:00-05:00`` -> ``2025-09-20 03:12``."""
    return f"{moment_iso[:10]} {moment_iso[11:16]}"


def join_words(parts: Sequence[str]) -> str:
    """``["a", "b", "c"]`` -> ``"a, b and c"``."""
    if not parts:
        return ""
    if len(parts) == 1:
        return parts[0]
    return f"{', '.join(parts[:-1])} and {parts[-1]}"


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``1 sample`` / ``2,000 samples``."""
    word = singular if count == 1 else (plural_form or f"{singular}s")
    return f"{count:,} {word}"


def zone_phrase(timezone_insight: str) -> str:
    """The ``timezone`` insight for a reader: ``-05:00 (record offsets)`` -> ``-05:00``; a zone
    taken from the user's setting says so."""
    return (
        timezone_insight.replace(" (record offsets)", "")
        .replace(" (user setting; records carry no offset)", ", the time zone set for the person")
        .replace(" (records carry no offset and no user zone is set)", ", no zone being known")
    )
