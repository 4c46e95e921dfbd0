"""Validate stage: gather every plugin's findings and score the batch.

quality = 0.3 schema + 0.3 completeness + 0.2 physiological validity + 0.2 temporal
consistency. Each part is 1 minus the share of records (or array items) that its warning and
error findings affect, floored at 0; a blocking finding sets its part to 0. A batch passes when
it has no blocking finding and its score reaches the threshold (``ETL_QUALITY_THRESHOLD``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

from etl_core.contract.figures import figure_value, figures_in
from etl_core.contract.model import (
    Dimension,
    Finding,
    Record,
    RecordTypeSpec,
    Severity,
    ValidationReport,
)
from etl_core.engine.decode import SchemaGovernor

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


def finding_problem(finding: object, record_count: int) -> str | None:
    """What makes a plugin's finding unusable, in one phrase (``None`` when it is well formed):
    not a :class:`Finding`, no message, negative counts, record indices outside the batch, or
    an ``ERROR`` that names no record (it would exclude nothing)."""
    if not isinstance(finding, Finding):
        return f"returned a {type(finding).__name__} among its findings, not an etl_core.Finding"
    code = finding.code
    if not isinstance(finding.dimension, Dimension) or not isinstance(finding.severity, Severity):
        return f"finding {code!r} must use the Dimension and Severity enums"
    if not isinstance(finding.message, str) or not finding.message.strip():
        return f"finding {code!r} has no message"
    counts = (finding.affected, finding.out_of)
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in counts):
        return f"finding {code!r} has a negative or non-integer affected/out_of"
    indices = finding.record_indices
    if not isinstance(indices, frozenset | set):
        return f"finding {code!r}: record_indices must be a frozenset of record positions"
    outside = sum(
        1
        for i in indices
        if not isinstance(i, int) or isinstance(i, bool) or not 0 <= i < record_count
    )
    if outside:
        return (
            f"finding {code!r} names {outside} record indices outside the batch's "
            f"{record_count} records (positions 0 to {record_count - 1})"
        )
    if finding.severity is Severity.ERROR and not indices:
        return (
            f"ERROR finding {code!r} names no records: an ERROR leaves out of processing the "
            "records in record_indices, so name them (or use WARNING)"
        )
    return None


def _numbers(node: Any) -> Iterator[int | float]:
    if isinstance(node, bool) or node is None:
        return
    if isinstance(node, int | float):
        yield node
    elif isinstance(node, Mapping):
        for item in node.values():
            yield from _numbers(item)
    elif isinstance(node, list | tuple):
        for item in node:
            yield from _numbers(item)


def record_numbers(record: Record) -> Iterator[int | float]:
    """Every number a record holds outside its ``metadata`` block: its health values, times
    and the like."""
    for key, value in record.items():
        if key != "metadata":
            yield from _numbers(value)


def allowed_in_messages(
    findings: Sequence[Finding], record_count: int, spec: RecordTypeSpec
) -> set[Decimal]:
    """Figures a finding message may state even when a record holds the same number: the
    findings' counts, the batch size and the spec's declared limits."""
    allowed = {Decimal(record_count)}
    for finding in findings:
        allowed.update({Decimal(finding.affected), Decimal(finding.out_of)})
    for limits in spec.ranges.values():
        for bound in (limits.low, limits.high):
            value = figure_value(repr(float(bound)))
            if value is not None:
                allowed.add(value)
    return {value.normalize() for value in allowed}


def quoted_values(message: str, records: Sequence[Record], allowed: set[Decimal]) -> list[str]:
    """The figures of ``message`` (as written) that equal a number in ``records`` and are not
    in ``allowed``: a finding quoting a health value. Exact comparison: ``"95"`` matches a
    reading of 95.0, ``"123.5"`` does not match 123.4567."""
    candidates: dict[str, float] = {}
    for token in figures_in(message):
        value = figure_value(token)
        if value is not None and value not in allowed:
            candidates[token] = float(value)
    if not candidates:
        return []
    wanted = set(candidates.values())
    seen: set[float] = set()
    for record in records:
        for number in record_numbers(record):
            if number in wanted:
                seen.add(float(number))
        if seen == wanted:
            break
    return [token for token, value in candidates.items() if value in seen]


def with_no_valid_records(findings: list[Finding], record_count: int) -> list[Finding]:
    """``findings`` plus a blocking ``no_valid_records`` finding when their ``ERROR`` findings
    together leave out every record (whoever raised them), so that such a file is quarantined
    instead of processed as empty."""
    if record_count == 0 or any(f.code == "no_valid_records" for f in findings):
        return findings
    excluded: set[int] = set()
    for finding in findings:
        if finding.severity is Severity.ERROR:
            excluded.update(finding.record_indices)
    if len(excluded) < record_count:
        return findings
    return [
        *findings,
        Finding(
            Dimension.COMPLETENESS,
            Severity.BLOCKING,
            "no_valid_records",
            "no record passed validation: the checks together leave out every record",
        ),
    ]
