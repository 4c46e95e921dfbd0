"""Calendar windows: the span of a person's life one training example describes.

A plugin that owns a record type declares, through ``etl_windows``, the windows its examples
describe: a local day, a night (noon to noon), an ISO week, the 14 days ending on each Sunday.
Core keeps every distinct record a person's exports brought, and whenever the records of a
window change it hands the owner the whole window (``etl_process_window``), built from all of
them, so an example never describes one file's overlapping snapshot.

Windows are in the person's local time. A window is named by its rule and the local date it
starts on (``day:2025-09-20``, ``night:2025-09-19``, ``week:2025-09-15``). A record belongs to
every window its local time span touches; its local time is its own offset when it has one,
else the offset core infers for that instant from the person's other records (see
:class:`~etl_core.contract.model.UserContext`).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from etl_core.contract.model import Record, UserContext
from etl_core.contract.timeutil import (
    CLOCK_STRENGTH,
    HOUR_MS,
    PersonZone,
    offset_field_for,
    parse_offset,
    readable_offset,
    to_local,
)
from etl_core.contract.timeutil import (
    ClockSource as ClockSource,  # part of this module's contract: Window.clock
)

__all__ = [
    "FALLBACK_RULES",
    "FRIDAY",
    "MAX_WINDOW_DAYS",
    "MONDAY",
    "SATURDAY",
    "SUNDAY",
    "THURSDAY",
    "TUESDAY",
    "WEDNESDAY",
    "TypePlan",
    "Window",
    "WindowPlan",
    "WindowRule",
    "build_window",
    "clock_of",
    "fetched_at",
    "last_modified",
    "newest_versions",
    "parse_window_key",
    "record_key",
    "record_span",
    "sort_rules",
    "version_rank",
    "window_days_of",
    "windows_of_span",
]


_RULE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY = range(7)
MAX_WINDOW_DAYS = 366


@dataclass(frozen=True, slots=True)
class WindowRule:
    """One kind of calendar window a record type's examples describe.

    A window is ``days`` consecutive local days, each starting at ``start_hour``. With
    ``ends_on`` unset a window starts on every day (``days`` is then usually 1); with it set,
    one window ends on each such weekday (``0`` Monday ... ``6`` Sunday), so ISO weeks are
    ``days=7, ends_on=SUNDAY`` and "the 14 days ending on each Sunday" ``days=14,
    ends_on=SUNDAY``. ``lookback_days`` asks core for the person's records of that many days
    before the window as well (:attr:`Window.earlier`), for baselines and comparisons with the
    previous window.
    """

    name: str
    """Unique among one record type's rules; part of every window key (``day``, ``week``)."""
    days: int = 1
    ends_on: int | None = None
    start_hour: int = 0
    lookback_days: int = 0

    def __post_init__(self) -> None:
        if not _RULE_NAME.match(self.name):
            raise ValueError(f"window rule name {self.name!r}: use [a-z][a-z0-9_]*, at most 32")
        if not 1 <= self.days <= MAX_WINDOW_DAYS:
            raise ValueError(f"window rule {self.name!r}: days must be 1-{MAX_WINDOW_DAYS}")
        if self.ends_on is not None and not MONDAY <= self.ends_on <= SUNDAY:
            raise ValueError(f"window rule {self.name!r}: ends_on is a weekday, 0 (Mon)-6 (Sun)")
        if not 0 <= self.start_hour <= 23:
            raise ValueError(f"window rule {self.name!r}: start_hour must be 0-23")
        if not 0 <= self.lookback_days <= MAX_WINDOW_DAYS:
            raise ValueError(f"window rule {self.name!r}: lookback_days must be 0-366")

    # -- the usual rules ----------------------------------------------------------------------

    @classmethod
    def day(cls, name: str = "day", *, lookback_days: int = 0) -> WindowRule:
        """Each local calendar day, midnight to midnight."""
        return cls(name, lookback_days=lookback_days)

    @classmethod
    def night(cls, name: str = "night", *, lookback_days: int = 0) -> WindowRule:
        """Noon to noon, named by the date of the evening: a night's sleep (and an afternoon
        nap before it) falls in one window."""
        return cls(name, start_hour=12, lookback_days=lookback_days)

    @classmethod
    def iso_week(cls, name: str = "week", *, lookback_days: int = 0) -> WindowRule:
        """Monday to Sunday, local."""
        return cls(name, days=7, ends_on=SUNDAY, lookback_days=lookback_days)

    @classmethod
    def days_ending(
        cls, days: int, weekday: int = SUNDAY, name: str | None = None, *, lookback_days: int = 0
    ) -> WindowRule:
        """``days`` local days ending on each ``weekday`` (e.g. the 14 days to each Sunday)."""
        return cls(name or f"days{days}", days=days, ends_on=weekday, lookback_days=lookback_days)

    # -- calendar arithmetic ------------------------------------------------------------------

    def window_day(self, local: datetime) -> date:
        """The window day a local wall-clock time falls on (for nights, 03:00 on the 20th is
        the night of the 19th)."""
        return (local.replace(tzinfo=None) - timedelta(hours=self.start_hour)).date()

    def first_days_containing(self, day: date) -> list[date]:
        """The first days of every window of this rule that contains window day ``day``."""
        if self.ends_on is None:
            return [day - timedelta(days=back) for back in range(self.days - 1, -1, -1)]
        ahead = (self.ends_on - day.weekday()) % 7
        last_days = [day + timedelta(days=ahead + 7 * k) for k in range((self.days - 1) // 7 + 1)]
        return [
            last - timedelta(days=self.days - 1)
            for last in last_days
            if last - timedelta(days=self.days - 1) <= day <= last
        ]

    def first_days_overlapping(self, first: date, last: date) -> list[date]:
        """The first days of every window touching any window day from ``first`` to ``last``."""
        if last < first:
            return []
        # Closed form of the union of first_days_containing over the days (the history calls
        # this for every stored record): a window touches the range when it ends on or after
        # ``first`` and starts on or before ``last``.
        if self.ends_on is None:
            earliest = first.toordinal() - (self.days - 1)
            return [date.fromordinal(n) for n in range(earliest, last.toordinal() + 1)]
        first_end = first.toordinal() + (self.ends_on - first.weekday()) % 7
        back = self.days - 1
        return [
            date.fromordinal(end - back) for end in range(first_end, last.toordinal() + back + 1, 7)
        ]

    def local_start(self, first_day: date) -> datetime:
        """The naive local wall-clock time a window starting on ``first_day`` begins."""
        return datetime.combine(first_day, time(self.start_hour))

    def local_end(self, first_day: date) -> datetime:
        """The naive local wall-clock time it ends (exclusive)."""
        return self.local_start(first_day) + timedelta(days=self.days)

    def key(self, first_day: date) -> str:
        return f"{self.name}:{first_day.isoformat()}"


@dataclass(frozen=True, slots=True)
class TypePlan:
    """What core knows of one record type for windows: its owner's rules and time fields."""

    rules: tuple[WindowRule, ...] = ()
    time_fields: tuple[str, ...] = ()

    def rule(self, name: str) -> WindowRule | None:
        return next((rule for rule in self.rules if rule.name == name), None)


FALLBACK_RULES = (WindowRule.day(),)
"""The windows of a record type no plugin owns: core's fallback describes each local day."""

WindowPlan = Mapping[str, TypePlan]
"""Record type -> plan, for every type with an owner (types without rules have no windows)."""


def parse_window_key(key: str) -> tuple[str, date]:
    """``"week:2025-09-15"`` -> ``("week", date(2025, 9, 15))``."""
    name, _, day = key.partition(":")
    return name, date.fromisoformat(day)


@dataclass(frozen=True, slots=True)
class Window:
    """One calendar window of one person's records of one type, as ``etl_process_window``
    receives it. Every record is distinct (one version per ``metadata.id``, the newest) and
    touches the window; records are ordered by their start time."""

    record_type: str
    rule: WindowRule
    first_day: date
    records: Sequence[Record]
    earlier: Sequence[Record] = ()
    """Records of the ``rule.lookback_days`` local days before the window (empty without a
    lookback): for personal baselines and the previous window."""
    user: UserContext = field(default_factory=UserContext)
    """``user.timezone`` reads instants of records without an offset: the person's offset at
    that instant inferred from their other records, else the configured zone, else UTC."""
    clock: ClockSource = ClockSource.RECORD_OFFSETS
    """Where the window's local times came from; say so in the narrative when it is not the
    records' own offsets."""

    @property
    def key(self) -> str:
        return self.rule.key(self.first_day)

    @property
    def last_day(self) -> date:
        return self.first_day + timedelta(days=self.rule.days - 1)

    @property
    def local_start(self) -> datetime:
        """Naive local wall-clock start (inclusive)."""
        return self.rule.local_start(self.first_day)

    @property
    def local_end(self) -> datetime:
        """Naive local wall-clock end (exclusive)."""
        return self.rule.local_end(self.first_day)

    def local(self, epoch_ms: int, offset_id: object = None) -> datetime:
        """An instant as an aware local datetime: the record's own offset when it has a
        readable one, else the person's zone (``user.timezone``), else UTC."""
        return to_local(epoch_ms, readable_offset(offset_id), self.user.timezone)

    def contains(self, epoch_ms: int, offset_id: object = None) -> bool:
        """Whether an instant's local wall-clock time falls inside the window."""
        wall = self.local(epoch_ms, offset_id).replace(tzinfo=None)
        return self.local_start <= wall < self.local_end

    def contains_local(self, moment: datetime) -> bool:
        """Whether a local (naive or aware) wall-clock time falls inside the window."""
        wall = moment.replace(tzinfo=None)
        return self.local_start <= wall < self.local_end

    def bounds(self, zone: tzinfo) -> tuple[datetime, datetime]:
        """The window's start and end as aware datetimes in ``zone``."""
        return self.local_start.replace(tzinfo=zone), self.local_end.replace(tzinfo=zone)

    def days(self) -> list[date]:
        """Its window days, first to last."""
        return [self.first_day + timedelta(days=i) for i in range(self.rule.days)]


def windows_of_span(rule: WindowRule, start: datetime, end: datetime) -> list[date]:
    """First days of the windows of ``rule`` that a local span touches, both ends included: a
    heart-rate series ending at midnight may hold a sample at that instant, which belongs to
    the new day (a plugin keeps what :meth:`Window.contains` admits)."""
    first = rule.window_day(start)
    return rule.first_days_overlapping(first, max(first, rule.window_day(end)))


def sort_rules(rules: Sequence[WindowRule]) -> tuple[WindowRule, ...]:
    """Rules by name, refusing two of one name (a record type's rules name its windows)."""
    names = [rule.name for rule in rules]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"window rules named twice: {', '.join(duplicates)}")
    return tuple(sorted(rules, key=lambda rule: rule.name))


# -- assembling windows from records -----------------------------------------------------------


def record_key(record: Mapping[str, Any]) -> str:
    """A record's identity across files: Health Connect's ``metadata.id``, or, for a record
    without one, a surrogate hashed from its content (the same record in two files gets the
    same surrogate)."""
    metadata = record.get("metadata")
    if isinstance(metadata, Mapping):
        identifier = metadata.get("id")
        if isinstance(identifier, str) and identifier:
            return identifier
    content = {k: v for k, v in record.items() if k != "appRecordFetchTimeEpochMillis"}
    canonical = json.dumps(content, sort_keys=True, default=str, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def last_modified(record: Mapping[str, Any]) -> int:
    """``metadata.lastModifiedTimeEpochMillis``, or 0 when absent."""
    metadata = record.get("metadata")
    value = metadata.get("lastModifiedTimeEpochMillis") if isinstance(metadata, Mapping) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def fetched_at(record: Mapping[str, Any]) -> int:
    """``appRecordFetchTimeEpochMillis`` (when the exporter read the record), or 0."""
    value = record.get("appRecordFetchTimeEpochMillis")
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def version_rank(record: Mapping[str, Any]) -> tuple[int, int]:
    """How recent a version of a record is: modified later wins; of two versions modified at
    the same instant, the one fetched later (it knows more: a day that was still running at
    the first fetch had ended by the second)."""
    return last_modified(record), fetched_at(record)


def newest_versions(records: Iterable[Record]) -> list[Record]:
    """One version per record (:func:`record_key`): the highest :func:`version_rank`. Two
    versions of equal rank keep the one that sorts first as JSON, so the choice never depends
    on which file came first."""
    chosen: dict[str, tuple[tuple[int, int], Record]] = {}
    for record in records:
        key = record_key(record)
        rank = version_rank(record)
        held = chosen.get(key)
        if held is None or supersedes(record, rank, held[1], held[0]):
            chosen[key] = (rank, record)
    return [entry[1] for entry in chosen.values()]


def supersedes(
    record: Mapping[str, Any],
    rank: tuple[int, int],
    held: Mapping[str, Any],
    held_rank: tuple[int, int],
) -> bool:
    """Whether ``record`` (of :func:`version_rank` ``rank``) replaces ``held``, another version
    of the same record, as :func:`newest_versions` chooses."""
    return rank > held_rank or (rank == held_rank and _canonical(record) < _canonical(held))


def _canonical(record: Mapping[str, Any]) -> str:
    content = {k: v for k, v in record.items() if k != "appRecordFetchTimeEpochMillis"}
    return json.dumps(content, sort_keys=True, default=str, separators=(",", ":"))


def record_span(
    record: Mapping[str, Any], time_fields: Sequence[str], zone: tzinfo | None
) -> tuple[datetime, datetime] | None:
    """A record's local start and end (aware; an instant record starts and ends at once),
    each instant read in its own offset, else ``zone``, else UTC; ``None`` without times."""
    if not time_fields:
        return None
    start_field, end_field = time_fields[0], time_fields[-1]
    start, end = record.get(start_field), record.get(end_field)
    if not isinstance(start, int) or isinstance(start, bool):
        return None
    if not isinstance(end, int) or isinstance(end, bool) or end < start:
        end = start
    return (
        to_local(start, readable_offset(record.get(offset_field_for(start_field))), zone),
        to_local(end, readable_offset(record.get(offset_field_for(end_field))), zone),
    )


def window_days_of(
    rule: WindowRule, record: Mapping[str, Any], time_fields: Sequence[str], zone: tzinfo | None
) -> list[date]:
    """First days of the windows of ``rule`` that ``record`` touches."""
    span = record_span(record, time_fields, zone)
    if span is None:
        return []
    return windows_of_span(rule, span[0], span[1])


def clock_of(
    records: Iterable[Mapping[str, Any]], time_fields: Sequence[str], zone: tzinfo | None
) -> ClockSource:
    """The clock a set of records is read in: their own offsets when every record has one,
    else what ``zone`` says it is (core's inferred zone names its own source), else UTC."""
    offset_fields = {offset_field_for(name) for name in time_fields}
    if all(
        readable_offset(record.get(name)) not in (None, "Z", "z", "")
        for record in records
        for name in offset_fields
    ):
        return ClockSource.RECORD_OFFSETS
    if zone is None:
        return ClockSource.UTC
    if not isinstance(zone, PersonZone):
        return ClockSource.CONFIGURED
    weakest = ClockSource.RECORD_OFFSETS
    fields = [(name, offset_field_for(name)) for name in time_fields]
    for record in records:
        for name, offset_name in fields:
            value = record.get(name)
            own = readable_offset(record.get(offset_name))
            if own in (None, "Z", "z", "") and isinstance(value, int):
                weakest = max(weakest, zone.source_at(value), key=CLOCK_STRENGTH.index)
    return weakest


_EPOCH = datetime(1970, 1, 1)
_MICROSECOND = timedelta(microseconds=1)


def _wall_us(moment: datetime) -> int:
    """Microseconds of a wall-clock time (its zone dropped) read as if it were UTC."""
    return (moment.replace(tzinfo=None) - _EPOCH) // _MICROSECOND


class _WallClock:
    """Local wall-clock times of many instants, as :func:`record_span` reads them (each
    instant in its own offset, else ``zone``, else UTC), in integer microseconds: a window
    of a few thousand records would otherwise build an aware datetime per instant. The person's
    zone is read through :meth:`PersonZone.offset_at` (memoised by epoch hour); any other zone
    through ``datetime.fromtimestamp``, as :func:`to_local` reads it."""

    __slots__ = ("_fixed", "zone")

    def __init__(self, zone: tzinfo | None) -> None:
        self.zone = zone
        self._fixed: dict[object, int | None] = {}

    def own_us(self, offset_id: object) -> int | None:
        """A record's own offset in microseconds, or ``None`` when it has no real one."""
        if not isinstance(offset_id, str):
            return None
        fixed = self._fixed.get(offset_id, _MISSING)
        if fixed is _MISSING:
            readable = readable_offset(offset_id)
            parsed = parse_offset(readable) if readable is not None else None
            offset = parsed.utcoffset(None) if parsed is not None else None
            fixed = self._fixed[offset_id] = offset // _MICROSECOND if offset is not None else None
        return fixed  # type: ignore[return-value]

    def zone_us(self, epoch_ms: int) -> int:
        """An instant's wall clock in the person's zone (else UTC)."""
        zone = self.zone
        if zone is None:
            return epoch_ms * 1000
        if type(zone) is PersonZone:
            return epoch_ms * 1000 + zone.offset_at(epoch_ms) // _MICROSECOND
        return _wall_us(to_local(epoch_ms, None, zone))

    def source(self, borrowed_hours: Iterable[int | None]) -> ClockSource:
        """The clock of a window whose records lacked an offset of their own at these epoch
        hours (``None``: at a time that is no instant): :func:`clock_of`'s answer, from the
        hours rather than from the records."""
        hours = set(borrowed_hours)
        zone = self.zone
        if not hours:
            return ClockSource.RECORD_OFFSETS
        if zone is None:
            return ClockSource.UTC
        if not isinstance(zone, PersonZone):
            return ClockSource.CONFIGURED
        sources = (zone.source_at(hour * HOUR_MS) for hour in hours if hour is not None)
        return max(sources, key=CLOCK_STRENGTH.index, default=ClockSource.RECORD_OFFSETS)


_MISSING = object()


def _start_ms(record: Mapping[str, Any], time_fields: Sequence[str]) -> int:
    value = record.get(time_fields[0]) if time_fields else None
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _by_start(records: list[Record], time_fields: Sequence[str]) -> list[Record]:
    """``records`` ordered by start time, then by record key; the keys are read only when two
    records start together (rare, and reading them costs more than the ordering)."""
    starts = [_start_ms(record, time_fields) for record in records]
    if len(set(starts)) == len(starts):
        return [records[i] for i in sorted(range(len(records)), key=starts.__getitem__)]
    return sorted(records, key=lambda record: (_start_ms(record, time_fields), record_key(record)))


def build_window(
    record_type: str,
    rule: WindowRule,
    first_day: date,
    records: Iterable[Record],
    *,
    time_fields: Sequence[str],
    user: UserContext | None = None,
    distinct: bool = False,
) -> Window:
    """The window of ``rule`` starting on ``first_day``, from a person's records (several
    versions of one record allowed: the newest counts), as core hands it to
    ``etl_process_window``: the distinct records touching it (both ends of a record's span
    count), ordered by start time, and the records of its lookback in ``earlier``. With
    ``distinct``, ``records`` already hold one version per record."""
    person = user or UserContext()
    # The history already holds one version per record; files and tests may hold several.
    candidates = list(records) if distinct else newest_versions(records)
    window_start = rule.local_start(first_day)
    lookback_start = window_start - timedelta(days=rule.lookback_days)
    window_end = rule.local_end(first_day)
    inside: list[Record] = []
    earlier: list[Record] = []
    clock_source: ClockSource | None = None
    if time_fields:
        # record_span's reading, in integer wall-clock microseconds.
        clock = _WallClock(person.timezone)
        own_us, zone_us = clock.own_us, clock.zone_us
        start_field, end_field = time_fields[0], time_fields[-1]
        start_offset, end_offset = offset_field_for(start_field), offset_field_for(end_field)
        low, high = _wall_us(lookback_start), _wall_us(window_end)
        window_low = _wall_us(window_start)
        instant = start_field == end_field
        # Epoch hours of the window's instants read in the person's zone: the window's clock
        # (clock_of) follows from them without a second pass over the records.
        borrowed: list[int | None] = []
        for record in candidates:
            start_ms = record.get(start_field)
            if not isinstance(start_ms, int) or isinstance(start_ms, bool):
                continue
            start_shift = own_us(record.get(start_offset))
            start = start_ms * 1000 + start_shift if start_shift is not None else zone_us(start_ms)
            end_raw: object = start_ms
            if instant:
                end, end_shift = start, start_shift
            else:
                end_raw = end_ms = record.get(end_field)
                if not isinstance(end_ms, int) or isinstance(end_ms, bool) or end_ms < start_ms:
                    end_ms = start_ms
                end_shift = own_us(record.get(end_offset))
                end = end_ms * 1000 + end_shift if end_shift is not None else zone_us(end_ms)
            if start < high and end >= window_low:
                inside.append(record)
                if start_shift is None:
                    borrowed.append(start_ms // HOUR_MS)
                if end_shift is None:
                    borrowed.append(end_raw // HOUR_MS if isinstance(end_raw, int) else None)
            elif rule.lookback_days and start < window_low and end >= low:
                earlier.append(record)
        if len(time_fields) <= 2:
            clock_source = clock.source(borrowed)

    return Window(
        record_type,
        rule,
        first_day,
        records=_by_start(inside, time_fields),
        earlier=_by_start(earlier, time_fields),
        user=person,
        clock=clock_source or clock_of(inside, time_fields, person.timezone),
    )
