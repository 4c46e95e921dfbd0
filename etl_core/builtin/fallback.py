"""Core's generic fallback processor: any record type no plugin interprets.

It reports what can be said without clinical knowledge (how many records, over what time,
from which apps) and says plainly that no clinical interpretation was made. For a type nobody
owns it describes each local day of the person's records (``etl_process_window``); for an
owner's upload the owner declined it describes that upload (``etl_process``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import tzinfo
from typing import Any

from etl_core import hookimpl
from etl_core.model import (
    Batch,
    ExampleKind,
    ExampleText,
    ProcessResult,
    Record,
    RecordTypeSpec,
    ValidationReport,
)
from etl_core.timeutil import batch_bounds, iso, offset_field_for
from etl_core.windows import Window


def _describe(
    records: Sequence[Record], record_type: str, spec: RecordTypeSpec, zone: tzinfo | None
) -> tuple[dict[str, Any], str, str]:
    """Insights, summary and the sentence describing the records."""
    sources = Counter(
        str((record.get("metadata") or {}).get("dataOriginPackageName") or "unknown")
        for record in records
    )
    bounds = batch_bounds(records, spec.time_fields, zone)
    span_hours = (
        round((bounds[1] - bounds[0]).total_seconds() / 3600, 1) if bounds is not None else None
    )
    source_counts = dict(sorted(sources.items()))
    insights: dict[str, Any] = {
        "interpreted": False,
        "records": len(records),
        "sources": source_counts,
        "first": iso(bounds[0]) if bounds else None,
        "last": iso(bounds[1]) if bounds else None,
        "span_hours": span_hours,
    }
    source_text = ", ".join(f"{name} ({count})" for name, count in source_counts.items())
    record_word = "record" if len(records) == 1 else "records"
    if bounds is not None:
        span = f" from {insights['first']} to {insights['last']} ({span_hours} hours)"
    else:
        span = " with no usable timestamps"
    summary = "\n".join(
        [
            f"record type: {record_type}",
            f"records: {len(records)}",
            f"first: {insights['first'] or 'unknown'}",
            f"last: {insights['last'] or 'unknown'}",
            f"span hours: {span_hours if span_hours is not None else 'unknown'}",
            f"sources: {source_text}",
        ]
    )
    return (
        insights,
        summary,
        f"{len(records)} {record_type} {record_word}{span}, from {source_text}",
    )


@hookimpl(trylast=True)
def etl_process(batch: Batch, spec: RecordTypeSpec, validation: ValidationReport) -> ProcessResult:
    insights, summary, described = _describe(
        batch.records, batch.record_type, spec, batch.user.timezone
    )
    if spec.reader_schema is None:
        reason = "No clinical processor is installed for this record type"
    else:
        reason = "Its processor declined this upload"
    narrative = (
        f"This upload holds {described}. {reason}, so the data is described but not interpreted."
    )
    return ProcessResult(narrative=narrative, insights=insights, summary=summary, generic=True)


@hookimpl(trylast=True)
def etl_process_window(window: Window, spec: RecordTypeSpec) -> ProcessResult | None:
    records = [r for r in window.records if _inside(window, r, spec)]
    if not records:
        return None
    insights, summary, described = _describe(
        records, window.record_type, spec, window.user.timezone
    )
    insights["date"] = window.first_day.isoformat()
    summary = f"date: {insights['date']}\n{summary}"
    narrative = (
        f"On {insights['date']} there are {described}. No clinical processor is installed for "
        "this record type, so the data is described but not interpreted."
    )
    return ProcessResult(
        narrative=narrative,
        insights=insights,
        summary=summary,
        generic=True,
        examples=[ExampleText(ExampleKind.SUMMARY, narrative)],
    )


def _inside(window: Window, record: Record, spec: RecordTypeSpec) -> bool:
    """Whether a record starts inside the window (a record reaching in from the day before
    belongs to that day's description)."""
    if not spec.time_fields:
        return True
    start = record.get(spec.time_fields[0])
    if not isinstance(start, int):
        return False
    return window.contains(start, record.get(offset_field_for(spec.time_fields[0])))
