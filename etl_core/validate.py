"""Validate stage: gather every plugin's findings and score the batch.

quality = 0.3 schema + 0.3 completeness + 0.2 physiological validity + 0.2 temporal
consistency. Each part is 1 minus the share of records (or array items) that its warning and
error findings affect, floored at 0; a blocking finding sets its part to 0. A batch passes when
it has no blocking finding and its score reaches the threshold (``ETL_QUALITY_THRESHOLD``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from etl_core.decode import SchemaGovernor
from etl_core.model import Dimension, Finding, RecordTypeSpec, Severity, ValidationReport

WEIGHTS: dict[Dimension, float] = {
    Dimension.SCHEMA: 0.3,
    Dimension.COMPLETENESS: 0.3,
    Dimension.PHYSIOLOGICAL: 0.2,
    Dimension.TEMPORAL: 0.2,
}


def dimension_scores(findings: Sequence[Finding], record_count: int) -> dict[Dimension, float]:
    shares: dict[Dimension, float] = dict.fromkeys(Dimension, 0.0)
    blocked: set[Dimension] = set()
    for finding in findings:
        if finding.severity is Severity.INFO:
            continue
        if finding.severity is Severity.BLOCKING:
            blocked.add(finding.dimension)
            continue
        denominator = finding.out_of or record_count
        if denominator > 0:
            shares[finding.dimension] += finding.affected / denominator
    return {
        dimension: 0.0 if dimension in blocked else max(0.0, 1.0 - shares[dimension])
        for dimension in Dimension
    }


def score(findings: Iterable[Finding], record_count: int, threshold: float) -> ValidationReport:
    collected = list(findings)
    scores = dimension_scores(collected, record_count)
    quality = sum(WEIGHTS[d] * s for d, s in scores.items())
    excluded: frozenset[int] = frozenset().union(
        *(f.record_indices for f in collected if f.severity is Severity.ERROR)
    )
    return ValidationReport(
        findings=collected,
        scores=scores,
        quality_score=round(quality, 4),
        threshold=threshold,
        excluded_indices=excluded,
    )


def schema_findings(
    governor: SchemaGovernor, spec: RecordTypeSpec, writer_schema: Mapping[str, Any]
) -> list[Finding]:
    """The schema part of validation: a blocking finding with the compatibility checker's
    reasons when the owner's reader schema cannot read the file's writer schema, an info
    finding when no plugin owns the record type, nothing otherwise."""
    if spec.reader_schema is None:
        return [
            Finding(
                Dimension.SCHEMA,
                Severity.INFO,
                "no_owner",
                f"no installed plugin owns {spec.name}; the generic fallback describes it",
            )
        ]
    reasons = governor.incompatibilities(spec.reader_schema, writer_schema)
    if not reasons:
        return []
    return [
        Finding(
            Dimension.SCHEMA,
            Severity.BLOCKING,
            "schema_incompatible",
            "writer schema is incompatible with the processor's reader schema: "
            + "; ".join(reasons),
        )
    ]
