"""The record history: every distinct record a person's exports brought, and the windows built
from them.

Health Connect exports are rolling snapshots that overlap, so a file is not a unit of meaning;
a person's calendar window is. After validation each file's valid records are merged here, per
(pseudonymous user, record type), keyed by ``metadata.id``: a newer
``lastModifiedTimeEpochMillis`` replaces the older version, an identical record changes
nothing. Every window whose records a merge changed gets a higher **version** and is marked
pending; the window stage then rebuilds it from a consistent snapshot (its version and its
records read in one transaction) and publishes the result as revision ``version`` with a
compare-and-set on ``built_version``. Whatever the interleaving of workers, the highest version
built is built from the records as they were at that version, and every merge that bumps a
window leaves it pending until some builder has read at least that version: no lost update.

Whole records are stored (compact JSON), not values a plugin declared: a plugin upgrade, a new
window rule or a review chart can rebuild any window exactly from what arrived, and a record is
a few hundred bytes (a year of five-minute CGM readings is about 40 MB per person).

Local time needs an offset. Records carrying one add ``(hour, offset)`` observations to the
person's timeline; a record without one is read at the offset of the person's nearest
observation (:func:`etl_core.contract.timeutil.infer_offset_minutes`). A merge that adds
observations
therefore also bumps the windows of offset-less records (of any type) whose inferred offset it
changes, which keeps the result independent of the order in which files arrive.

SQLite (``etl run``: one file under the output's state folder; writers serialise on ``BEGIN
IMMEDIATE``) or PostgreSQL (workers: merges of one person serialise on a transaction-scoped
advisory lock; snapshots read at REPEATABLE READ).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    bindparam,
    create_engine,
    delete,
    event,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.schema import CreateIndex, CreateTable

from etl_core.contract.model import Record, UserContext
from etl_core.contract.timeutil import (
    HOUR_MS,
    INFERENCE_BOUND_HOURS,
    PersonZone,
    UnknownZoneError,
    infer_offset_minutes,
    load_zone,
    offset_field_for,
    parse_offset,
    zone_reach_hours,
)
from etl_core.contract.windows import (
    FALLBACK_RULES,
    TypePlan,
    WindowPlan,
    WindowRule,
    record_key,
    supersedes,
    version_rank,
)
from etl_core.stores.history.base import (
    DecodedRecords,
    HistoryUnavailableError,
    MergeResult,
    PendingWindow,
    WindowRef,
    WindowSnapshot,
)
from etl_core.stores.sql import engine_options, prepare_sqlite_connection, upsert_insert

MAX_KEY_LENGTH = 255
"""Longest record key the store indexes (``metadata.id``); longer ids are refused."""
MAX_OFFSET_MS = 14 * HOUR_MS
"""UTC offsets lie within +-14 h: the margin between a local window and the instants it holds."""
_DAY_MS = 86_400_000
_MINUTE_MS = 60_000
UPSERT_CHUNK = 2_000
"""Records written per statement execution when a merge stores a file's records."""


@dataclass(frozen=True, slots=True)
class _Row:
    key: str
    rank: tuple[int, int]
    """(last modified, fetched): see :func:`etl_core.contract.windows.version_rank`."""
    start_ms: int | None
    end_ms: int | None
    start_offset: int | None
    end_offset: int | None
    record: Record | None
    """The record itself (serialised only when written); ``None`` for a stored version."""


_metadata = MetaData()
records_table = Table(
    "etl_history_records",
    _metadata,
    Column("user_key", String(64), primary_key=True),
    Column("record_type", String(100), primary_key=True),
    Column("record_key", String(MAX_KEY_LENGTH), primary_key=True),
    Column("last_modified", BigInteger, nullable=False),
    Column("fetched", BigInteger, nullable=False),
    Column("start_ms", BigInteger),
    Column("end_ms", BigInteger),
    Column("start_offset", Integer),
    Column("end_offset", Integer),
    Column("body", Text, nullable=False),
    Column("stored_at", Float, nullable=False),
)
_records_by_time = Index(
    "ix_etl_history_records_time",
    records_table.c.user_key,
    records_table.c.record_type,
    records_table.c.start_ms,
)
_RECORDS_WITHOUT_OFFSET = text(
    # A partial index, written once for both dialects: SQLAlchemy's per-dialect ``where``
    # arguments would import the PostgreSQL dialect into every SQLite process.
    "CREATE INDEX IF NOT EXISTS ix_etl_history_records_offsetless "
    "ON etl_history_records (user_key, start_ms) WHERE start_offset IS NULL"
)
offsets_table = Table(
    "etl_history_offsets",
    _metadata,
    Column("user_key", String(64), primary_key=True),
    Column("hour", BigInteger, primary_key=True),
    Column("offset_minutes", Integer, primary_key=True),
)
types_table = Table(
    "etl_history_types",
    _metadata,
    Column("user_key", String(64), primary_key=True),
    Column("record_type", String(100), primary_key=True),
    Column("max_span_ms", BigInteger, nullable=False),
    Column("time_fields", String(200), nullable=False),
)
windows_table = Table(
    "etl_history_windows",
    _metadata,
    Column("user_key", String(64), primary_key=True),
    Column("record_type", String(100), primary_key=True),
    Column("window_key", String(64), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("built_version", Integer, nullable=False),
    Column("revision", Integer, nullable=False),
    Column("content_hash", String(64)),
    Column("pending", Boolean, nullable=False),
    Column("failed_version", Integer),
    Column("last_day", String(10), nullable=False),
    Column("updated_at", Float, nullable=False),
)
people_table = Table(
    "etl_history_people",
    _metadata,
    Column("user_key", String(64), primary_key=True),
    Column("timezone", String(100)),
    Column("age_years", Integer),
    Column("updated_at", Float, nullable=False),
)
"""What the latest upload said of each person (zone, age): a builder that did not receive
that upload (another thread, another worker, a restart) rebuilds with it."""
_pending_windows = Index(
    "ix_etl_history_windows_pending",
    windows_table.c.pending,
    windows_table.c.user_key,
)


# The statements every window rebuild runs, built once (building one cost more than running
# it); values are bound per call.
_WINDOW_STATE = select(
    windows_table.c.version, windows_table.c.revision, windows_table.c.content_hash
).where(
    windows_table.c.user_key == bindparam("b_user"),
    windows_table.c.record_type == bindparam("b_type"),
    windows_table.c.window_key == bindparam("b_window"),
)
_TYPE_EXTENT = select(types_table.c.max_span_ms, types_table.c.time_fields).where(
    types_table.c.user_key == bindparam("b_user"),
    types_table.c.record_type == bindparam("b_type"),
)
_record_local_start = records_table.c.start_ms + records_table.c.start_offset * _MINUTE_MS
_record_local_end = records_table.c.end_ms + records_table.c.end_offset * _MINUTE_MS
_BODIES_BETWEEN = select(records_table.c.body).where(
    records_table.c.user_key == bindparam("b_user"),
    records_table.c.record_type == bindparam("b_type"),
    records_table.c.start_ms >= bindparam("b_low"),
    records_table.c.start_ms < bindparam("b_high"),
    records_table.c.end_ms >= bindparam("b_end"),
    # The instant range above holds any offset (+-14 h on each side: more than twice a day
    # window). A record that states its offsets has a known local span, so the database
    # drops those outside the window instead of handing them over to be decoded and
    # dropped by build_window. A record without offsets is read at the person's clock: the
    # caller bounds the instants that clock can put in the window (b_clock_*).
    or_(
        and_(
            records_table.c.start_offset.is_(None),
            records_table.c.end_offset.is_(None),
            records_table.c.start_ms < bindparam("b_clock_high"),
            records_table.c.end_ms >= bindparam("b_clock_low"),
        ),
        and_(
            or_(records_table.c.start_offset.is_(None), records_table.c.end_offset.is_(None)),
            or_(
                records_table.c.start_offset.is_not(None),
                records_table.c.end_offset.is_not(None),
            ),
        ),
        and_(
            _record_local_start < bindparam("b_local_high"),
            or_(
                _record_local_start >= bindparam("b_local_low"),
                _record_local_end >= bindparam("b_local_low"),
            ),
        ),
    ),
)
_OBSERVATIONS_BETWEEN = select(offsets_table.c.hour, offsets_table.c.offset_minutes).where(
    offsets_table.c.user_key == bindparam("b_user"),
    offsets_table.c.hour >= bindparam("b_low"),
    offsets_table.c.hour <= bindparam("b_high"),
)
_MARK_BUILT = (
    update(windows_table)
    .where(
        windows_table.c.user_key == bindparam("b_user"),
        windows_table.c.record_type == bindparam("b_type"),
        windows_table.c.window_key == bindparam("b_window"),
        windows_table.c.built_version < bindparam("b_version"),
    )
    .values(
        built_version=bindparam("b_version"),
        pending=windows_table.c.version > bindparam("b_version"),
        failed_version=None,
        content_hash=bindparam("b_hash"),
        updated_at=bindparam("b_now"),
    )
)
_MARK_PUBLISHED = _MARK_BUILT.values(revision=bindparam("b_version"))


def _offset_minutes(value: object) -> int | None:
    if not isinstance(value, str):
        return None
    try:
        offset = parse_offset(value)
    except ValueError:
        return None
    if offset is None:
        return None
    delta = offset.utcoffset(None)
    return None if delta is None else int(delta.total_seconds() // 60)


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _row(record: Record, time_fields: Sequence[str]) -> _Row:
    start = end = None
    start_offset = end_offset = None
    if time_fields:
        start = _int(record.get(time_fields[0]))
        end = _int(record.get(time_fields[-1]))
        if start is not None and (end is None or end < start):
            end = start
        start_offset = _offset_minutes(record.get(offset_field_for(time_fields[0])))
        end_offset = _offset_minutes(record.get(offset_field_for(time_fields[-1])))
    key = record_key(record)
    if len(key) > MAX_KEY_LENGTH:
        raise ValueError(f"record id longer than {MAX_KEY_LENGTH} characters")
    return _Row(key, version_rank(record), start, end, start_offset, end_offset, record)


def _newest_rows(records: Iterable[Record], time_fields: Sequence[str]) -> list[_Row]:
    """The rows of ``newest_versions(records)``, in its order: each record's key and rank are
    read once, for choosing its version and for its row."""
    chosen: dict[str, _Row] = {}
    for record in records:
        row = _row(record, time_fields)
        held = chosen.get(row.key)
        if held is None or (
            held.record is not None and supersedes(record, row.rank, held.record, held.rank)
        ):
            chosen[row.key] = row
    return list(chosen.values())


def _body(record: Record | None) -> str:
    return json.dumps(record, separators=(",", ":"), default=str, allow_nan=True)


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_MAX_ORDINAL = date.max.toordinal()
_MINUTE_US = 60_000_000
_HOUR_US = 3_600_000_000
_DAY_US = 86_400_000_000
_MICROSECOND = timedelta(microseconds=1)


class _Clock:
    """One of the person's clocks read at many instants, in integer microseconds. A merge
    reads it at every stored record's ends; :class:`PersonZone` memoises its inferred offsets
    by epoch hour, so a reading costs a dictionary lookup."""

    __slots__ = ("zone",)

    def __init__(self, zone: PersonZone) -> None:
        self.zone = zone

    def offset_us(self, epoch_ms: int) -> int:
        """The offset at an instant, in microseconds (``zone.offset_at(epoch_ms)``)."""
        return self.zone.offset_at(epoch_ms) // _MICROSECOND

    def window_day(self, epoch_ms: int, own_offset: int | None, start_hour: int) -> int:
        """Ordinal of the window day (days starting at ``start_hour``) of an instant's local
        wall clock: its own offset, else this clock's. Integer arithmetic, equal to
        ``rule.window_day(naive local datetime)``."""
        shift = own_offset * _MINUTE_US if own_offset is not None else self.offset_us(epoch_ms)
        ordinal = _EPOCH_ORDINAL + (epoch_ms * 1000 + shift - start_hour * _HOUR_US) // _DAY_US
        if not 1 <= ordinal <= _MAX_ORDINAL:
            raise OverflowError("date value out of range")
        return ordinal


class _RuleWindows:
    """The windows of one rule that a record's local span touches, memoised by the span's
    first and last window days: a file's records share a handful of days, so each distinct
    span is worked out once per merge instead of once per record."""

    __slots__ = ("_checked", "_dependent", "_edges", "_own", "rule")

    def __init__(self, rule: WindowRule) -> None:
        self.rule = rule
        self._own: dict[tuple[int, int], tuple[tuple[date, str], ...]] = {}
        self._dependent: dict[tuple[int, int], tuple[str, ...]] = {}
        self._edges: dict[tuple[int, int], tuple[str, ...]] = {}
        self._checked: dict[date, bool] = {}

    def days(
        self,
        start_ms: int,
        end_ms: int,
        start_offset: int | None,
        end_offset: int | None,
        clock: _Clock,
    ) -> tuple[int, int]:
        """Ordinals of the window days a record's start and end fall on."""
        hour = self.rule.start_hour
        return (
            clock.window_day(start_ms, start_offset, hour),
            clock.window_day(end_ms, end_offset, hour),
        )

    def own(self, first: int, last: int) -> tuple[tuple[date, str], ...]:
        """(first day, key) of every window the span from window day ``first`` to ``last``
        touches."""
        span = (first, max(first, last))
        found = self._own.get(span)
        if found is None:
            rule = self.rule
            days = rule.first_days_overlapping(date.fromordinal(span[0]), date.fromordinal(span[1]))
            found = self._own[span] = tuple((day, rule.key(day)) for day in days)
        return found

    def edges_moved(
        self, first: int, last: int, before: PersonZone, after: PersonZone
    ) -> tuple[str, ...]:
        """Keys of the span's own windows whose edges (lookback start, start, end) have other
        offsets on the two clocks (:func:`_edges_moved`)."""
        span = (first, max(first, last))
        found = self._edges.get(span)
        if found is None:
            checked = self._checked
            found = self._edges[span] = tuple(
                key
                for day, key in self.own(first, last)
                if _edges_moved(self.rule, day, before, after, checked)
            )
        return found

    def dependent(self, first: int, last: int) -> tuple[str, ...]:
        """Keys of the windows whose lookback (not the window itself) holds the span."""
        rule = self.rule
        if not rule.lookback_days:
            return ()
        found = self._dependent.get((first, last))
        if found is None:
            first_day, last_day = date.fromordinal(first), date.fromordinal(last)
            lookback = timedelta(days=rule.lookback_days)
            found = tuple(
                rule.key(day)
                for day in rule.first_days_overlapping(
                    first_day + timedelta(days=1),
                    last_day + timedelta(days=rule.lookback_days + rule.days),
                )
                if day - lookback <= last_day and first_day < day
            )
            self._dependent[(first, last)] = found
        return found


def _edges_moved(
    rule: WindowRule,
    first_day: date,
    before: PersonZone,
    after: PersonZone,
    checked: dict[date, bool],
) -> bool:
    """Whether the offsets at a window's edges (its lookback's start, its start and its end)
    differ between two clocks of the person (``checked``: this rule's answers so far)."""
    if first_day not in checked:
        edges = (
            rule.local_start(first_day) - timedelta(days=rule.lookback_days),
            rule.local_start(first_day),
            rule.local_end(first_day),
        )
        checked[first_day] = any(
            before.utcoffset(edge.replace(tzinfo=before))
            != after.utcoffset(edge.replace(tzinfo=after))
            for edge in edges
        )
    return checked[first_day]


def _changed_hours(
    added: Iterable[tuple[int, int]], before: PersonZone, after: PersonZone
) -> set[int]:
    """Epoch hours at which the two clocks may read differently: where the inferred offsets
    differ. Inference only reaches ``bound_hours`` from an observation, so new observations
    change nothing farther away (and the fallback zone is the same on both clocks)."""
    reach = after.bound_hours
    hours: set[int] = set()
    for hour, _ in added:
        hours.update(range(hour - reach, hour + reach + 1))
    return {
        hour
        for hour in hours
        if infer_offset_minutes(hour * HOUR_MS, before.observations, before.bound_hours)
        != infer_offset_minutes(hour * HOUR_MS, after.observations, after.bound_hours)
    }


def _observations(rows: Iterable[_Row]) -> set[tuple[int, int]]:
    seen: set[tuple[int, int]] = set()
    for row in rows:
        if row.start_ms is not None and row.start_offset is not None:
            seen.add((row.start_ms // HOUR_MS, row.start_offset))
        if row.end_ms is not None and row.end_offset is not None:
            seen.add((row.end_ms // HOUR_MS, row.end_offset))
    return seen


def _stored_row(item: Any) -> _Row:
    """A stored record's rank and position, without its body."""
    return _Row(item[0], (item[1], item[2]), item[3], item[4], item[5], item[6], None)


def _user_lock_key(user: str) -> int:
    return int.from_bytes(hashlib.sha256(user.encode()).digest()[:8], "big", signed=True)


_REBUILD_LOCK_KIND = 0x45544C52
"""The first key of a person's rebuild lock; PostgreSQL keeps two-key advisory locks apart
from the one-key merge locks."""


@contextmanager
def _file_turn(folder: Path, user: str) -> Iterator[bool]:
    """A person's rebuild turn among every process and thread using one SQLite file: an
    exclusive ``flock`` of a file named after a hash of the (already pseudonymous) key. Each
    call opens the file anew, so two threads of one process exclude each other too."""
    folder.mkdir(parents=True, exist_ok=True)
    name = hashlib.sha256(user.encode()).hexdigest()[:32]
    with open(folder / f"{name}.lock", "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class SqlHistoryStore:
    """The history on SQLite or PostgreSQL, through SQLAlchemy. Thread-safe."""

    def __init__(
        self,
        url: str,
        *,
        retention_days: float | None = None,
        bound_hours: int = INFERENCE_BOUND_HOURS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.retention_days = retention_days
        self.bound_hours = bound_hours
        self._clock = clock
        self.is_sqlite = url.startswith("sqlite")
        self.engine: Engine = create_engine(url, **engine_options(url))
        self._insert = upsert_insert(self.engine.dialect.name)
        database = self.engine.url.database if self.is_sqlite else None
        self._turn_folder = (
            Path(f"{database}.rebuilding") if database and database != ":memory:" else None
        )
        """Where a SQLite history's rebuild turns are locked; none for an in-memory one."""
        self._memory_turns: dict[str, threading.Lock] = {}
        self._turn_scope = ""
        self._record_upsert = self._upsert_statement()
        self._window_upsert = self._window_upsert_statement()
        self._person_upsert = self._person_upsert_statement()
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_connect)
            event.listen(self.engine, "begin", _sqlite_begin)
        try:
            with self.engine.begin() as connection:
                tables = (records_table, offsets_table, types_table, windows_table, people_table)
                for table in tables:
                    connection.execute(CreateTable(table, if_not_exists=True))
                for index in (_records_by_time, _pending_windows):
                    connection.execute(CreateIndex(index, if_not_exists=True))
                connection.execute(_RECORDS_WITHOUT_OFFSET)
                if not self.is_sqlite:
                    # Advisory locks are database-wide; histories in other schemas of the same
                    # database must not share a person's rebuild turn.
                    self._turn_scope = str(
                        connection.execute(text("select current_schema()")).scalar() or ""
                    )
        except SQLAlchemyError as exc:
            raise self._unavailable(exc) from exc

    def _upsert_statement(self) -> Any:
        """Insert a record version, or replace the held one if this one ranks higher."""
        table = records_table
        statement = self._insert(table)
        excluded = statement.excluded
        return statement.on_conflict_do_update(
            index_elements=[table.c.user_key, table.c.record_type, table.c.record_key],
            set_={
                "last_modified": excluded.last_modified,
                "fetched": excluded.fetched,
                "start_ms": excluded.start_ms,
                "end_ms": excluded.end_ms,
                "start_offset": excluded.start_offset,
                "end_offset": excluded.end_offset,
                "body": excluded.body,
                "stored_at": excluded.stored_at,
            },
            where=or_(
                excluded.last_modified > table.c.last_modified,
                and_(
                    excluded.last_modified == table.c.last_modified,
                    excluded.fetched > table.c.fetched,
                ),
            ),
        )

    def _window_upsert_statement(self) -> Any:
        """Create a window at version 1, pending, or raise the version of the one held."""
        table = windows_table
        statement = self._insert(table).values(
            user_key=bindparam("user_key"),
            record_type=bindparam("record_type"),
            window_key=bindparam("window_key"),
            version=1,
            built_version=0,
            revision=0,
            content_hash=None,
            pending=True,
            last_day=bindparam("last_day"),
            updated_at=bindparam("updated_at"),
        )
        return statement.on_conflict_do_update(
            index_elements=[table.c.user_key, table.c.record_type, table.c.window_key],
            set_={
                "version": table.c.version + 1,
                "pending": True,
                "updated_at": statement.excluded.updated_at,
            },
        )

    def _unavailable(self, exc: SQLAlchemyError) -> HistoryUnavailableError:
        path = self.engine.url.database if self.is_sqlite else None
        return HistoryUnavailableError(f"history store unavailable: {type(exc).__name__}", path)

    @classmethod
    def sqlite_file(cls, path: Path, **kwargs: Any) -> SqlHistoryStore:
        path.parent.mkdir(parents=True, exist_ok=True)
        return cls(f"sqlite:///{path}", **kwargs)

    # -- transactions -------------------------------------------------------------------------

    @contextmanager
    def _writing(self, user: str, *, lock: bool = True) -> Iterator[Connection]:
        """A write transaction; with ``lock``, holding the person's merge lock (SQLite: the
        database's write lock in any case)."""
        try:
            with self.engine.connect() as connection:
                connection = connection.execution_options(etl_write=True)
                with connection.begin():
                    if lock and not self.is_sqlite:
                        connection.execute(
                            text("select pg_advisory_xact_lock(:key)"),
                            {"key": _user_lock_key(user)},
                        )
                    yield connection
        except SQLAlchemyError as exc:
            raise self._unavailable(exc) from exc

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        """A read transaction on one snapshot."""
        try:
            with self.engine.connect() as connection:
                if not self.is_sqlite:
                    connection = connection.execution_options(isolation_level="REPEATABLE READ")
                with connection.begin():
                    yield connection
        except SQLAlchemyError as exc:
            raise self._unavailable(exc) from exc

    # -- merge --------------------------------------------------------------------------------

    def merge(
        self,
        user: str,
        record_type: str,
        records: Sequence[Record],
        plan: WindowPlan,
        fallback: tzinfo | None = None,
        *,
        person: UserContext | None = None,
    ) -> MergeResult:
        """Merge one file's valid records; bump the windows the change touches. With
        ``person`` (what the upload said of the person), remember it in the same transaction
        for whoever rebuilds those windows (:meth:`person`)."""
        type_plan = plan.get(record_type, TypePlan())
        rows = _newest_rows(records, type_plan.time_fields)
        if not rows:
            return MergeResult(0, 0, 0, 0, ())
        with self._writing(user) as connection:
            held = self._held(connection, user, record_type, rows)
            changed = [r for r in rows if r.key not in held or r.rank > held[r.key].rank]
            if not changed:
                return MergeResult(0, 0, 0, len(rows), ())
            replaced = [held[r.key] for r in changed if r.key in held]
            if person is not None:
                self._remember(connection, user, person)
            arriving = _observations(changed)
            instants = [
                ms
                for row in (*changed, *replaced)
                for ms in (row.start_ms, row.end_ms)
                if ms is not None
            ]
            reach = (self.bound_hours + 1) * 2
            low_hour = min(instants, default=0) // HOUR_MS - reach
            high_hour = max(instants, default=0) // HOUR_MS + reach
            before = self._observations_between(connection, user, low_hour, high_hour)
            added_observations = sorted(arriving - set(before))
            zone_before = PersonZone(before, fallback, self.bound_hours)
            zone_after = PersonZone([*before, *added_observations], fallback, self.bound_hours)
            if added_observations:
                connection.execute(
                    self._insert(offsets_table).on_conflict_do_nothing(),
                    [
                        {"user_key": user, "hour": hour, "offset_minutes": minutes}
                        for hour, minutes in added_observations
                    ],
                )
            self._upsert_records(connection, user, record_type, changed, type_plan.time_fields)
            clock_before, clock_after = _Clock(zone_before), _Clock(zone_after)
            own_keys: set[str] = set()
            dependent_keys: set[str] = set()
            rules = [_RuleWindows(rule) for rule in type_plan.rules]
            for row, clock in [
                *((r, clock_after) for r in changed),
                *((r, clock_before) for r in replaced),
            ]:
                if row.start_ms is None or row.end_ms is None:
                    continue
                for windows in rules:
                    first, last = windows.days(
                        row.start_ms, row.end_ms, row.start_offset, row.end_offset, clock
                    )
                    own_keys.update(key for _, key in windows.own(first, last))
                    dependent_keys.update(windows.dependent(first, last))
            own = {(record_type, key) for key in own_keys}
            dependent = {(record_type, key) for key in dependent_keys}
            plans: dict[str, TypePlan] = {}
            if added_observations:
                moved_own, moved_dependent = self._reread_clocks(
                    connection, user, plan, added_observations, zone_before, zone_after, plans
                )
                own |= moved_own
                dependent |= moved_dependent
            bumped = self._bump(connection, user, own, dependent - own, plan, plans)
        refs = tuple(sorted(WindowRef(user, t, k) for t, k in bumped))
        added = sum(1 for row in changed if row.key not in held)
        newer = sum(1 for row in changed if row.key in held and row.rank[0] > held[row.key].rank[0])
        refetched = len(changed) - added - newer
        return MergeResult(added, newer, refetched, len(rows) - len(changed), refs)

    def _held(
        self, connection: Connection, user: str, record_type: str, rows: Sequence[_Row]
    ) -> dict[str, _Row]:
        """The stored versions of ``rows``' records: one range query over the file's time span
        (a daily export's records are mostly there), then the few ids not found by id."""
        table = records_table
        columns = (
            table.c.record_key,
            table.c.last_modified,
            table.c.fetched,
            table.c.start_ms,
            table.c.end_ms,
            table.c.start_offset,
            table.c.end_offset,
        )
        wanted = {row.key for row in rows}
        held: dict[str, _Row] = {}
        starts = [row.start_ms for row in rows if row.start_ms is not None]
        if starts:
            span, _ = self._type_extent(connection, user, record_type)
            found = connection.execute(
                select(*columns).where(
                    table.c.user_key == user,
                    table.c.record_type == record_type,
                    table.c.start_ms >= min(starts) - span - _DAY_MS,
                    table.c.start_ms <= max(starts) + _DAY_MS,
                )
            )
            for item in found:
                if item.record_key in wanted:
                    held[item.record_key] = _stored_row(item)
        missing = sorted(wanted - held.keys())
        for chunk_start in range(0, len(missing), 500):
            chunk = missing[chunk_start : chunk_start + 500]
            found = connection.execute(
                select(*columns).where(
                    table.c.user_key == user,
                    table.c.record_type == record_type,
                    table.c.record_key.in_(chunk),
                )
            )
            for item in found:
                held[item.record_key] = _stored_row(item)
        return held

    def _plan_of(
        self,
        connection: Connection,
        user: str,
        record_type: str,
        plan: WindowPlan,
        stored: dict[str, TypePlan],
    ) -> TypePlan:
        """``plan``'s entry for a type, else the stored plan (read once per merge)."""
        known = plan.get(record_type)
        if known:
            return known
        if record_type not in stored:
            stored[record_type] = self._stored_plan(connection, user, record_type)
        return stored[record_type]

    def _stored_plan(self, connection: Connection, user: str, record_type: str) -> TypePlan:
        """The plan of a type this process has no plugin for: core's fallback rules (a type
        another process's plugin owns has no owner anywhere in a consistent deployment) over
        the time fields the type's records were stored with."""
        return TypePlan(FALLBACK_RULES, self._type_extent(connection, user, record_type)[1])

    def _type_extent(
        self, connection: Connection, user: str, record_type: str
    ) -> tuple[int, tuple[str, ...]]:
        """The type's widest stored record (milliseconds) and the time fields its records were
        stored with, in one read."""
        known = connection.execute(
            _TYPE_EXTENT, {"b_user": user, "b_type": record_type}
        ).one_or_none()
        if known is None:
            return 0, ()
        fields = tuple(name for name in str(known.time_fields or "").split(",") if name)
        return int(known.max_span_ms or 0), fields

    def _observations_between(
        self, connection: Connection, user: str, low_hour: int, high_hour: int
    ) -> list[tuple[int, int]]:
        found = connection.execute(
            _OBSERVATIONS_BETWEEN, {"b_user": user, "b_low": low_hour, "b_high": high_hour}
        )
        return sorted((int(hour), int(minutes)) for hour, minutes in found)

    def _upsert_records(
        self,
        connection: Connection,
        user: str,
        record_type: str,
        rows: Sequence[_Row],
        time_fields: Sequence[str],
    ) -> None:
        now = self._clock()
        # One statement, many parameter sets: compiled once and cached, executed as the
        # driver's executemany (a VALUES list of thousands of rows costs more to compile than
        # to run). In chunks, so that a large file's serialised bodies are never all in memory
        # at once beside its decoded records.
        for chunk_start in range(0, len(rows), UPSERT_CHUNK):
            connection.execute(
                self._record_upsert,
                [
                    {
                        "user_key": user,
                        "record_type": record_type,
                        "record_key": row.key,
                        "last_modified": row.rank[0],
                        "fetched": row.rank[1],
                        "start_ms": row.start_ms,
                        "end_ms": row.end_ms,
                        "start_offset": row.start_offset,
                        "end_offset": row.end_offset,
                        "body": _body(row.record),
                        "stored_at": now,
                    }
                    for row in rows[chunk_start : chunk_start + UPSERT_CHUNK]
                ],
            )
        spans = [
            r.end_ms - r.start_ms for r in rows if r.start_ms is not None and r.end_ms is not None
        ]
        statement = self._insert(types_table).values(
            user_key=user,
            record_type=record_type,
            max_span_ms=max(spans, default=0),
            time_fields=",".join(time_fields),
        )
        greater = func.max if self.is_sqlite else func.greatest
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=[types_table.c.user_key, types_table.c.record_type],
                set_={
                    "max_span_ms": greater(
                        types_table.c.max_span_ms, statement.excluded.max_span_ms
                    ),
                    "time_fields": statement.excluded.time_fields,
                },
            )
        )

    def _reread_clocks(
        self,
        connection: Connection,
        user: str,
        plan: WindowPlan,
        added: Sequence[tuple[int, int]],
        zone_before: PersonZone,
        zone_after: PersonZone,
        plans: dict[str, TypePlan],
    ) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
        """Windows (own, dependent) that new observations change: those of stored records
        without an offset whose inferred offset moves (their local times move), and those whose
        own edges move (a window's length in hours depends on the offsets at its start and
        end, e.g. the readings a day could hold)."""
        own: set[tuple[str, str]] = set()
        dependent: set[tuple[str, str]] = set()
        changed = _changed_hours(added, zone_before, zone_after)
        if not changed:
            # The new observations confirm offsets the person's clock already inferred.
            return own, dependent
        table = records_table
        reach_ms = (self.bound_hours + 1) * HOUR_MS
        low = added[0][0] * HOUR_MS - reach_ms
        high = (added[-1][0] + 1) * HOUR_MS + reach_ms
        found = connection.execute(
            select(
                table.c.record_type,
                table.c.start_ms,
                table.c.end_ms,
                table.c.start_offset,
                table.c.end_offset,
            ).where(
                table.c.user_key == user,
                table.c.start_offset.is_(None),
                table.c.start_ms >= low - _DAY_MS,
                table.c.start_ms <= high,
            )
        )
        clock_before, clock_after = _Clock(zone_before), _Clock(zone_after)
        by_type: dict[str, list[_RuleWindows]] = {}
        for record_type, start, end, start_offset, end_offset in found:
            if start is None:
                continue
            end = end if end is not None else start
            rules = by_type.get(record_type)
            if rules is None:
                type_plan = self._plan_of(connection, user, record_type, plan, plans)
                rules = by_type[record_type] = [_RuleWindows(rule) for rule in type_plan.rules]
            if not rules:
                continue
            # Outside the changed hours both clocks read an instant alike.
            moved = (start // HOUR_MS in changed or end // HOUR_MS in changed) and (
                clock_before.offset_us(start) != clock_after.offset_us(start)
                or clock_before.offset_us(end) != clock_after.offset_us(end)
            )
            if not moved:
                # Both clocks read the record at the same local times; only windows whose
                # edges moved change.
                for windows in rules:
                    first, last = windows.days(start, end, start_offset, end_offset, clock_after)
                    keys = windows.edges_moved(first, last, zone_before, zone_after)
                    if keys:
                        own.update((record_type, key) for key in keys)
                continue
            for windows in rules:
                for clock in (clock_before, clock_after):
                    first, last = windows.days(start, end, start_offset, end_offset, clock)
                    own.update((record_type, key) for _, key in windows.own(first, last))
                    dependent.update((record_type, k) for k in windows.dependent(first, last))
        return own, dependent

    def _bump(
        self,
        connection: Connection,
        user: str,
        own: set[tuple[str, str]],
        dependent: set[tuple[str, str]],
        plan: WindowPlan,
        plans: dict[str, TypePlan],
    ) -> set[tuple[str, str]]:
        """Raise the version of every window the merge touched: windows holding a changed record
        are created if new; windows only looking back at one are bumped only if they exist
        (a window with no record of its own has nothing to describe)."""
        now = self._clock()
        table = windows_table
        rows: list[dict[str, Any]] = []
        # One order for every transaction: no deadlock between two persons' merges.
        for record_type, key in sorted(own):
            # A type this process has no plugin for (its windows moved with the person's clock)
            # is planned as the merge that stored it planned it.
            type_plan = self._plan_of(connection, user, record_type, plan, plans)
            rule = type_plan.rule(key.partition(":")[0])
            assert rule is not None
            first = date.fromisoformat(key.partition(":")[2])
            rows.append(
                {
                    "user_key": user,
                    "record_type": record_type,
                    "window_key": key,
                    "last_day": (first + timedelta(days=rule.days - 1)).isoformat(),
                    "updated_at": now,
                }
            )
        if rows:
            # One statement for all of them (the driver's executemany, in this order).
            connection.execute(self._window_upsert, rows)
        bumped = set(own)
        by_type: dict[str, list[str]] = {}
        for record_type, key in sorted(dependent):
            by_type.setdefault(record_type, []).append(key)
        for record_type, keys in by_type.items():
            for chunk_start in range(0, len(keys), 500):
                chunk = keys[chunk_start : chunk_start + 500]
                result = connection.execute(
                    update(table)
                    .where(
                        table.c.user_key == user,
                        table.c.record_type == record_type,
                        table.c.window_key.in_(chunk),
                    )
                    .values(version=table.c.version + 1, pending=True, updated_at=now)
                    .returning(table.c.window_key)
                )
                bumped.update((record_type, key) for key in result.scalars())
        return bumped

    def _person_upsert_statement(self) -> Any:
        """Insert what an upload said of a person, or replace what an earlier one said."""
        table = people_table
        statement = self._insert(table)
        return statement.on_conflict_do_update(
            index_elements=[table.c.user_key],
            set_={
                "timezone": statement.excluded.timezone,
                "age_years": statement.excluded.age_years,
                "updated_at": statement.excluded.updated_at,
            },
        )

    def _remember(self, connection: Connection, user: str, person: UserContext) -> None:
        zone = person.timezone
        values = {
            "user_key": user,
            # Only a named zone can be stored; anything else is rebuilt with the default.
            "timezone": getattr(zone, "key", None) if zone is not None else None,
            "age_years": person.age_years,
            "updated_at": self._clock(),
        }
        connection.execute(self._person_upsert, values)

    def person(self, user: str) -> UserContext | None:
        """What the latest merging upload said of ``user`` (``None``: nothing recorded)."""
        table = people_table
        query = select(table.c.timezone, table.c.age_years).where(table.c.user_key == user)
        with self._reading() as connection:
            row = connection.execute(query).one_or_none()
        if row is None:
            return None
        try:
            zone = load_zone(row.timezone)
        except UnknownZoneError:
            # A zone this machine's tz database lacks: infer from the person's records.
            zone = None
        return UserContext(timezone=zone, age_years=row.age_years)

    # -- rebuild ------------------------------------------------------------------------------

    def pending_people(self, limit: int = 10_000) -> list[str]:
        """The people who have windows to rebuild (a window whose build failed waits, as in
        :meth:`pending`)."""
        table = windows_table
        query = (
            select(table.c.user_key)
            .where(
                table.c.pending.is_(True),
                or_(table.c.failed_version.is_(None), table.c.failed_version < table.c.version),
            )
            .group_by(table.c.user_key)
            .order_by(table.c.user_key)
            .limit(limit)
        )
        with self._reading() as connection:
            return [str(user) for user in connection.execute(query).scalars()]

    def pending(self, user: str | None = None, limit: int = 10_000) -> list[PendingWindow]:
        """Windows whose records changed since they were last built, oldest first by key."""
        table = windows_table
        query = select(table.c.user_key, table.c.record_type, table.c.window_key, table.c.version)
        # A window whose build failed waits for its records to change (or a rebuild request)
        # rather than failing again on every file of the person.
        query = query.where(
            table.c.pending.is_(True),
            or_(table.c.failed_version.is_(None), table.c.failed_version < table.c.version),
        )
        if user is not None:
            query = query.where(table.c.user_key == user)
        query = query.order_by(table.c.user_key, table.c.record_type, table.c.window_key)
        with self._reading() as connection:
            rows = connection.execute(query.limit(limit)).all()
        return [PendingWindow(WindowRef(u, t, k), int(v)) for u, t, k, v in rows]

    @contextmanager
    def rebuild_turn(self, user: str) -> Iterator[bool]:
        """Try, without waiting, to become the one builder of ``user``'s pending windows;
        yields whether this caller has the turn, held until the block ends.

        Several inputs of one person arrive together (a backfill, a sync of many files), and
        each would otherwise rebuild the same pending windows at the same time, all but one
        of them for nothing. A caller without the turn leaves its windows to the holder, who
        must look for pending windows again after letting go (see
        :meth:`~etl_core.engine.window_stage.WindowBuilder.rebuild_pending`). The turn ends
        with its holder: a PostgreSQL session lock dies with its connection, a lock on a file
        beside a SQLite database with its process."""
        if not self.is_sqlite:
            with self._postgres_turn(user) as mine:
                yield mine
        elif self._turn_folder is None:
            lock = self._memory_turns.setdefault(user, threading.Lock())
            mine = lock.acquire(blocking=False)
            try:
                yield mine
            finally:
                if mine:
                    lock.release()
        else:
            with _file_turn(self._turn_folder, user) as mine:
                yield mine

    @contextmanager
    def _postgres_turn(self, user: str) -> Iterator[bool]:
        key = {
            "kind": _REBUILD_LOCK_KIND,
            "user": _user_lock_key(f"{self._turn_scope}\x1f{user}") >> 32,
        }
        try:
            connection = self.engine.connect()
        except SQLAlchemyError as exc:
            raise self._unavailable(exc) from exc
        try:
            try:
                mine = bool(
                    connection.execute(
                        text("select pg_try_advisory_lock(:kind, :user)"), key
                    ).scalar()
                )
                # A session lock outlives the transaction; no transaction stays open meanwhile.
                connection.commit()
            except SQLAlchemyError as exc:
                connection.invalidate()
                raise self._unavailable(exc) from exc
            yield mine
            if mine:
                try:
                    connection.execute(text("select pg_advisory_unlock(:kind, :user)"), key)
                    connection.commit()
                except SQLAlchemyError:
                    # Closing the session releases its locks: the pool must not keep it.
                    connection.invalidate()
        finally:
            connection.close()

    def snapshot(
        self,
        ref: WindowRef,
        rule: WindowRule,
        decoded: DecodedRecords | None = None,
        person: UserContext | None = None,
    ) -> WindowSnapshot | None:
        """The window's version, published revision and every record that may touch it or its
        lookback, read in one transaction (``None`` when the window is unknown). With
        ``decoded``, records already decoded in the same rebuild pass are shared rather than
        decoded again. With ``person`` (whose ``timezone`` is the configured zone the window
        will be built with), records without offsets are read only at the instants the
        person's clock can place in the window; without it, at any offset."""
        with self._reading() as connection:
            state = connection.execute(
                _WINDOW_STATE,
                {"b_user": ref.user, "b_type": ref.record_type, "b_window": ref.key},
            ).one_or_none()
            if state is None:
                return None
            stored, observations, fields = self._window_records(
                connection, ref, rule, decoded, person
            )
        return WindowSnapshot(
            ref,
            int(state.version),
            int(state.revision),
            state.content_hash,
            stored,
            observations,
            fields,
        )

    def window_records(
        self, ref: WindowRef, rule: WindowRule, person: UserContext | None = None
    ) -> tuple[list[Record], list[tuple[int, int]], tuple[str, ...]]:
        """Read-only: every stored record of ``ref``'s person and type that may touch the
        window of ``rule`` or its lookback (a superset:
        :func:`etl_core.contract.windows.build_window`
        keeps those that do), the person's offset observations around it and the time fields
        the records were stored with; ``person`` as for :meth:`snapshot`. Unlike
        :meth:`snapshot` it needs no window state, so the review report (``etl review``) can
        draw any window from the records as they are now."""
        with self._reading() as connection:
            return self._window_records(connection, ref, rule, None, person)

    def _window_records(
        self,
        connection: Connection,
        ref: WindowRef,
        rule: WindowRule,
        decoded: DecodedRecords | None,
        person: UserContext | None,
    ) -> tuple[list[Record], list[tuple[int, int]], tuple[str, ...]]:
        first = ref.first_day
        local_low = rule.local_start(first) - timedelta(days=rule.lookback_days)
        local_high = rule.local_end(first)
        naive_low, naive_high = _naive_ms(local_low), _naive_ms(local_high)
        low_ms, high_ms = naive_low - MAX_OFFSET_MS, naive_high + MAX_OFFSET_MS
        # Every observation the person's clock may consult for the instants read here, so that
        # a zone made of them answers as one made of all the person's observations does.
        reach = zone_reach_hours(self.bound_hours)
        observations = self._observations_between(
            connection, ref.user, low_ms // HOUR_MS - reach, high_ms // HOUR_MS + reach
        )
        clock_low, clock_high = low_ms, high_ms
        if person is not None:
            # The clock build_window reads these records at: any local time in the window is
            # an instant of it shifted by one of the offsets the clock gives around it.
            zone = PersonZone(observations, person.timezone, self.bound_hours)
            least, greatest = zone.offset_range(low_ms, high_ms)
            clock_low = max(low_ms, naive_low - _whole_ms(greatest) - HOUR_MS)
            clock_high = min(high_ms, naive_high - _whole_ms(least) + HOUR_MS)
        span, fields = self._type_extent(connection, ref.user, ref.record_type)
        bodies = (
            connection.execute(
                _BODIES_BETWEEN,
                {
                    "b_user": ref.user,
                    "b_type": ref.record_type,
                    "b_low": low_ms - span,
                    "b_high": high_ms,
                    "b_end": low_ms,
                    # A spare hour each side: stored offsets are whole minutes, an offset
                    # with seconds is read exactly by build_window.
                    "b_local_low": naive_low - HOUR_MS,
                    "b_local_high": naive_high + HOUR_MS,
                    "b_clock_low": clock_low,
                    "b_clock_high": clock_high,
                },
            )
            .scalars()
            .all()
        )
        decode = json.loads if decoded is None else decoded.decode
        stored = [decode(body) for body in bodies]
        return stored, observations, fields

    def mark_built(
        self, ref: WindowRef, version: int, content_hash: str, *, published: bool
    ) -> bool:
        """Record that ``version`` was built (and, with ``published``, written as revision
        ``version``). Compare-and-set: ``False`` when a newer version was built meanwhile."""
        values = {
            "b_user": ref.user,
            "b_type": ref.record_type,
            "b_window": ref.key,
            "b_version": version,
            "b_hash": content_hash,
            "b_now": self._clock(),
        }
        statement = _MARK_PUBLISHED if published else _MARK_BUILT
        with self._writing(ref.user, lock=False) as connection:
            return bool(connection.execute(statement, values).rowcount)

    def mark_failed(self, ref: WindowRef, version: int) -> None:
        """Record that building ``version`` failed: not tried again until the window's records
        change or :meth:`retry_failed` is called."""
        table = windows_table
        with self._writing(ref.user, lock=False) as connection:
            connection.execute(
                update(table)
                .where(
                    table.c.user_key == ref.user,
                    table.c.record_type == ref.record_type,
                    table.c.window_key == ref.key,
                )
                .values(failed_version=version, updated_at=self._clock())
            )

    def retry_failed(self, user: str | None = None) -> int:
        """Make windows whose build failed pending again (after a plugin was fixed)."""
        table = windows_table
        statement = update(table).where(table.c.failed_version.is_not(None))
        if user is not None:
            statement = statement.where(table.c.user_key == user)
        with self._writing(user or "", lock=False) as connection:
            result = connection.execute(statement.values(failed_version=None, pending=True))
            return int(result.rowcount)

    # -- housekeeping -------------------------------------------------------------------------

    def cleanup(self) -> int:
        """Forget records and windows older than the retention period; returns how many rows."""
        if not self.retention_days:
            return 0
        cutoff_ms = int((self._clock() - self.retention_days * 86_400) * 1000)
        cutoff_day = datetime.fromtimestamp(cutoff_ms / 1000, UTC).date().isoformat()
        removed = 0
        try:
            with self.engine.begin() as connection:
                removed += connection.execute(
                    delete(records_table).where(records_table.c.end_ms < cutoff_ms)
                ).rowcount
                removed += connection.execute(
                    delete(offsets_table).where(offsets_table.c.hour < cutoff_ms // HOUR_MS)
                ).rowcount
                removed += connection.execute(
                    delete(windows_table).where(
                        windows_table.c.last_day < cutoff_day, windows_table.c.pending.is_(False)
                    )
                ).rowcount
                removed += connection.execute(
                    delete(people_table).where(
                        people_table.c.updated_at < cutoff_ms / 1000,
                        ~people_table.c.user_key.in_(select(windows_table.c.user_key)),
                    )
                ).rowcount
        except SQLAlchemyError as exc:
            raise self._unavailable(exc) from exc
        return removed

    def ping(self) -> bool:
        try:
            with self.engine.connect() as connection:
                connection.execute(select(1))
            return True
        except SQLAlchemyError:
            return False

    def close(self) -> None:
        self.engine.dispose()


def _whole_ms(offset: timedelta) -> int:
    return offset // timedelta(milliseconds=1)


def _naive_ms(moment: datetime) -> int:
    """Milliseconds of a naive wall-clock time read as if it were UTC."""
    return int(moment.replace(tzinfo=UTC).timestamp() * 1000)


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own BEGIN handling is switched off so that writers can take the write lock
    # up front (BEGIN IMMEDIATE): two merges never both read, then both write.
    dbapi_connection.isolation_level = None
    prepare_sqlite_connection(dbapi_connection)


def _sqlite_begin(connection: Connection) -> None:
    write = connection.get_execution_options().get("etl_write", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
