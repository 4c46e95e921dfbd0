"""Window rebuilds off the message path.

With a queue, the worker settles an upload once its records are merged: the windows they touch
are marked pending in the history, in the merge's transaction, and the person joins this queue.
Builder threads then rebuild each queued person's pending windows
(:meth:`~etl_core.engine.window_stage.WindowBuilder.rebuild_pending`).

Rebuilding is most of what an upload costs, and a person's uploads come in bursts (a backfill,
a phone syncing many files at once). Built on the message path, each upload of a burst holds a
consumer thread while it rebuilds the windows the previous upload rebuilt a moment before.
Queued, a person waits once however many of her uploads arrive meanwhile, and one pass builds
what all of them changed.

Nothing is lost with the process: pending windows live in the history, not in this queue. At
start, and whenever the queue has had nothing to do for ``sweep_seconds``, it asks the history
who has pending windows (those of a worker killed after merging) and queues them. Builders of
one person exclude each other across threads and processes
(:meth:`~etl_core.stores.history.base.HistoryStore.rebuild_turn`), and each builds with what
the person's latest upload said of her (:meth:`~etl_core.stores.history.base.HistoryStore.person`).
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from typing import Protocol

from opentelemetry import context as otel_context
from opentelemetry.context import Context

from etl_core.contract.errors import EtlError
from etl_core.contract.model import UserContext
from etl_core.engine.window_stage import WindowBuilder
from etl_core.observability.logs import get_logger
from etl_core.observability.tracing import stage_span
from etl_core.stores.history.base import HistoryStore

__all__ = ["WindowQueue", "WindowScheduler"]

MAX_RETRY_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class _Request:
    """Why a person is queued: her latest upload's correlation id and trace context, which her
    next pass continues (``None`` for a sweep)."""

    correlation_id: str
    trace: Context | None = None


class WindowScheduler(Protocol):
    """Where the message path hands a person whose windows its merge left pending: a
    :class:`WindowQueue` in this process, or builder processes
    (:class:`~etl_core.engine.window_processes.WindowBuilderProcesses`)."""

    def add(self, user: str, correlation_id: str) -> None:
        """Have ``user``'s pending windows rebuilt soon; returns at once."""
        ...


class WindowQueue:
    """People whose windows wait to be rebuilt, and the threads that rebuild them."""

    def __init__(
        self,
        builder: WindowBuilder,
        history: HistoryStore,
        *,
        threads: int = 1,
        default_person: UserContext | None = None,
        sweep_seconds: float = 60.0,
        retry_seconds: float = 1.0,
    ) -> None:
        if threads < 1:
            raise ValueError("a window queue needs at least one builder thread")
        self.builder = builder
        self.history = history
        self.thread_count = threads
        self.default_person = default_person or UserContext()
        """For a person the history knows nothing about (no upload said anything of her)."""
        self.sweep_seconds = sweep_seconds
        self.retry_seconds = retry_seconds
        self._waiting: dict[str, _Request] = {}
        """Queued people, oldest first, each with her latest upload's request."""
        self._building: set[str] = set()
        self._changed = threading.Condition()
        self._stopping = threading.Event()
        self._last_sweep = float("-inf")
        self._threads: list[threading.Thread] = []
        self._log = get_logger("etl.windows")

    # -- the message path ---------------------------------------------------------------------

    def add(self, user: str, correlation_id: str, *, trace: Context | None = None) -> None:
        """Queue ``user`` (a pseudonym) for a rebuild of her pending windows; a person already
        waiting keeps her place. Her pass continues ``trace``, by default the caller's."""
        request = _Request(correlation_id, trace or otel_context.get_current())
        with self._changed:
            self._waiting[user] = request
            self._changed.notify()

    # -- life cycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Start the builder threads; the first to run sweeps the history for pending windows."""
        for index in range(self.thread_count):
            thread = threading.Thread(
                target=self._serve, name=f"etl-window-builder-{index}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 60.0) -> bool:
        """Let each builder finish the window in hand, then stop; returns whether all did
        within ``timeout``. Windows not built yet stay pending in the history."""
        self._stopping.set()
        with self._changed:
            self._changed.notify_all()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        return not any(thread.is_alive() for thread in self._threads)

    def alive(self) -> bool:
        """Whether every builder thread runs (for the health endpoint)."""
        return bool(self._threads) and all(thread.is_alive() for thread in self._threads)

    def idle(self) -> bool:
        """Nobody waiting and nothing being built in this process."""
        with self._changed:
            return not self._waiting and not self._building

    def queued(self) -> int:
        """People waiting or being built in this process."""
        with self._changed:
            return len(self._waiting) + len(self._building)

    # -- builders -----------------------------------------------------------------------------

    def _serve(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            taken = self._take()
            if taken is None:
                continue
            user, request = taken
            retry = False
            try:
                self._pass(user, request)
                failures = 0
            except EtlError as exc:
                # The history or the output store is unreachable: her windows stay pending.
                retry = exc.retriable
                self._log.warning(
                    "window_pass_failed",
                    error_type=exc.error_type,
                    retriable=exc.retriable,
                    correlation_id=request.correlation_id,
                )
            except Exception as exc:  # a builder thread must outlive any one person's pass
                self._log.error(
                    "window_pass_failed",
                    error_type=type(exc).__name__,
                    retriable=False,
                    correlation_id=request.correlation_id,
                )
            finally:
                with self._changed:
                    self._building.discard(user)
                    if retry:
                        self._waiting.setdefault(user, request)
                    self._changed.notify_all()
            if retry:
                failures += 1
                delay = min(self.retry_seconds * 2 ** (failures - 1), MAX_RETRY_SECONDS)
                self._stopping.wait(delay)

    def _pass(self, user: str, request: _Request) -> None:
        token = otel_context.attach(request.trace) if request.trace is not None else None
        try:
            with stage_span("windows"):
                person = self.history.person(user) or self.default_person
                self.builder.rebuild_pending(
                    user, person, request.correlation_id, stop=self._stopping
                )
        finally:
            if token is not None:
                otel_context.detach(token)

    def _take(self) -> tuple[str, _Request] | None:
        """The next person nobody in this process is building, waiting for one (or for the
        next sweep) as long as there is none; ``None`` to look again."""
        with self._changed:
            for user in self._waiting:
                if user not in self._building:
                    request = self._waiting.pop(user)
                    self._building.add(user)
                    return user, request
            sweep_in = self._last_sweep + self.sweep_seconds - time.monotonic()
            if sweep_in > 0:
                self._changed.wait(sweep_in)
                return None
            self._last_sweep = time.monotonic()
        self._sweep()
        return None

    def _sweep(self) -> None:
        try:
            people = self.history.pending_people()
        except EtlError as exc:
            self._log.warning("window_sweep_failed", error_type=exc.error_type)
            return
        if not people:
            return
        correlation_id = f"window-sweep-{uuid.uuid4().hex[:12]}"
        with self._changed:
            for user in people:
                self._waiting.setdefault(user, _Request(correlation_id))
            self._changed.notify_all()
        self._log.info("window_sweep", people=len(people), correlation_id=correlation_id)
