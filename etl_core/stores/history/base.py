"""The record history's interface: the value types the engine passes around and the
:class:`HistoryStore` protocol. No database driver is imported here; the SQL store is
:mod:`etl_core.stores.history.sql`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, tzinfo
from typing import Protocol

from etl_core.contract.errors import TransientError
from etl_core.contract.model import Record, UserContext
from etl_core.contract.windows import WindowPlan, WindowRule

__all__ = [
    "DecodedRecords",
    "HistoryStore",
    "HistoryUnavailableError",
    "MergeResult",
    "PendingWindow",
    "WindowRef",
    "WindowSnapshot",
]


class HistoryUnavailableError(TransientError):
    """The history store cannot be reached or is busy; the same input may succeed later.
    ``path`` is the database file of a SQLite store (where a full disk would be), else
    ``None``."""

    error_type = "history_unavailable"

    def __init__(self, message: str, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


@dataclass(frozen=True, slots=True, order=True)
class WindowRef:
    """One window of one person's record type: ``key`` is ``<rule>:<first local day>``."""

    user: str
    record_type: str
    key: str

    @property
    def rule_name(self) -> str:
        return self.key.partition(":")[0]

    @property
    def first_day(self) -> date:
        return date.fromisoformat(self.key.partition(":")[2])


@dataclass(frozen=True, slots=True)
class MergeResult:
    added: int
    replaced: int
    """Records held in an older version (modified earlier)."""
    refetched: int
    """Records held with the same modification time, now seen by a later fetch."""
    unchanged: int
    windows: tuple[WindowRef, ...]
    """Windows whose version this merge raised (they are pending until rebuilt)."""

    @property
    def changed(self) -> bool:
        """Whether the input brought anything the history did not hold: a record, a newer
        version, or a later fetch of a held version (which can tell that a day that was still
        running at the earlier fetch has ended)."""
        return bool(self.added or self.replaced or self.refetched)


@dataclass(frozen=True, slots=True)
class PendingWindow:
    ref: WindowRef
    version: int


@dataclass(frozen=True, slots=True)
class WindowSnapshot:
    """A window's state at one version: everything its rebuild needs, read in one transaction."""

    ref: WindowRef
    version: int
    revision: int
    """The version whose result is published (0: none yet)."""
    content_hash: str | None
    """Hash of the published result, to skip publishing an identical one."""
    records: list[Record]
    """Every stored record that may touch the window or its lookback (a superset)."""
    observations: list[tuple[int, int]]
    """The person's ``(hour, offset minutes)`` observations around the window."""
    time_fields: tuple[str, ...]
    """The time fields the type's records were stored with."""


class DecodedRecords:
    """Stored record bodies decoded once for a whole rebuild pass.

    A record sits in several windows of one pass (its day, the report windows that hold it, the
    lookback of the next ones), and each window's snapshot reads it again; decoding the same
    body for each of them cost about as much as the glucose analysis itself. Windows of one pass
    therefore share one decoded record per body, which the plugin contract allows because
    records are read-only (:data:`~etl_core.contract.model.Record` is a ``Mapping``; the
    contract suite checks that a plugin leaves them as it found them).

    Memory stays bounded: decoded records live in two generations of at most ``generation``
    bodies each; a pass that visits windows in calendar order finds the records of nearby
    windows in them. One instance serves one thread."""

    __slots__ = ("_current", "_previous", "generation", "hits", "misses")

    def __init__(self, generation: int = 10_000) -> None:
        self.generation = generation
        self._current: dict[str, Record] = {}
        self._previous: dict[str, Record] = {}
        self.hits = 0
        self.misses = 0

    def decode(self, body: str) -> Record:
        """The record stored as ``body`` (JSON text), decoded at most once while it stays in
        the two generations."""
        record = self._current.get(body)
        if record is not None:
            self.hits += 1
            return record
        record = self._previous.pop(body, None)
        if record is None:
            self.misses += 1
            record = json.loads(body)
        else:
            self.hits += 1
        if len(self._current) >= self.generation:
            self._previous, self._current = self._current, {}
        self._current[body] = record
        return record


class HistoryStore(Protocol):
    """What the engine needs from a person's record history. Implementations are
    thread-safe; see :class:`~etl_core.stores.history.sql.SqlHistoryStore` for the semantics
    of each call."""

    def merge(
        self,
        user: str,
        record_type: str,
        records: Sequence[Record],
        plan: WindowPlan,
        fallback: tzinfo | None = None,
        *,
        person: UserContext | None = None,
    ) -> MergeResult: ...

    def person(self, user: str) -> UserContext | None: ...

    def pending(self, user: str | None = None, limit: int = 10_000) -> list[PendingWindow]: ...

    def pending_people(self, limit: int = 10_000) -> list[str]: ...

    def rebuild_turn(self, user: str) -> AbstractContextManager[bool]: ...

    def snapshot(
        self,
        ref: WindowRef,
        rule: WindowRule,
        decoded: DecodedRecords | None = None,
        person: UserContext | None = None,
    ) -> WindowSnapshot | None: ...

    def window_records(
        self, ref: WindowRef, rule: WindowRule, person: UserContext | None = None
    ) -> tuple[list[Record], list[tuple[int, int]], tuple[str, ...]]: ...

    def mark_built(
        self, ref: WindowRef, version: int, content_hash: str, *, published: bool
    ) -> bool: ...

    def mark_failed(self, ref: WindowRef, version: int) -> None: ...

    def retry_failed(self, user: str | None = None) -> int: ...

    def cleanup(self) -> int: ...

    def ping(self) -> bool: ...

    def close(self) -> None: ...
