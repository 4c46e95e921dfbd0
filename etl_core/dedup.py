"""Deduplication: each input is worked on by one owner at a time and completed once.

A key moves ``started -> completed | failed``. A claim is one atomic statement (never a check
followed by an insert): it creates the row, or takes over a row that failed or whose owner's
lease ran out (a crashed run). Completing or failing is conditional on still being the owner,
so a worker whose lease was taken over cannot overwrite the new owner's outcome.

The same store keeps two kinds of keys: the idempotency key of an input file, and the content
key of a record set (so a second file holding the same records makes no second example).
"""

from __future__ import annotations

import enum
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import (
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    event,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.schema import CreateIndex, CreateTable

from etl_core.settings import Settings, SettingsError


class DedupUnavailableError(Exception):
    """The dedup store cannot be reached; the work should be retried later."""


class ClaimStatus(enum.StrEnum):
    CLAIMED = "claimed"
    """You own the key now; finish with ``complete`` or ``fail``."""
    COMPLETED = "completed"
    """Already done, by you earlier or by someone else."""
    IN_PROGRESS = "in_progress"
    """Another owner holds a live lease."""


@dataclass(frozen=True, slots=True)
class Claim:
    status: ClaimStatus
    key: str
    owner: str
    outcome: str | None = None
    """For ``COMPLETED``: what the first completion recorded (``processed``, ``quarantined``...)."""
    detail: str | None = None


def new_owner_token() -> str:
    return uuid.uuid4().hex


class DedupStore(Protocol):
    """What the pipeline needs from a dedup store. Implementations are thread-safe."""

    def claim(self, key: str, owner: str) -> Claim: ...

    def complete(self, key: str, owner: str, outcome: str, detail: str | None = None) -> bool:
        """Mark ``key`` completed if ``owner`` still holds it; ``False`` when it does not."""
        ...

    def fail(self, key: str, owner: str, reason: str) -> bool:
        """Mark ``key`` failed (claimable again) if ``owner`` still holds it."""
        ...

    def state(self, key: str) -> str | None: ...

    def cleanup(self) -> int:
        """Forget finished keys older than the retention period; returns how many."""
        ...

    def ping(self) -> bool: ...

    def close(self) -> None: ...


_metadata = MetaData()
claims_table = Table(
    "etl_dedup_claims",
    _metadata,
    Column("key", String(255), primary_key=True),
    Column("state", String(16), nullable=False),
    Column("owner", String(64), nullable=False),
    Column("lease_expires_at", Float, nullable=False),
    Column("attempts", Integer, nullable=False, default=1),
    Column("outcome", String(32)),
    Column("detail", Text),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)
_updated_index = Index("ix_etl_dedup_claims_updated_at", claims_table.c.updated_at)


class SqlDedupStore:
    """SQLite (embedded default, WAL) or PostgreSQL, through SQLAlchemy."""

    def __init__(
        self,
        url: str,
        *,
        lease_seconds: float = 900.0,
        retention_seconds: float = 7 * 86_400.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.lease_seconds = lease_seconds
        self.retention_seconds = retention_seconds
        self._clock = clock
        kwargs: dict[str, Any] = {"pool_pre_ping": True}
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
        self.engine: Engine = create_engine(url, **kwargs)
        self._insert = sqlite.insert if self.engine.dialect.name == "sqlite" else postgresql.insert
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        try:
            # IF NOT EXISTS, not create_all's check-then-create: several processes may start
            # on one new database at the same moment.
            with self.engine.begin() as connection:
                connection.execute(CreateTable(claims_table, if_not_exists=True))
                connection.execute(CreateIndex(_updated_index, if_not_exists=True))
        except SQLAlchemyError as exc:
            raise DedupUnavailableError(f"dedup store unavailable: {type(exc).__name__}") from exc

    @classmethod
    def sqlite_file(cls, path: Path, **kwargs: Any) -> SqlDedupStore:
        path.parent.mkdir(parents=True, exist_ok=True)
        return cls(f"sqlite:///{path}", **kwargs)

    def claim(self, key: str, owner: str) -> Claim:
        now = self._clock()
        lease = now + self.lease_seconds
        table = claims_table
        statement = self._insert(table).values(
            key=key,
            state="started",
            owner=owner,
            lease_expires_at=lease,
            attempts=1,
            created_at=now,
            updated_at=now,
        )
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "state": "started",
                "owner": owner,
                "lease_expires_at": lease,
                "attempts": table.c.attempts + 1,
                "outcome": None,
                "detail": None,
                "updated_at": now,
            },
            where=(table.c.state == "failed")
            | ((table.c.state == "started") & (table.c.lease_expires_at < now)),
        )
        try:
            with self.engine.begin() as connection:
                connection.execute(statement)
                row = connection.execute(
                    select(table.c.state, table.c.owner, table.c.outcome, table.c.detail).where(
                        table.c.key == key
                    )
                ).one()
        except SQLAlchemyError as exc:
            raise DedupUnavailableError(f"dedup store unavailable: {type(exc).__name__}") from exc
        if row.state == "started" and row.owner == owner:
            return Claim(ClaimStatus.CLAIMED, key, owner)
        if row.state == "completed":
            return Claim(ClaimStatus.COMPLETED, key, row.owner, row.outcome, row.detail)
        return Claim(ClaimStatus.IN_PROGRESS, key, row.owner)

    def _finish(self, key: str, owner: str, values: dict[str, Any]) -> bool:
        table = claims_table
        statement = (
            update(table)
            .where(table.c.key == key, table.c.owner == owner, table.c.state == "started")
            .values(updated_at=self._clock(), **values)
        )
        try:
            with self.engine.begin() as connection:
                return connection.execute(statement).rowcount == 1
        except SQLAlchemyError as exc:
            raise DedupUnavailableError(f"dedup store unavailable: {type(exc).__name__}") from exc

    def complete(self, key: str, owner: str, outcome: str, detail: str | None = None) -> bool:
        return self._finish(
            key, owner, {"state": "completed", "outcome": outcome, "detail": detail}
        )

    def fail(self, key: str, owner: str, reason: str) -> bool:
        return self._finish(key, owner, {"state": "failed", "outcome": "failed", "detail": reason})

    def state(self, key: str) -> str | None:
        try:
            with self.engine.connect() as connection:
                value = connection.execute(
                    select(claims_table.c.state).where(claims_table.c.key == key)
                ).scalar_one_or_none()
        except SQLAlchemyError as exc:
            raise DedupUnavailableError(f"dedup store unavailable: {type(exc).__name__}") from exc
        return value

    def cleanup(self) -> int:
        cutoff = self._clock() - self.retention_seconds
        table = claims_table
        statement = delete(table).where(
            table.c.updated_at < cutoff,
            (table.c.state != "started") | (table.c.lease_expires_at < cutoff),
        )
        try:
            with self.engine.begin() as connection:
                return connection.execute(statement).rowcount
        except SQLAlchemyError as exc:
            raise DedupUnavailableError(f"dedup store unavailable: {type(exc).__name__}") from exc

    def ping(self) -> bool:
        try:
            with self.engine.connect() as connection:
                connection.execute(select(1))
        except SQLAlchemyError:
            return False
        return True

    def close(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def open_dedup_store(settings: Settings, default_sqlite_path: Path) -> DedupStore:
    """The dedup store ``ETL_DEDUPLICATION_STORE`` names: a SQLite file
    (``ETL_DEDUPLICATION_DB_PATH``, else ``default_sqlite_path``), or PostgreSQL or Redis at
    ``ETL_DEDUPLICATION_URL`` (Redis keys under ``ETL_DEDUPLICATION_KEY_PREFIX``). A
    ``postgresql://`` URL is driven by psycopg 3.

    Raises :class:`~etl_core.settings.SettingsError` for a missing or mismatched URL and
    :class:`DedupUnavailableError` when the store cannot be reached at start-up.
    """
    lease = settings.dedup_lease_seconds
    retention = settings.dedup_retention_days * 86_400
    kind = settings.deduplication_store
    if kind == "sqlite":
        return SqlDedupStore.sqlite_file(
            settings.deduplication_db_path or default_sqlite_path,
            lease_seconds=lease,
            retention_seconds=retention,
        )
    url = settings.deduplication_url
    if not url:
        raise SettingsError(
            f"ETL_DEDUPLICATION_STORE={kind} needs ETL_DEDUPLICATION_URL to say where it is"
        )
    if kind == "redis":
        if not url.startswith(("redis://", "rediss://", "unix://")):
            raise SettingsError("ETL_DEDUPLICATION_URL must be a redis:// URL for the redis store")
        from etl_core.redis_dedup import RedisDedupStore

        store = RedisDedupStore(
            url,
            lease_seconds=lease,
            retention_seconds=retention,
            key_prefix=settings.deduplication_key_prefix,
        )
        try:
            store.require_reachable()
        except DedupUnavailableError:
            store.close()
            raise
        return store
    return SqlDedupStore(postgresql_url(url), lease_seconds=lease, retention_seconds=retention)


def postgresql_url(url: str, setting: str = "ETL_DEDUPLICATION_URL") -> str:
    """``url`` with psycopg 3 as its driver unless it names one; refuses non-PostgreSQL URLs."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise SettingsError(f"{setting} is not a database URL") from exc
    if parsed.get_backend_name() not in ("postgresql", "postgres"):
        raise SettingsError(f"{setting} must be a postgresql:// URL for the postgresql store")
    if "+" not in parsed.drivername:
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)
