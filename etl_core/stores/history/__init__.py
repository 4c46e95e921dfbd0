"""The record history: every distinct record of each person, and which calendar windows
need rebuilding. The interface (:class:`HistoryStore` and its value types) loads no driver;
:class:`SqlHistoryStore` (SQLite or PostgreSQL, through SQLAlchemy) is imported on first use."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from etl_core.stores.history.base import (
    DecodedRecords,
    HistoryStore,
    HistoryUnavailableError,
    MergeResult,
    PendingWindow,
    WindowRef,
    WindowSnapshot,
)

if TYPE_CHECKING:
    from etl_core.stores.history.sql import SqlHistoryStore

__all__ = [
    "DecodedRecords",
    "HistoryStore",
    "HistoryUnavailableError",
    "MergeResult",
    "PendingWindow",
    "SqlHistoryStore",
    "WindowRef",
    "WindowSnapshot",
]


def __getattr__(name: str) -> Any:
    if name == "SqlHistoryStore":
        from etl_core.stores.history.sql import SqlHistoryStore

        return SqlHistoryStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
