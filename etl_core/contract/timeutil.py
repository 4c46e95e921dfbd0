"""Time zones and local days, shared by every processor.

Health Connect stores instants as epoch milliseconds plus a zone *offset* id per record
(``-05:00``, ``+05:30``, ``Z`` or missing). The rule every plugin follows:

1. a real offset (anything but ``Z`` or missing) is the local time of that record;
2. otherwise, when the user's IANA zone is known (setting or upload message), that zone;
3. otherwise UTC.

``Z`` is treated like a missing offset because exporters write ``Z`` when the source app gave
no zone (the Dexcom samples do), not because the person lived on UTC.
"""

from __future__ import annotations

import enum
import re
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from etl_core.contract.errors import RequestError


class ClockSource(enum.StrEnum):
    """Where a window's local times came from, strongest first. A window's clock is the
    weakest source any of its records needed."""

    RECORD_OFFSETS = "record offsets"
    """Every record carries its own zone offset."""
    INFERRED = "inferred from the person's other records"
    """Records without an offset took the person's offset at that instant from their other
    records (another device, another record type)."""
    CONFIGURED = "configured time zone"
    """Records without an offset were read in the zone set for the person
    (``ETL_USER_TIMEZONE``, ``--timezone`` or the upload message)."""
    UTC = "UTC, no offset known"
    """Records without an offset, no other record near them and no zone set: read in UTC."""


CLOCK_STRENGTH = (
    ClockSource.RECORD_OFFSETS,
    ClockSource.INFERRED,
    ClockSource.CONFIGURED,
    ClockSource.UTC,
)
__all__ = [
    "CLOCK_STRENGTH",
    "HOUR_MS",
    "INFERENCE_BOUND_HOURS",
    "ClockSource",
    "DayShare",
    "PersonZone",
    "UnknownZoneError",
    "batch_bounds",
    "constant_offset",
    "describe_zone_use",
    "infer_offset_minutes",
    "iso",
    "load_zone",
    "local_date",
    "offset_field_for",
    "readable_offset",
    "resolve_tz",
    "split_by_local_day",
    "to_local",
    "zone_name",
    "zone_reach_hours",
]


"""Clock sources from strongest to weakest."""

HOUR_MS = 3_600_000
INFERENCE_BOUND_HOURS = 36
"""How far (in hours) a record without an offset may borrow the person's offset from their
nearest record that has one. A day and a half covers a night between two daily syncs; a record
further from any offset is read in the configured zone, else UTC, rather than guessed."""

_OFFSET = re.compile(r"^([+-])(\d{2}):?(\d{2})(?::?(\d{2}))?$")
_DAY_MS = 86_400_000
_ZONE_SAMPLE_MS = 6 * HOUR_MS
_REACH_HOURS = 27
"""Hours either side of an instant where another offset could name the same wall-clock time:
UTC offsets run from -12:00 to +14:00."""


def zone_reach_hours(bound_hours: int = INFERENCE_BOUND_HOURS) -> int:
    """How far (in hours) from an instant a :class:`PersonZone` may look for observations to
    place it: the hours whose offsets could name the same wall-clock time (fold detection,
    :meth:`PersonZone.utcoffset`), each read from observations up to ``bound_hours`` away. A
    zone made of the observations that lie this close to a span answers for every instant of
    the span as a zone made of all of them does."""
    return bound_hours + _REACH_HOURS + 24 + 1


def _ms(offset: timedelta) -> int:
    return offset // timedelta(milliseconds=1)


class UnknownZoneError(RequestError, ValueError):
    """A time-zone name or offset id that cannot be understood."""

    error_type = "unknown_zone"


@lru_cache(maxsize=256)
def parse_offset(offset_id: str | None) -> timezone | None:
    """``"-05:00"`` -> a fixed offset; ``"Z"``, ``""`` or ``None`` -> ``None`` (no real offset)."""
    if offset_id is None:
        return None
    text = offset_id.strip()
    if text in ("", "Z", "z"):
        return None
    match = _OFFSET.match(text)
    if not match:
        raise UnknownZoneError(f"not a zone offset: {offset_id!r}")
    sign, hours, minutes, seconds = match.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes), seconds=int(seconds or 0))
    if delta > timedelta(hours=18):
        raise UnknownZoneError(f"zone offset out of range: {offset_id!r}")
    if delta == timedelta(0):
        return UTC
    return timezone(-delta if sign == "-" else delta)


def readable_offset(offset_id: object) -> str | None:
    """The offset id when it can be read, else ``None``: an unreadable offset is treated like a
    missing one (the user's zone or UTC applies) instead of failing the batch."""
    if not isinstance(offset_id, str):
        return None
    try:
        parse_offset(offset_id)
    except UnknownZoneError:
        return None
    return offset_id


def load_zone(name: str | None) -> ZoneInfo | None:
    """An IANA zone by name (``America/Chicago``), or ``None`` for an empty name."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UnknownZoneError(f"unknown time zone: {name!r}") from exc


def resolve_tz(offset_id: str | None, user_zone: tzinfo | None) -> tzinfo:
    """The zone to read one record's instants in, by the rule in the module docstring."""
    offset = parse_offset(offset_id)
    if offset is not None:
        return offset
    return user_zone if user_zone is not None else UTC


def to_local(epoch_ms: int, offset_id: str | None, user_zone: tzinfo | None) -> datetime:
    """An aware local datetime for an epoch-millisecond instant."""
    return datetime.fromtimestamp(epoch_ms / 1000, tz=resolve_tz(offset_id, user_zone))


def local_date(epoch_ms: int, offset_id: str | None, user_zone: tzinfo | None) -> date:
    """The local calendar day of an epoch-millisecond instant."""
    return to_local(epoch_ms, offset_id, user_zone).date()


def iso(moment: datetime) -> str:
    """ISO 8601 with its offset, to the second (``2025-09-20T03:10:00-05:00``)."""
    return moment.isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True)
class DayShare:
    """The part of an interval that falls on one local day."""

    day: date
    start_ms: int
    end_ms: int

    @property
    def duration_ms(self) -> int:
        """How long the share lasts."""
        return self.end_ms - self.start_ms


def split_by_local_day(start_ms: int, end_ms: int, tz: tzinfo) -> list[DayShare]:
    """Cut ``[start_ms, end_ms)`` at each local midnight of ``tz``.

    A zero-length interval gives one share on its day. Midnights come from the zone itself, so
    days that are 23 or 25 hours long (DST) are handled.
    """
    if end_ms < start_ms:
        raise ValueError("interval ends before it starts")
    start = datetime.fromtimestamp(start_ms / 1000, tz=tz)
    if end_ms == start_ms:
        return [DayShare(start.date(), start_ms, end_ms)]
    shares: list[DayShare] = []
    cursor_ms = start_ms
    day = start.date()
    while cursor_ms < end_ms:
        next_midnight = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=tz)
        boundary_ms = min(end_ms, int(next_midnight.timestamp() * 1000))
        if boundary_ms <= cursor_ms:  # guard against a zone whose midnight does not exist
            boundary_ms = min(end_ms, cursor_ms + _DAY_MS)
        shares.append(DayShare(day, cursor_ms, boundary_ms))
        cursor_ms = boundary_ms
        day = day + timedelta(days=1)
    return shares


def describe_zone_use(offset_ids: Iterable[str | None], user_zone: tzinfo | None) -> str:
    """A short statement of which zone local times were read in, for the ``timezone`` insight.

    Examples: ``"-05:00 (record offsets)"``, ``"America/Chicago (user setting; records carry
    no offset)"``, ``"UTC (records carry no offset and no user zone is set)"``,
    ``"-05:00, -04:00 (record offsets)"``.
    """
    real: list[str] = []
    missing = False
    for offset_id in dict.fromkeys(offset_ids):  # long batches repeat a handful of offsets
        offset = parse_offset(readable_offset(offset_id))
        if offset is None:
            missing = True
            continue
        label = _offset_label(offset)
        if label not in real:
            real.append(label)
    parts: list[str] = []
    if real:
        parts.append(f"{', '.join(real)} (record offsets)")
    if missing:
        if user_zone is not None:
            parts.append(f"{zone_name(user_zone)} (user setting; records carry no offset)")
        else:
            parts.append("UTC (records carry no offset and no user zone is set)")
    return "; ".join(parts) if parts else "UTC"


def zone_name(zone: tzinfo) -> str:
    """An IANA zone's key (``America/Chicago``), else the zone's own name for itself."""
    key = getattr(zone, "key", None)
    if isinstance(key, str) and key:
        return key
    return zone.tzname(None) or str(zone)


def _offset_label(offset: timezone) -> str:
    delta = offset.utcoffset(None)
    total = int(delta.total_seconds())
    sign = "-" if total < 0 else "+"
    total = abs(total)
    return f"{sign}{total // 3600:02d}:{(total % 3600) // 60:02d}"


def offset_field_for(time_field: str) -> str:
    """The Health Connect offset field that goes with a time field
    (``startTimeEpochMillis`` -> ``startZoneOffsetId``, ``timeEpochMillis`` -> ``zoneOffsetId``)."""
    if time_field == "timeEpochMillis":
        return "zoneOffsetId"
    return time_field.replace("TimeEpochMillis", "ZoneOffsetId")


def batch_bounds(
    records: Iterable[Mapping[str, Any]], time_fields: Sequence[str], user_zone: tzinfo | None
) -> tuple[datetime, datetime] | None:
    """The first start and last end of a set of records, as local aware datetimes, or ``None``
    when no record has usable times."""
    if not time_fields:
        return None
    start_field, end_field = time_fields[0], time_fields[-1]
    first: tuple[int, str | None] | None = None
    last: tuple[int, str | None] | None = None
    for record in records:
        start, end = record.get(start_field), record.get(end_field)
        if isinstance(start, int) and (first is None or start < first[0]):
            first = (start, record.get(offset_field_for(start_field)))
        if isinstance(end, int) and (last is None or end > last[0]):
            last = (end, record.get(offset_field_for(end_field)))
    if first is None or last is None:
        return None
    return (
        to_local(first[0], readable_offset(first[1]), user_zone),
        to_local(last[0], readable_offset(last[1]), user_zone),
    )


def infer_offset_minutes(
    epoch_ms: int,
    observations: Sequence[tuple[int, int]],
    bound_hours: int = INFERENCE_BOUND_HOURS,
) -> int | None:
    """The person's offset (minutes east of UTC) at an instant, from ``observations``:
    ``(epoch hour, offset minutes)`` pairs seen on their records that carry an offset, sorted.

    The nearest observed hour wins; at equal distance the earlier one; at one hour with two
    offsets (a daylight-saving change) the smaller. ``None`` when no observation lies within
    ``bound_hours``. A pure function of the observation set, so the answer never depends on
    the order in which records arrived.
    """
    if not observations:
        return None
    hour = epoch_ms // HOUR_MS
    index = bisect_left(observations, (hour, -(10**6)))
    best: tuple[int, int] | None = None
    for candidate in (index - 1, index):
        if 0 <= candidate < len(observations):
            observed_hour = observations[candidate][0]
            # The first observation of that hour (the smallest offset).
            first = bisect_left(observations, (observed_hour, -(10**6)))
            distance = abs(observed_hour - hour)
            if best is None or distance < best[0]:
                best = (distance, observations[first][1])
    if best is None or best[0] > bound_hours:
        return None
    return best[1]


class PersonZone(tzinfo):
    """A person's clock for records without an offset of their own: at each instant the offset
    of their nearest record that has one (:func:`infer_offset_minutes`), else ``fallback``
    (the configured zone), else UTC. Plugins receive it as ``user.timezone`` and use it like
    any ``tzinfo``."""

    def __init__(
        self,
        observations: Iterable[tuple[int, int]],
        fallback: tzinfo | None = None,
        bound_hours: int = INFERENCE_BOUND_HOURS,
    ) -> None:
        self.observations = sorted(set(observations))
        self.fallback = fallback
        self.bound_hours = bound_hours
        # The inferred offset depends only on the epoch hour (infer_offset_minutes), and a
        # window reads thousands of instants in a few hundred hours. Observations are fixed
        # once the clock is made, so the memo never goes stale.
        self._inferred_by_hour: dict[int, timedelta | None] = {}
        self._offsets_by_hour: dict[int, frozenset[timedelta]] = {}
        self._nearby_by_day: dict[int, frozenset[timedelta]] = {}

    def _inferred(self, epoch_ms: int) -> timedelta | None:
        hour = epoch_ms // HOUR_MS
        try:
            return self._inferred_by_hour[hour]
        except KeyError:
            minutes = infer_offset_minutes(epoch_ms, self.observations, self.bound_hours)
            offset = None if minutes is None else timedelta(minutes=minutes)
            self._inferred_by_hour[hour] = offset
            return offset

    def source_at(self, epoch_ms: int) -> ClockSource:
        """Where the offset at this instant comes from."""
        if self._inferred(epoch_ms) is not None:
            return ClockSource.INFERRED
        return ClockSource.CONFIGURED if self.fallback is not None else ClockSource.UTC

    def offset_at(self, epoch_ms: int) -> timedelta:
        inferred = self._inferred(epoch_ms)
        if inferred is not None:
            return inferred
        if self.fallback is None:
            return timedelta(0)
        moment = datetime.fromtimestamp(epoch_ms / 1000, tz=self.fallback)
        return moment.utcoffset() or timedelta(0)

    def offset_range(self, low_ms: int, high_ms: int) -> tuple[timedelta, timedelta]:
        """The least and the greatest offset this clock gives at an instant from ``low_ms`` to
        ``high_ms``: a reader that wants the records whose local times fall in some span can
        then pick them by instant. Every observed offset counts (a superset); the configured
        zone is read every six hours and at both ends, which finds each of its offsets as long
        as it never changes twice within six hours (no zone in the tz database does)."""
        offsets = {timedelta(minutes=minutes) for _, minutes in self.observations}
        if self.fallback is None:
            offsets.add(timedelta(0))
        elif (steady := constant_offset(self.fallback)) is not None:
            offsets.add(steady)
        else:
            for epoch_ms in (*range(low_ms, high_ms, _ZONE_SAMPLE_MS), high_ms):
                moment = datetime.fromtimestamp(epoch_ms / 1000, tz=self.fallback)
                offsets.add(moment.utcoffset() or timedelta(0))
        return min(offsets), max(offsets)

    def fold_at(self, epoch_ms: int) -> int:
        """Python's ``fold`` of the local time at an instant: 1 when the same wall-clock time
        already occurred at an earlier instant (the repeated hour after this clock went back:
        a daylight-saving change, or a move west), else 0. A reader building a local time from
        an instant by hand (``wall.replace(tzinfo=zone, fold=zone.fold_at(ms))``) needs it for
        the time to keep its instant and offset."""
        nearby = self._nearby_offsets(epoch_ms // HOUR_MS)
        if len(nearby) == 1:
            return 0
        here = self.offset_at(epoch_ms)
        wall_ms = epoch_ms + _ms(here)
        for other in nearby:
            if other > here and self.offset_at(wall_ms - _ms(other)) == other:
                return 1
        return 0

    def fromutc(self, dt: datetime) -> datetime:
        instant_ms = int(dt.replace(tzinfo=UTC).timestamp() * 1000)
        local = dt + self.offset_at(instant_ms)
        return local.replace(fold=self.fold_at(instant_ms))

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        if dt is None:
            return None
        wall_ms = int(dt.replace(tzinfo=UTC).timestamp() * 1000)
        nearby = self._nearby_offsets(wall_ms // HOUR_MS)
        if len(nearby) == 1:
            (steady,) = nearby
            return steady
        # The instants this wall-clock time names: one, or two in a repeated hour (``fold``
        # picks the later), or none in a skipped one.
        instants = sorted(
            wall_ms - _ms(offset)
            for offset in nearby
            if self.offset_at(wall_ms - _ms(offset)) == offset
        )
        if instants:
            return timedelta(milliseconds=wall_ms - (instants[-1] if dt.fold else instants[0]))
        # Skipped: guess the instant with the offset at the wall clock read as UTC, then take
        # the offset at the guessed instant.
        guess = self.offset_at(wall_ms)
        return self.offset_at(wall_ms - _ms(guess))

    def _offsets_in_hour(self, hour: int) -> frozenset[timedelta]:
        """The offsets of one epoch hour: inferred ones hold for a whole hour, and no zone
        changes its offset twice within one."""
        found = self._offsets_by_hour.get(hour)
        if found is None:
            start = hour * HOUR_MS
            found = frozenset((self.offset_at(start), self.offset_at(start + HOUR_MS - 1)))
            self._offsets_by_hour[hour] = found
        return found

    def _nearby_offsets(self, hour: int) -> frozenset[timedelta]:
        """Every offset this clock gives within a day and a few hours of an epoch hour (and
        perhaps a few more): the offsets a wall-clock time read in that hour could stand for
        (offsets span 26 hours). Gathered once per epoch day, for every hour of it: callers
        check each candidate, so a superset only costs a look-up."""
        day = hour // 24
        found = self._nearby_by_day.get(day)
        if found is None:
            hours = range(day * 24 - _REACH_HOURS, day * 24 + 24 + _REACH_HOURS)
            found = frozenset().union(*(self._offsets_in_hour(h) for h in hours))
            self._nearby_by_day[day] = found
        return found

    def dst(self, dt: datetime | None) -> timedelta | None:
        return None

    def tzname(self, dt: datetime | None) -> str | None:
        if dt is None:
            return "the person's local time"
        offset = self.utcoffset(dt) or timedelta(0)
        return _offset_label(timezone(offset))

    def __repr__(self) -> str:
        return f"PersonZone({len(self.observations)} observations, fallback={self.fallback!r})"


def constant_offset(clock: tzinfo) -> timedelta | None:
    """The offset of a clock that has the same one at every instant, else ``None``: a fixed
    offset, or the person's zone when none of their records carries an offset of its own and
    the configured zone is absent (UTC) or a fixed offset. A reader of many instants in such a
    clock can add the offset instead of asking the clock per instant."""
    if type(clock) is timezone:
        return clock.utcoffset(None)
    if type(clock) is PersonZone and not clock.observations:
        if clock.fallback is None:
            return timedelta(0)
        if type(clock.fallback) is timezone:
            return clock.fallback.utcoffset(None)
    return None
