"""How many upload bytes one worker process works on at once.

Decoded records take some 20-50 times their Avro size in memory (Python dicts), so a worker
whose threads all hold large files at once can run out of memory while the same threads on
phone-sized exports (tens of kB) never come close. The budget bounds the sum of the sizes of
the files in progress: a thread whose file does not fit waits for others to finish. A file
larger than the whole budget runs alone, so no file waits forever.

Waiting is first come, first served: a large file at the head of the line is not overtaken by
a stream of small ones.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class ByteBudget:
    """Thread-safe. ``on_change`` is called with the bytes in progress whenever they change
    (the worker feeds a gauge with it)."""

    def __init__(self, limit_bytes: int, on_change: Callable[[int], None] | None = None) -> None:
        if limit_bytes < 1:
            raise ValueError("the budget must be at least one byte")
        self.limit_bytes = limit_bytes
        self._on_change = on_change
        self._condition = threading.Condition()
        self._line: deque[object] = deque()
        self._in_use = 0
        self._holders = 0
        self.peak_bytes = 0
        """The most bytes ever in progress at once."""
        self.waits = 0
        """How many holds had to wait."""

    @property
    def in_use(self) -> int:
        with self._condition:
            return self._in_use

    def _fits(self, size: int) -> bool:
        return self._holders == 0 or self._in_use + size <= self.limit_bytes

    @contextmanager
    def held(self, size: int) -> Iterator[None]:
        """Hold ``size`` bytes of the budget for the ``with`` block, waiting for room."""
        size = max(1, size)
        ticket = object()
        with self._condition:
            self._line.append(ticket)
            if not (self._line[0] is ticket and self._fits(size)):
                self.waits += 1
                try:
                    self._condition.wait_for(lambda: self._line[0] is ticket and self._fits(size))
                except BaseException:
                    # Leave the line, or everyone behind this ticket would wait forever.
                    self._line.remove(ticket)
                    self._condition.notify_all()
                    raise
            self._line.popleft()
            self._in_use += size
            self._holders += 1
            self.peak_bytes = max(self.peak_bytes, self._in_use)
            self._changed()
            # The next in line may fit beside this one.
            self._condition.notify_all()
        try:
            yield
        finally:
            with self._condition:
                self._in_use -= size
                self._holders -= 1
                self._changed()
                self._condition.notify_all()

    def _changed(self) -> None:
        # Under the lock, so that the reports arrive in the order of the changes.
        if self._on_change is not None:
            self._on_change(self._in_use)
