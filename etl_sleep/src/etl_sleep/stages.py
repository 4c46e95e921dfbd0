"""Turning a session's raw stage list into one clean hypnogram.

Real exports are not always tidy: stages may come unsorted, overlap one another or run past
the session's bounds. Every metric is computed from the clean timeline built here, in which
each instant of the session belongs to at most one stage:

- stages are clipped to the session; the time cut off is reported, never counted;
- where stages overlap, each instant goes to the stage that started most recently (a nested
  stage interrupts the one around it, which resumes afterwards); ties go to the shorter
  stage, then to wake over sleep, so that no ordering of the input changes the result;
- stages with no duration, an end before their start or an unknown stage name are dropped
  and counted.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, NamedTuple

SLEEP_STAGES = frozenset({"LIGHT", "DEEP", "REM", "SLEEPING"})
"""Stages counted in total sleep time."""
ARCHITECTURE_STAGES = ("LIGHT", "DEEP", "REM")
"""Stages whose shares make up the stage percentages (the denominator is their sum)."""
WAKE_STAGES = frozenset({"AWAKE", "OUT_OF_BED"})
"""Stages counted as wake (WASO, awakenings)."""
ALL_STAGES = ("UNKNOWN", "AWAKE", "SLEEPING", "OUT_OF_BED", "LIGHT", "DEEP", "REM")
"""Health Connect's stage names, as the exporter's enum spells them."""

# Lower wins when two stages cover exactly the same interval: wake before sleep keeps
# total sleep time conservative.
_TIE_PRECEDENCE = {
    "AWAKE": 0,
    "OUT_OF_BED": 1,
    "LIGHT": 2,
    "DEEP": 3,
    "REM": 4,
    "SLEEPING": 5,
    "UNKNOWN": 6,
}


class StageSpan(NamedTuple):
    """One stretch of one stage, ``[start_ms, end_ms)`` (a tuple: built by the thousand)."""

    stage: str
    start_ms: int
    end_ms: int

    @property
    def duration_ms(self) -> int:
        return self.end_ms - self.start_ms


@dataclass(frozen=True, slots=True)
class Hypnogram:
    """A session's stages after cleaning, plus what the cleaning had to do."""

    spans: tuple[StageSpan, ...]
    """Sorted, non-overlapping, inside the session; touching spans of one stage merged."""
    stage_count: int
    """Stage items in the record, as exported."""
    was_unsorted: bool
    overlap_ms: int
    """Time claimed by more than one stage, counted once in ``spans``."""
    clipped_ms: int
    """Stage time outside the session bounds, left out."""
    clipped_stages: int
    """Stage items that reached outside the session."""
    invalid_stages: int
    """Stage items dropped: no positive duration or an unknown stage name."""


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def clean_stages(
    raw_stages: Iterable[Mapping[str, Any]] | None, session_start_ms: int, session_end_ms: int
) -> Hypnogram:
    """The clean hypnogram of one session (see the module docstring for the rules)."""
    valid: list[StageSpan] = []
    stage_count = 0
    invalid = 0
    for item in raw_stages or ():
        stage_count += 1
        start = _as_int(item.get("startTimeEpochMillis"))
        end = _as_int(item.get("endTimeEpochMillis"))
        stage = item.get("stage")
        if start is None or end is None or end <= start or stage not in _TIE_PRECEDENCE:
            invalid += 1
            continue
        valid.append(StageSpan(str(stage), start, end))

    was_unsorted = any(b.start_ms < a.start_ms for a, b in pairwise(valid))

    clipped: list[StageSpan] = []
    clipped_ms = 0
    clipped_stages = 0
    for span in valid:
        start = max(span.start_ms, session_start_ms)
        end = min(span.end_ms, session_end_ms)
        kept = max(0, end - start)
        if kept < span.duration_ms:
            clipped_stages += 1
            clipped_ms += span.duration_ms - kept
        if kept > 0:
            clipped.append(StageSpan(span.stage, start, end))

    spans = _resolve_overlaps(clipped)
    covered = sum(s.duration_ms for s in spans)
    recorded = sum(s.duration_ms for s in clipped)
    return Hypnogram(
        spans=tuple(spans),
        stage_count=stage_count,
        was_unsorted=was_unsorted,
        overlap_ms=recorded - covered,
        clipped_ms=clipped_ms,
        clipped_stages=clipped_stages,
        invalid_stages=invalid,
    )


def _resolve_overlaps(spans: Sequence[StageSpan]) -> list[StageSpan]:
    """Give each instant to the covering stage that started last (sweep over boundaries)."""
    if not spans:
        return []
    ordered = sorted(spans, key=lambda s: s.start_ms)
    if all(a.end_ms <= b.start_ms for a, b in pairwise(ordered)):
        return _merge_touching(ordered)  # the usual export: nothing overlaps
    boundaries = sorted({s.start_ms for s in ordered} | {s.end_ms for s in ordered})
    # Heap order: latest start first, then shortest, then the tie precedence.
    heap: list[tuple[int, int, int, str]] = []
    pieces: list[StageSpan] = []
    next_index = 0
    for left, right in pairwise(boundaries):
        while next_index < len(ordered) and ordered[next_index].start_ms <= left:
            span = ordered[next_index]
            heapq.heappush(
                heap, (-span.start_ms, span.end_ms, _TIE_PRECEDENCE[span.stage], span.stage)
            )
            next_index += 1
        while heap and heap[0][1] <= left:
            heapq.heappop(heap)
        if not heap:
            continue
        stage = heap[0][3]
        if pieces and pieces[-1].stage == stage and pieces[-1].end_ms == left:
            pieces[-1] = StageSpan(stage, pieces[-1].start_ms, right)
        else:
            pieces.append(StageSpan(stage, left, right))
    return pieces


def _merge_touching(ordered: Sequence[StageSpan]) -> list[StageSpan]:
    merged: list[StageSpan] = []
    for span in ordered:
        if merged and merged[-1].stage == span.stage and merged[-1].end_ms == span.start_ms:
            merged[-1] = StageSpan(span.stage, merged[-1].start_ms, span.end_ms)
        else:
            merged.append(span)
    return merged


def stage_totals(spans: Iterable[StageSpan]) -> dict[str, int]:
    """Milliseconds per stage name (every stage name present, zero when absent)."""
    totals = dict.fromkeys(ALL_STAGES, 0)
    for span in spans:
        totals[span.stage] += span.duration_ms
    return totals


def gaps(spans: Sequence[StageSpan], start_ms: int, end_ms: int) -> list[tuple[int, int]]:
    """The parts of ``[start_ms, end_ms)`` that no span covers (``spans`` clean and sorted)."""
    found: list[tuple[int, int]] = []
    cursor = start_ms
    for span in spans:
        if span.start_ms > cursor:
            found.append((cursor, span.start_ms))
        cursor = max(cursor, span.end_ms)
    if cursor < end_ms:
        found.append((cursor, end_ms))
    return found
