"""What the SQL stores (deduplication and the record history) share.

Each SQLite file is shared by every process on its machine, so a connection waits for a lock
instead of failing, and the file is in WAL mode so readers never block the writer.
"""

from __future__ import annotations

import sqlite3
import time
from importlib import import_module
from typing import Any

BUSY_TIMEOUT_SECONDS = 30.0


def prepare_sqlite_connection(dbapi_connection: Any, _record: Any = None) -> None:
    """Set the busy timeout, WAL mode and ``synchronous=NORMAL`` on a new connection.

    Usable directly as a SQLAlchemy ``connect`` event listener."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_SECONDS * 1000)}")
        _use_wal(cursor)
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def _use_wal(cursor: Any) -> None:
    # Turning a new file to WAL takes its exclusive lock. When several processes open a new
    # file at the same moment, two of them can each hold the shared lock while asking for more;
    # SQLite answers one of them "database is locked" at once (its deadlock rule) rather than
    # through the busy timeout. That answer means "try again", so this step does, within the
    # same time budget the busy timeout gives every other statement.
    deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
    pause = 0.002
    while True:
        try:
            (mode,) = cursor.execute("PRAGMA journal_mode").fetchone()
            if str(mode).lower() != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if not _is_lock_conflict(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(pause)
            pause = min(pause * 2, 0.1)


def _is_lock_conflict(exc: sqlite3.OperationalError) -> bool:
    message = str(exc).lower()
    return "locked" in message or "busy" in message


def engine_options(url: str) -> dict[str, Any]:
    """``create_engine`` options of a store at ``url``. A PostgreSQL connection taken from the
    pool is pinged first (the server may have restarted since); a SQLite file cannot go away
    that way, and the ping cost a statement on every transaction. SQLite connections wait for
    locks and may serve any thread (the pool hands one to one thread at a time)."""
    if url.startswith("sqlite"):
        return {
            "connect_args": {"timeout": BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
        }
    return {"pool_pre_ping": True}


def upsert_insert(dialect: str) -> Any:
    """The ``insert`` construct with ``ON CONFLICT`` of ``dialect`` (``sqlite`` or
    ``postgresql``); only that dialect's module is imported."""
    return import_module(f"sqlalchemy.dialects.{dialect}").insert
