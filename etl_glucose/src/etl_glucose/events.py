"""Glycaemic events by the consensus 15-minute rule (Danne 2017; Battelino 2023).

An event starts once readings stay beyond a threshold for at least ``min_duration`` and ends
once they stay back on the other side for at least ``recovery``; a shorter return does not
split the event. Single readings are readings, not events.

Durations are measured on the sensor's sampling grid: a run of readings from ``t_first`` to
``t_last`` covers ``round((t_last - t_first) / interval) + 1`` sampling slots, each
``interval`` long, so three 5-minute readings span 15 minutes whatever their few seconds of
timestamp drift. A gap wider than ``max_gap`` breaks continuity: no run, recovery or event
bridges it, and an event still open at a gap or at the end of the data ends at its last
reading plus one interval, marked as not recovered.

Pure functions over sorted instants and values; no I/O, no state.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

Direction = Literal["below", "above"]


@dataclass(frozen=True, slots=True)
class EventRule:
    min_duration_ms: int
    recovery_ms: int
    interval_ms: int
    max_gap_ms: int
    strictly_longer: bool = False
    """``True`` for "more than" rules (extended hypoglycaemia: > 120 min)."""
    min_readings: int = 2


@dataclass(frozen=True, slots=True)
class Episode:
    first_index: int
    last_index: int
    """Index of the last reading beyond the threshold."""
    start_ms: int
    end_ms: int
    """First reading of the qualifying recovery, or (not recovered) last reading + interval."""
    extreme_mg_dl: float
    """Nadir of a low event, peak of a high one."""
    recovered: bool

    @property
    def duration_ms(self) -> int:
        return self.end_ms - self.start_ms


def continuous_segments(times_ms: Sequence[int], max_gap_ms: int) -> Iterator[tuple[int, int]]:
    """Half-open index ranges ``[lo, hi)`` in which consecutive readings are at most
    ``max_gap_ms`` apart."""
    if not times_ms:
        return
    lo = 0
    for i in range(1, len(times_ms)):
        if times_ms[i] - times_ms[i - 1] > max_gap_ms:
            yield lo, i
            lo = i
    yield lo, len(times_ms)


def _runs(flags: Sequence[bool], lo: int, hi: int) -> Iterator[tuple[bool, int, int]]:
    """Maximal runs ``(flag, first, last)`` of equal flags within ``[lo, hi)``."""
    first = lo
    for i in range(lo + 1, hi):
        if flags[i] != flags[first]:
            yield flags[first], first, i - 1
            first = i
    if hi > lo:
        yield flags[first], first, hi - 1


def run_duration_ms(times_ms: Sequence[int], first: int, last: int, interval_ms: int) -> int:
    """Length of a run of readings, in whole sampling slots."""
    slots = round((times_ms[last] - times_ms[first]) / interval_ms) + 1
    return slots * interval_ms


def find_episodes(
    times_ms: Sequence[int],
    values: Sequence[float],
    threshold: float,
    direction: Direction,
    rule: EventRule,
) -> list[Episode]:
    """Events of ``values`` strictly below (or above) ``threshold`` under ``rule``.

    ``times_ms`` must be sorted ascending and as long as ``values``.
    """
    if len(times_ms) != len(values):
        raise ValueError("times and values differ in length")
    if direction == "below":
        flags = [v < threshold for v in values]
    else:
        flags = [v > threshold for v in values]
    pick = min if direction == "below" else max
    episodes: list[Episode] = []

    def close(first: int, last: int, end_ms: int, recovered: bool) -> None:
        extreme = pick(values[i] for i in range(first, last + 1) if flags[i])
        episodes.append(Episode(first, last, times_ms[first], end_ms, float(extreme), recovered))

    for lo, hi in continuous_segments(times_ms, rule.max_gap_ms):
        open_first: int | None = None
        open_last = -1
        for beyond, first, last in _runs(flags, lo, hi):
            duration = run_duration_ms(times_ms, first, last, rule.interval_ms)
            if beyond:
                if open_first is not None:
                    open_last = last
                elif last - first + 1 >= rule.min_readings and (
                    duration > rule.min_duration_ms
                    if rule.strictly_longer
                    else duration >= rule.min_duration_ms
                ):
                    open_first, open_last = first, last
            elif open_first is not None and duration >= rule.recovery_ms:
                close(open_first, open_last, times_ms[first], recovered=True)
                open_first = None
        if open_first is not None:
            close(open_first, open_last, times_ms[open_last] + rule.interval_ms, recovered=False)
    return episodes
