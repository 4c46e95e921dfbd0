"""Deduplication: each input is worked on by one owner at a time and completed once.

A key moves ``started -> completed | failed``. A claim is one atomic statement (never a check
followed by an insert): it creates the row, or takes over a row that failed or whose owner's
lease ran out (a crashed run). Completing or failing is conditional on still being the owner,
so a worker whose lease was taken over cannot overwrite the new owner's outcome.

A SQL store opened with a :class:`ProcessHolder` (the embedded runner's) records that process
beside each claim, and takes over at once a claim whose recorded process is certainly gone:
same host, same boot, same PID namespace, and no such process any more. Anything less certain
(another host, another boot, no record, a live PID) waits for the lease as before.

The same store keeps two kinds of keys: the idempotency key of an input file, and the content
key of a record set (so a second file holding the same records makes no second example).
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    create_engine,
    delete,
    event,
    inspect,
    select,
    update,
)
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlalchemy.schema import CreateIndex, CreateTable
from sqlalchemy.sql import text

from etl_core.settings import SettingsError
from etl_core.stores.dedup.base import (
    Claim,
    ClaimStatus,
    DedupStoreRequest,
    DedupUnavailableError,
    ProcessHolder,
    required_url,
)
from etl_core.stores.sql import engine_options, prepare_sqlite_connection, upsert_insert

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
    Column("holder", Text),
)
_updated_index = Index("ix_etl_dedup_claims_updated_at", claims_table.c.updated_at)
_READ_CLAIM = select(
    claims_table.c.state,
    claims_table.c.owner,
    claims_table.c.outcome,
    claims_table.c.detail,
    claims_table.c.holder,
).where(claims_table.c.key == bindparam("b_key"))
_FINISH_CLAIM = (
    update(claims_table)
    .where(
        claims_table.c.key == bindparam("b_key"),
        claims_table.c.owner == bindparam("b_owner"),
        claims_table.c.state == "started",
    )
    .values(
        state=bindparam("b_state"),
        outcome=bindparam("b_outcome"),
        detail=bindparam("b_detail"),
        updated_at=bindparam("b_now"),
    )
)
"""Completing or failing a claim, conditional on still owning it."""


class SqlDedupStore:
    """SQLite (embedded default, WAL) or PostgreSQL, through SQLAlchemy."""

    def __init__(
        self,
        url: str,
        *,
        lease_seconds: float = 900.0,
        retention_seconds: float = 7 * 86_400.0,
        clock: Callable[[], float] = time.time,
        holder: ProcessHolder | None = None,
    ) -> None:
        """``holder``: the process this store claims for. With one, each claim records it and a
        claim whose recorded process is gone from this host is taken over without waiting for
        its lease; without one (the worker), leases alone decide."""
        self.lease_seconds = lease_seconds
        self.retention_seconds = retention_seconds
        self._clock = clock
        self.holder = holder
        self._holder_json = holder.to_json() if holder is not None else None
        self.engine: Engine = create_engine(url, **engine_options(url))
        self._insert = upsert_insert(self.engine.dialect.name)
        self._claim = self._claim_statement()
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", prepare_sqlite_connection)
        try:
            # IF NOT EXISTS, not create_all's check-then-create: several processes may start
            # on one new database at the same moment.
            with self.engine.begin() as connection:
                connection.execute(CreateTable(claims_table, if_not_exists=True))
                connection.execute(CreateIndex(_updated_index, if_not_exists=True))
            self._add_holder_column()
        except SQLAlchemyError as exc:
            raise self._unavailable(exc) from exc

    def _add_holder_column(self) -> None:
        """Databases made before claims recorded their holder gain the column (nullable: their
        rows simply have no holder and wait for their leases)."""
        with self.engine.connect() as connection:
            columns = {c["name"] for c in inspect(connection).get_columns(claims_table.name)}
        if "holder" in columns:
            return
        if self.engine.dialect.name == "sqlite":
            try:
                with self.engine.begin() as connection:
                    connection.execute(
                        text(f"ALTER TABLE {claims_table.name} ADD COLUMN holder TEXT")
                    )
            except OperationalError as exc:
                # Another process starting on the same file added it first.
                if "duplicate column" not in str(exc):
                    raise
        else:
            with self.engine.begin() as connection:
                connection.execute(
                    text(f"ALTER TABLE {claims_table.name} ADD COLUMN IF NOT EXISTS holder TEXT")
                )

    def _unavailable(self, exc: SQLAlchemyError) -> DedupUnavailableError:
        path = self.engine.url.database if self.engine.dialect.name == "sqlite" else None
        return DedupUnavailableError(f"dedup store unavailable: {type(exc).__name__}", path)

    @classmethod
    def sqlite_file(cls, path: Path, **kwargs: Any) -> SqlDedupStore:
        path.parent.mkdir(parents=True, exist_ok=True)
        return cls(f"sqlite:///{path}", **kwargs)

    def _claim_statement(self) -> Any:
        """Create the claim, or take over one that failed or whose lease ran out; built once
        (building a statement cost more than running it), values bound per call."""
        table = claims_table
        statement = self._insert(table).values(
            key=bindparam("b_key"),
            state="started",
            owner=bindparam("b_owner"),
            lease_expires_at=bindparam("b_lease"),
            attempts=1,
            created_at=bindparam("b_now"),
            updated_at=bindparam("b_now"),
            holder=bindparam("b_holder"),
        )
        return statement.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "state": "started",
                "owner": bindparam("b_owner"),
                "lease_expires_at": bindparam("b_lease"),
                "attempts": table.c.attempts + 1,
                "outcome": None,
                "detail": None,
                "updated_at": bindparam("b_now"),
                "holder": bindparam("b_holder"),
            },
            where=(table.c.state == "failed")
            | ((table.c.state == "started") & (table.c.lease_expires_at < bindparam("b_now"))),
        )

    def claim(self, key: str, owner: str) -> Claim:
        now = self._clock()
        values = {
            "b_key": key,
            "b_owner": owner,
            "b_lease": now + self.lease_seconds,
            "b_now": now,
            "b_holder": self._holder_json,
        }
        try:
            with self.engine.begin() as connection:
                connection.execute(self._claim, values)
                row = self._row(connection, key)
            taken_over = False
            if row.state == "started" and row.owner != owner and self._holder_gone(row.holder):
                row = self._take_over(key, owner, row.owner, now)
                taken_over = True
        except SQLAlchemyError as exc:
            raise self._unavailable(exc) from exc
        if row.state == "started" and row.owner == owner:
            return Claim(ClaimStatus.CLAIMED, key, owner, taken_over=taken_over)
        if row.state == "completed":
            return Claim(ClaimStatus.COMPLETED, key, row.owner, row.outcome, row.detail)
        return Claim(ClaimStatus.IN_PROGRESS, key, row.owner)

    @staticmethod
    def _row(connection: Connection, key: str) -> Any:
        return connection.execute(_READ_CLAIM, {"b_key": key}).one()

    def _holder_gone(self, recorded: str | None) -> bool:
        if self.holder is None:
            return False
        holder = ProcessHolder.from_json(recorded)
        return holder is not None and holder.is_gone(self.holder)

    def _take_over(self, key: str, owner: str, dead_owner: str, now: float) -> Any:
        """Take ``key`` from ``dead_owner`` if it still holds it: of several processes seeing
        the same dead holder, the first update wins and the others see the new owner."""
        table = claims_table
        statement = (
            update(table)
            .where(table.c.key == key, table.c.state == "started", table.c.owner == dead_owner)
            .values(
                owner=owner,
                lease_expires_at=now + self.lease_seconds,
                attempts=table.c.attempts + 1,
                updated_at=now,
                holder=self._holder_json,
            )
        )
        with self.engine.begin() as connection:
            connection.execute(statement)
            return self._row(connection, key)

    def _finish(self, key: str, owner: str, state: str, outcome: str, detail: str | None) -> bool:
        values = {
            "b_key": key,
            "b_owner": owner,
            "b_state": state,
            "b_outcome": outcome,
            "b_detail": detail,
            "b_now": self._clock(),
        }
        try:
            with self.engine.begin() as connection:
                return connection.execute(_FINISH_CLAIM, values).rowcount == 1
        except SQLAlchemyError as exc:
            raise self._unavailable(exc) from exc

    def complete(self, key: str, owner: str, outcome: str, detail: str | None = None) -> bool:
        return self._finish(key, owner, "completed", outcome, detail)

    def fail(self, key: str, owner: str, reason: str) -> bool:
        return self._finish(key, owner, "failed", "failed", reason)

    def state(self, key: str) -> str | None:
        try:
            with self.engine.connect() as connection:
                value = connection.execute(
                    select(claims_table.c.state).where(claims_table.c.key == key)
                ).scalar_one_or_none()
        except SQLAlchemyError as exc:
            raise self._unavailable(exc) from exc
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
            raise self._unavailable(exc) from exc

    def ping(self) -> bool:
        try:
            with self.engine.connect() as connection:
                connection.execute(select(1))
        except SQLAlchemyError:
            return False
        return True

    def close(self) -> None:
        self.engine.dispose()


def open_sqlite(request: DedupStoreRequest) -> SqlDedupStore:
    """The ``sqlite`` dedup store: one file on this machine (``ETL_DEDUPLICATION_DB_PATH``,
    else the runner's default), for the embedded runner and single-machine workers."""
    return SqlDedupStore.sqlite_file(
        request.settings.deduplication_db_path or request.default_sqlite_path,
        lease_seconds=request.lease_seconds,
        retention_seconds=request.retention_seconds,
        holder=request.holder,
    )


def open_postgresql(request: DedupStoreRequest) -> SqlDedupStore:
    """The ``postgresql`` dedup store at ``ETL_DEDUPLICATION_URL``, driven by psycopg 3."""
    require_psycopg("ETL_DEDUPLICATION_STORE=postgresql")
    return SqlDedupStore(
        postgresql_url(required_url(request.settings)),
        lease_seconds=request.lease_seconds,
        retention_seconds=request.retention_seconds,
        holder=request.holder,
    )


def require_psycopg(what: str) -> None:
    """Refuses, naming the extra, when psycopg (``etl-core[postgresql]``) is not installed."""
    if importlib.util.find_spec("psycopg") is None:
        from etl_core.engine.backends import MissingExtraError

        raise MissingExtraError(
            f"{what} needs a package that is not installed: pip install 'etl-core[postgresql]'"
        )


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
