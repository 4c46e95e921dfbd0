"""The worker's byte budget: bounded bytes in progress, lone oversized files, first come first
served. Real threads; each test observes what ran at once from inside the held blocks."""

from __future__ import annotations

import random
import signal
import threading
import time
from collections.abc import Callable

import pytest

from etl_core.engine.budget import ByteBudget
from etl_core.transports.rabbitmq.consumer import wait_until


class Observer:
    """What the held blocks saw: the bytes and holders in progress at once, and entry order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.bytes_now = 0
        self.holders_now = 0
        self.most_bytes = 0
        self.entered: list[str] = []
        self.alone: dict[str, bool] = {}

    def work(self, budget: ByteBudget, name: str, size: int, seconds: float) -> None:
        with budget.held(size):
            with self._lock:
                self.bytes_now += size
                self.holders_now += 1
                self.most_bytes = max(self.most_bytes, self.bytes_now)
                self.entered.append(name)
                self.alone[name] = self.holders_now == 1
            time.sleep(seconds)
            with self._lock:
                self.alone[name] = self.alone[name] and self.holders_now == 1
                self.bytes_now -= size
                self.holders_now -= 1


def start(target: Callable[[], None]) -> threading.Thread:
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


def test_bytes_in_progress_never_exceed_the_budget() -> None:
    reported: list[int] = []
    budget = ByteBudget(100_000, reported.append)
    seen = Observer()
    chooser = random.Random(7)
    sizes = [chooser.randint(1_000, 60_000) for _ in range(40)]
    threads = [
        start(lambda n=n, size=size: seen.work(budget, f"f{n}", size, chooser.uniform(0, 0.01)))
        for n, size in enumerate(sizes)
    ]
    for thread in threads:
        thread.join(timeout=30)
    assert len(seen.entered) == 40
    assert seen.most_bytes <= 100_000
    assert budget.peak_bytes == max(reported) <= 100_000
    assert budget.waits > 0, "40 files of up to 60 kB never had to wait for 100 kB"
    assert budget.in_use == 0 and reported[-1] == 0
    # Every hold was reported on the way in and on the way out.
    assert len(reported) == 80


def test_a_file_larger_than_the_budget_runs_alone() -> None:
    budget = ByteBudget(10_000)
    seen = Observer()
    small = [start(lambda n=n: seen.work(budget, f"s{n}", 3_000, 0.05)) for n in range(3)]
    assert wait_until(lambda: budget.in_use == 9_000, 5, 0.005)
    huge = start(lambda: seen.work(budget, "huge", 50_000, 0.05))
    assert wait_until(lambda: budget.waits == 1, 5, 0.005)
    after = [start(lambda n=n: seen.work(budget, f"a{n}", 3_000, 0.01)) for n in range(3)]
    for thread in (*small, huge, *after):
        thread.join(timeout=30)
    assert seen.alone["huge"]
    assert budget.peak_bytes == 50_000
    assert seen.entered.index("huge") == 3


def test_waiting_is_first_come_first_served() -> None:
    budget = ByteBudget(10)
    seen = Observer()
    release = threading.Event()

    def first() -> None:
        with budget.held(6):
            seen.entered.append("first")
            release.wait(10)

    holder = start(first)
    assert wait_until(lambda: budget.in_use == 6, 5, 0.005)
    large = start(lambda: seen.work(budget, "large", 6, 0.05))
    assert wait_until(lambda: budget.waits == 1, 5, 0.005)
    # Fits beside the first holder, but the large file came first.
    small = start(lambda: seen.work(budget, "small", 1, 0.0))
    assert wait_until(lambda: budget.waits == 2, 5, 0.005)
    time.sleep(0.05)
    assert seen.entered == ["first"]
    release.set()
    for thread in (holder, large, small):
        thread.join(timeout=30)
    assert seen.entered == ["first", "large", "small"]
    # Once the large file was in, the small one fitted beside it.
    assert not seen.alone["small"] or not seen.alone["large"]


def test_a_budget_of_nothing_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one byte"):
        ByteBudget(0)


class Interrupted(Exception):
    pass


def test_a_waiter_interrupted_in_line_leaves_it() -> None:
    """A waiting thread that dies (here the main thread, by a signal handler's exception) must
    not block the ones behind it."""
    budget = ByteBudget(10)
    release = threading.Event()

    def hold() -> None:
        with budget.held(6):
            release.wait(10)

    holder = start(hold)
    assert wait_until(lambda: budget.in_use == 6, 5, 0.005)

    def interrupt(_signum: int, _frame: object) -> None:
        raise Interrupted

    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.1)
        with pytest.raises(Interrupted), budget.held(6):
            pass
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    # Behind the interrupted waiter: fits beside the holder, so it must get in at once.
    entered = threading.Event()

    def hold_a_little() -> None:
        with budget.held(1):
            entered.set()
            release.wait(10)

    small = start(hold_a_little)
    try:
        assert entered.wait(5), "the interrupted waiter still blocks the line"
        assert budget.in_use == 7
    finally:
        release.set()
        holder.join(timeout=10)
        small.join(timeout=10)
