"""Checks specific to HeartRateRecord that core's spec-driven validation cannot express."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from etl_core import Dimension, Finding, Record, Severity


def heart_rate_findings(records: Sequence[Record]) -> list[Finding]:
    """Records without samples, and samples timed outside their record's interval.

    Health Connect requires every sample to lie within [start, end] of its series record; a
    sample outside it points to a clock or export problem. The samples are still used (their
    own instants are what the metrics need), so both findings are warnings.
    """
    empty = 0
    outside = 0
    for record in records:
        samples = record.get("samples")
        if not isinstance(samples, list) or not samples:
            empty += 1
            continue
        start, end = record.get("startTimeEpochMillis"), record.get("endTimeEpochMillis")
        if not isinstance(start, int) or not isinstance(end, int):
            continue
        outside += sum(
            1
            for sample in samples
            if isinstance(sample, Mapping)
            and isinstance(sample.get("timeEpochMillis"), int)
            and not start <= sample["timeEpochMillis"] <= end
        )
    findings: list[Finding] = []
    if empty:
        findings.append(
            Finding(
                dimension=Dimension.COMPLETENESS,
                severity=Severity.WARNING,
                code="heart_rate_record_without_samples",
                message=f"{empty} heart-rate record(s) hold no samples",
                affected=empty,
            )
        )
    if outside:
        findings.append(
            Finding(
                dimension=Dimension.TEMPORAL,
                severity=Severity.WARNING,
                code="heart_rate_sample_outside_record",
                message=f"{outside} heart-rate sample(s) lie outside their record's time interval",
                affected=outside,
            )
        )
    return findings
