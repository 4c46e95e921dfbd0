"""Many processes opening one new SQLite file at the same moment (8 ``etl run`` at once)."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from etl_core.stores.sql import prepare_sqlite_connection

OPENERS = 8
ROUNDS = 150


def _open_together(path: Path) -> list[str]:
    barrier = threading.Barrier(OPENERS)
    errors: list[str] = []
    modes: list[str] = []

    def open_one() -> None:
        barrier.wait()
        connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        try:
            prepare_sqlite_connection(connection)
            modes.append(connection.execute("PRAGMA journal_mode").fetchone()[0])
        except sqlite3.OperationalError as exc:
            errors.append(str(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=open_one) for _ in range(OPENERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert modes == ["wal"] * (OPENERS - len(errors))
    return errors


def test_connections_opening_a_new_file_together_all_get_wal(tmp_path: Path) -> None:
    # Without the retry, about one round in twenty loses an opener to an immediate
    # "database is locked" (SQLite's deadlock rule while two of them switch the file to WAL).
    errors = [e for n in range(ROUNDS) for e in _open_together(tmp_path / f"new-{n}.db")]
    assert errors == []


def test_a_file_already_in_wal_is_left_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    first = sqlite3.connect(path)
    prepare_sqlite_connection(first)
    second = sqlite3.connect(path)
    prepare_sqlite_connection(second)
    assert second.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert second.execute("PRAGMA busy_timeout").fetchone()[0] == 30_000
    assert second.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    first.close()
    second.close()
