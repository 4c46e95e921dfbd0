"""A memo for pure functions of one record, shared by the windows that hold the record.

Core hands the same decoded record object to every window of a rebuild pass that holds it (its
day, the report windows around it, the lookback of the next ones; see
:class:`~etl_core.stores.history.DecodedRecords`). A plugin whose windows read long lookbacks
therefore reads each record many times; wrapping the per-record part of that reading in a
:class:`RecordMemo` reads it once per pass instead.

A hit needs the very same record object (and equal extra arguments): records are read-only
under the plugin contract, and the memo holds each record it answers for, so no other record
can take its identity while the entry lives. It is bounded, safe to share between worker
threads, and gives exactly what the function gives: the one piece of module state a plugin may
keep besides its settings (plugin API 1.4).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from etl_core.contract.model import Record

__all__ = ["RecordMemo"]

Result = TypeVar("Result")


class RecordMemo(Generic[Result]):
    """``function(record, *args)`` remembered for the records of recent windows.

    ``function`` must be pure: its result depends only on the record's contents and ``args``
    (hashable: offsets, rules, zones that compare by value), and nobody changes the result it
    returns (return tuples, frozen dataclasses or named tuples). Entries live in two generations
    of at most ``generation`` records each, as the pass's decoded records do, so a pass that
    visits windows in calendar order finds the records of nearby windows."""

    __slots__ = ("_current", "_previous", "function", "generation", "hits", "misses")

    def __init__(self, function: Callable[..., Result], *, generation: int = 20_000) -> None:
        self.function = function
        self.generation = generation
        self._current: dict[tuple[int, tuple[Hashable, ...]], tuple[Record, Result]] = {}
        self._previous: dict[tuple[int, tuple[Hashable, ...]], tuple[Record, Result]] = {}
        self.hits = 0
        """Calls answered from the memo (approximate when threads share it)."""
        self.misses = 0
        """Calls that ran the function (approximate when threads share it)."""

    def __call__(self, record: Record, *args: Hashable) -> Result:
        # No lock: each dict operation is atomic, an entry is always a whole (record, result)
        # pair and a hit is checked against the very record, so a race between threads can only
        # compute a result twice or let an entry go early, never answer for another record.
        key = (id(record), args)
        entry = self._current.get(key)
        if entry is None:
            entry = self._previous.pop(key, None)
            if entry is not None:
                self._keep(key, entry)
        if entry is not None and entry[0] is record:
            self.hits += 1
            return entry[1]
        result = self.function(record, *args)
        self.misses += 1
        self._keep(key, (record, result))
        return result

    def _keep(self, key: tuple[int, tuple[Hashable, ...]], entry: tuple[Record, Result]) -> None:
        if len(self._current) >= self.generation:
            self._previous, self._current = self._current, {}
        self._current[key] = entry

    def clear(self) -> None:
        """Forget every entry (and the records they hold)."""
        self._current, self._previous = {}, {}
