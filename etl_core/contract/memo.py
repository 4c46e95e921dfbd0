"""Memos for pure functions of records shared by the windows that hold them.

Core hands the same decoded record object to every window of a rebuild pass that holds it (its
day, the report windows around it, the lookback of the next ones; see
:class:`~etl_core.stores.history.DecodedRecords`). A plugin whose windows read long lookbacks
therefore reads each record many times; wrapping the per-record part of that reading in a
:class:`RecordMemo` reads it once per pass instead.

A hit needs the very same record object (and equal extra arguments): records are read-only
under the plugin contract, and the memo holds each record it answers for, so no other record
can take its identity while the entry lives. :class:`GroupMemo` does the same for a function of
several such objects (a day's samples read through a ``RecordMemo``). Both are bounded, safe to
share between worker threads, and give exactly what the function gives: the one piece of
module state a plugin may keep besides its settings (plugin API 1.4).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any, Generic, TypeVar

from etl_core.contract.model import Record

__all__ = ["GroupMemo", "RecordMemo"]

Result = TypeVar("Result")
_Key = tuple[Hashable, tuple[Hashable, ...]]


class _Generations(Generic[Result]):
    """Entries ``key -> (held, result)`` in two generations of at most ``generation`` each.

    No lock: each dict operation is atomic and an entry is always a whole pair, so threads
    sharing a memo can at worst compute a result twice or let an entry go early. ``held`` keeps
    the objects a key names by identity alive, so no other object can take their identity
    while the entry lives."""

    __slots__ = (
        "__weakref__",
        "_current",
        "_previous",
        "function",
        "generation",
        "hits",
        "misses",
    )

    def __init__(self, function: Callable[..., Result], *, generation: int) -> None:
        _EVERY_MEMO.add(self)
        self.function = function
        self.generation = generation
        self._current: dict[_Key, tuple[object, Result]] = {}
        self._previous: dict[_Key, tuple[object, Result]] = {}
        self.hits = 0
        """Calls answered from the memo (approximate when threads share it)."""
        self.misses = 0
        """Calls that ran the function (approximate when threads share it)."""

    def _find(self, key: _Key) -> tuple[object, Result] | None:
        entry = self._current.get(key)
        if entry is None:
            entry = self._previous.pop(key, None)
            if entry is not None:
                self._keep(key, entry)
        return entry

    def _keep(self, key: _Key, entry: tuple[object, Result]) -> None:
        if len(self._current) >= self.generation:
            self._previous, self._current = self._current, {}
        self._current[key] = entry

    def clear(self) -> None:
        """Forget every entry (and the objects they hold)."""
        self._current, self._previous = {}, {}


_EVERY_MEMO: weakref.WeakSet[_Generations[Any]] = weakref.WeakSet()


def forget_every_memo() -> None:
    """Empty every memo of the process. Core calls it when a rebuild pass ends and when it moves
    on to another person or record type, whose windows hold none of the records the memos hold:
    otherwise each memo would keep its last records alive beside the next ones."""
    for memo in list(_EVERY_MEMO):
        memo.clear()


class RecordMemo(_Generations[Result]):
    """``function(record, *args)`` remembered for the records of recent windows.

    ``function`` must be pure: its result depends only on the record's contents and ``args``
    (hashable: offsets, rules, zones that compare by value), and nobody changes the result it
    returns (return tuples, frozen dataclasses or named tuples). Entries live in two generations
    of at most ``generation`` records each, as the pass's decoded records do, so a pass that
    visits windows in calendar order finds the records of nearby windows."""

    __slots__ = ()

    def __init__(self, function: Callable[..., Result], *, generation: int = 20_000) -> None:
        super().__init__(function, generation=generation)

    def __call__(self, record: Record, *args: Hashable) -> Result:
        key = (id(record), args)
        entry = self._find(key)
        if entry is not None and entry[0] is record:
            self.hits += 1
            return entry[1]
        result = self.function(record, *args)
        self.misses += 1
        self._keep(key, (record, result))
        return result

    def each(self, records: Iterable[Record], *args: Hashable) -> list[Result]:
        """``[memo(record, *args) for record in records]``, with the look-up of records read
        before done inline: a window asks for thousands of records at once, and the call per
        record would cost about as much as the look-up."""
        found: list[Result] = []
        append = found.append
        hits = misses = 0
        for record in records:
            key = (id(record), args)
            entry = self._current.get(key)
            if entry is None:
                entry = self._previous.pop(key, None)
                if entry is not None:
                    self._keep(key, entry)  # used again: it moves to the current generation
            if entry is not None and entry[0] is record:
                hits += 1
                append(entry[1])
                continue
            result = self.function(record, *args)
            misses += 1
            self._keep(key, (record, result))
            append(result)
        self.hits += hits
        self.misses += misses
        return found


class GroupMemo(_Generations[Result]):
    """``function(items, *args)`` remembered for a group of shared objects, in order.

    For the next step after a :class:`RecordMemo`: its results are the same objects in every
    window of a pass, so a pure function of several of them (a day's samples, read through a
    ``RecordMemo``, summarised) is computed once for each group of the very same objects and
    equal ``args``. A group holding any object built afresh (a record read in a person zone
    other than the one the pass shares, after the person's offsets changed) misses, as it
    should. Entries live in two generations of at most ``generation`` groups; each holds its
    group's objects."""

    __slots__ = ()

    def __init__(self, function: Callable[..., Result], *, generation: int = 64) -> None:
        super().__init__(function, generation=generation)

    def __call__(self, items: Sequence[object], *args: Hashable) -> Result:
        key = (tuple(map(id, items)), args)
        entry = self._find(key)
        if entry is not None:
            self.hits += 1
            return entry[1]
        result = self.function(items, *args)
        self.misses += 1
        self._keep(key, (tuple(items), result))
        return result
