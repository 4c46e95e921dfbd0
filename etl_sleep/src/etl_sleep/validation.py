"""Checks specific to sleep sessions, beyond core's generic ones.

Stage problems are warnings, not exclusions: the processor cleans them (see
:mod:`etl_sleep.stages`) and says so. Only a session too long to be one sleep is excluded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from etl_core import Dimension, Finding, Severity
from etl_sleep.stages import clean_stages

MAX_SESSION_MS = 24 * 3_600_000
"""A single sleep session longer than a day is treated as a recording error."""


def sleep_findings(records: Sequence[Mapping[str, Any]]) -> list[Finding]:
    too_long: set[int] = set()
    unsorted = outside = overlapping = invalid = without_stages = total_stages = 0
    for index, record in enumerate(records):
        start = record.get("startTimeEpochMillis")
        end = record.get("endTimeEpochMillis")
        if not isinstance(start, int) or not isinstance(end, int) or end < start:
            continue  # core's generic checks report these
        if end - start > MAX_SESSION_MS:
            too_long.add(index)
            continue
        hypnogram = clean_stages(record.get("stages"), start, end)
        total_stages += hypnogram.stage_count
        unsorted += hypnogram.was_unsorted
        outside += hypnogram.clipped_stages
        overlapping += hypnogram.overlap_ms > 0
        invalid += hypnogram.invalid_stages
        without_stages += hypnogram.stage_count == 0
    findings: list[Finding] = []
    if too_long:
        findings.append(
            Finding(
                Dimension.PHYSIOLOGICAL,
                Severity.ERROR,
                "sleep_session_too_long",
                f"{len(too_long)} sleep session(s) last longer than 24 hours",
                affected=len(too_long),
                record_indices=frozenset(too_long),
            )
        )
    checks = [
        (
            invalid,
            Severity.WARNING,
            "sleep_stage_invalid_span",
            total_stages,
            "sleep stage(s) without a positive time span or with an unknown stage, ignored",
        ),
        (
            outside,
            Severity.WARNING,
            "sleep_stage_outside_session",
            total_stages,
            "sleep stage(s) reach outside their session, clipped to it",
        ),
        (
            overlapping,
            Severity.WARNING,
            "sleep_stages_overlap",
            0,
            "session(s) with overlapping sleep stages, overlap counted once",
        ),
        (
            unsorted,
            Severity.INFO,
            "sleep_stages_unsorted",
            0,
            "session(s) with sleep stages out of time order, sorted",
        ),
        (
            without_stages,
            Severity.INFO,
            "sleep_session_without_stages",
            0,
            "session(s) without sleep stages: time in bed only",
        ),
    ]
    # Stage findings are shares of all stage items; session findings of all records (0).
    for count, severity, code, out_of, text in checks:
        if count:
            findings.append(
                Finding(
                    Dimension.TEMPORAL,
                    severity,
                    code,
                    f"{count} {text}",
                    affected=count,
                    out_of=out_of,
                )
            )
    return findings
