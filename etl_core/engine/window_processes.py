"""Window builders in processes of their own.

Decoding, validation and the plugins' analysis are Python: in one process, builder threads and
consumer threads take turns at one interpreter lock. With ``ETL_WINDOW_BUILDER_PROCESSES``,
``etl consume`` starts ``etl build-windows --queue-from-stdin`` children with its own settings
and writes each person its uploads changed to one child's standard input (always the same
child for the same person), with the upload's trace context, so the child's pass continues
the upload's trace.

Nothing is lost with a child: the pending windows live in the history. A supervisor thread
starts a child that died again (at most once every ``restart_seconds``), and every child
sweeps the history at start, so it finds the windows of the people handed to it meanwhile.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Mapping, Sequence

from opentelemetry import propagate

from etl_core.observability.logs import get_logger

__all__ = ["WindowBuilderProcesses"]


class _Child:
    """One builder process slot: its current process, when that started, and the lock its
    pipe and its replacement are taken under."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.process: subprocess.Popen[str] | None = None
        self.started_at = float("-inf")
        self.lock = threading.Lock()


class WindowBuilderProcesses:
    """Children running ``etl build-windows`` and the pipe to each (a
    :class:`~etl_core.engine.window_queue.WindowScheduler`)."""

    def __init__(
        self,
        processes: int,
        *,
        environment: Mapping[str, str | None],
        threads: int = 1,
        sweep_seconds: float = 60.0,
        restart_seconds: float = 5.0,
        command: Sequence[str] | None = None,
    ) -> None:
        if processes < 1:
            raise ValueError("window builder processes need at least one process")
        self.environment = dict(environment)
        """``ETL_*`` variables over this process's environment (``None``: unset); see
        :meth:`etl_core.settings.Settings.environment`."""
        self.command = [
            *(command or [sys.executable, "-m", "etl_core"]),
            "build-windows",
            "--queue-from-stdin",
            "--threads",
            str(max(1, threads)),
            "--sweep-seconds",
            str(sweep_seconds),
        ]
        self.restart_seconds = restart_seconds
        self._children = [_Child(index) for index in range(processes)]
        self._stopping = threading.Event()
        self._supervisor: threading.Thread | None = None
        self._log = get_logger("etl.windows")

    # -- the message path ---------------------------------------------------------------------

    def add(self, user: str, correlation_id: str) -> None:
        """Hand ``user`` to her child, with the caller's trace context. While her child is down,
        her windows wait in the history for its successor's sweep."""
        carrier: dict[str, str] = {}
        propagate.inject(carrier)
        line = json.dumps({"user": user, "correlation_id": correlation_id, "trace": carrier})
        child = self._children[zlib.crc32(user.encode("utf-8")) % len(self._children)]
        with child.lock:
            process = child.process
            if self._stopping.is_set() or process is None or process.poll() is not None:
                return
            assert process.stdin is not None
            try:
                process.stdin.write(line + "\n")
                process.stdin.flush()
            except OSError:  # it died since: the supervisor starts another
                return

    # -- life cycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Start the children, and the thread that starts a dead one again."""
        for child in self._children:
            with child.lock:
                self._spawn(child)
        self._supervisor = threading.Thread(
            target=self._supervise, name="etl-window-builder-supervisor", daemon=True
        )
        self._supervisor.start()

    def alive(self) -> bool:
        """Whether every child runs (for the health endpoint)."""
        return all(
            child.process is not None and child.process.poll() is None for child in self._children
        )

    def stop(self, timeout: float = 60.0) -> bool:
        """Close each child's standard input, so that it finishes the window in hand and exits;
        a child still running after ``timeout`` seconds is killed (its windows stay pending).
        Returns whether every child exited in time."""
        deadline = time.monotonic() + timeout
        self._stopping.set()
        if self._supervisor is not None:
            self._supervisor.join()
        processes = []
        for child in self._children:
            with child.lock:
                if child.process is not None:
                    processes.append(child.process)
                    if child.process.stdin is not None:
                        with contextlib.suppress(OSError):
                            child.process.stdin.close()
        clean = True
        for process in processes:
            try:
                process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                clean = False
                process.kill()
                process.wait()
        return clean

    def pids(self) -> list[int]:
        """The children's process ids."""
        return [child.process.pid for child in self._children if child.process is not None]

    # -- children -----------------------------------------------------------------------------

    def _spawn(self, child: _Child) -> subprocess.Popen[str]:
        environment = {
            key: value for key, value in os.environ.items() if key not in self.environment
        }
        environment.update(
            {key: value for key, value in self.environment.items() if value is not None}
        )
        child.started_at = time.monotonic()
        child.process = subprocess.Popen(
            self.command, stdin=subprocess.PIPE, text=True, env=environment
        )
        self._log.info("window_builder_process_started", process=child.index)
        return child.process

    def _supervise(self) -> None:
        while not self._stopping.wait(min(1.0, max(self.restart_seconds, 0.05))):
            for child in self._children:
                with child.lock:
                    process = child.process
                    if self._stopping.is_set() or process is None or process.poll() is None:
                        continue
                    if time.monotonic() - child.started_at < self.restart_seconds:
                        continue  # dying at start-up: do not start one a second
                    self._log.warning(
                        "window_builder_process_died",
                        process=child.index,
                        exit_code=process.returncode,
                    )
                    if process.stdin is not None:
                        with contextlib.suppress(OSError):
                            process.stdin.close()
                    try:
                        self._spawn(child)
                    except OSError as exc:  # out of processes or descriptors: next round
                        self._log.error(
                            "window_builder_process_failed_to_start",
                            process=child.index,
                            error_type=type(exc).__name__,
                        )
