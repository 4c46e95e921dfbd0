"""Validation specific to activity intervals (core already checks presence, ranges, order)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from etl_core import Dimension, Finding, Severity

MAX_PLAUSIBLE_CADENCE = 300
"""Steps per minute sustained over a record; sprinting peaks a little below this."""
_MIN_CADENCE_SPAN_MS = 60_000
"""Shorter records are often written in bursts, so their rate says little."""


def _times(record: Mapping[str, Any]) -> tuple[int, int] | None:
    start, end = record.get("startTimeEpochMillis"), record.get("endTimeEpochMillis")
    if isinstance(start, int) and isinstance(end, int):
        return start, end
    return None


def zero_length_findings(records: Sequence[Mapping[str, Any]]) -> list[Finding]:
    """Health Connect requires an interval record to end after it starts; an empty interval
    cannot be placed on a day by duration, so it is left out."""
    empty = frozenset(
        i for i, record in enumerate(records) if (t := _times(record)) and t[0] == t[1]
    )
    if not empty:
        return []
    return [
        Finding(
            Dimension.TEMPORAL,
            Severity.ERROR,
            "zero_length_interval",
            f"{len(empty)} of {len(records)} records end at the instant they start",
            affected=len(empty),
            record_indices=empty,
        )
    ]


def cadence_findings(records: Sequence[Mapping[str, Any]]) -> list[Finding]:
    """Step records implying more than :data:`MAX_PLAUSIBLE_CADENCE` steps a minute."""
    implausible = 0
    for record in records:
        times, count = _times(record), record.get("count")
        if times is None or not isinstance(count, int | float):
            continue
        duration = times[1] - times[0]
        if duration >= _MIN_CADENCE_SPAN_MS and count * 60_000 / duration > MAX_PLAUSIBLE_CADENCE:
            implausible += 1
    if not implausible:
        return []
    return [
        Finding(
            Dimension.PHYSIOLOGICAL,
            Severity.WARNING,
            "implausible_cadence",
            # The limit stays out of the message: a step count equal to it would make the
            # figure read as a quoted value (and core would redact it).
            f"{implausible} of {len(records)} records imply a cadence no one sustains "
            "(see implausible_cadence in etl-activity's README)",
            affected=implausible,
        )
    ]
