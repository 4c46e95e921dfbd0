"""Core's generic fallback processor: any record type no plugin interprets.

It reports what can be said without clinical knowledge (how many records, over what time,
from which apps) and says plainly that no clinical interpretation was made.
"""

from __future__ import annotations

from collections import Counter

from etl_core import hookimpl
from etl_core.model import Batch, ProcessResult, RecordTypeSpec, ValidationReport
from etl_core.timeutil import batch_bounds, describe_zone_use, iso, offset_field_for


@hookimpl(trylast=True)
def etl_process(batch: Batch, spec: RecordTypeSpec, validation: ValidationReport) -> ProcessResult:
    records = batch.records
    sources = Counter(
        str((record.get("metadata") or {}).get("dataOriginPackageName") or "unknown")
        for record in records
    )
    bounds = batch_bounds(records, spec.time_fields, batch.user.timezone)
    offsets = (
        [r.get(offset_field_for(spec.time_fields[0])) for r in records] if spec.time_fields else []
    )
    span_hours = (
        round((bounds[1] - bounds[0]).total_seconds() / 3600, 1) if bounds is not None else None
    )
    source_counts = dict(sorted(sources.items()))
    insights = {
        "interpreted": False,
        "records": len(records),
        "sources": source_counts,
        "first": iso(bounds[0]) if bounds else None,
        "last": iso(bounds[1]) if bounds else None,
        "span_hours": span_hours,
        "timezone": describe_zone_use(offsets, batch.user.timezone),
    }
    source_text = ", ".join(f"{name} ({count})" for name, count in source_counts.items())
    record_word = "record" if len(records) == 1 else "records"
    if bounds is not None:
        window = f" from {insights['first']} to {insights['last']} ({span_hours} hours)"
    else:
        window = " with no usable timestamps"
    summary = f"{len(records)} {batch.record_type} {record_word}{window}; sources: {source_text}."
    narrative = (
        f"This upload holds {len(records)} {batch.record_type} {record_word}{window}, "
        f"from {source_text}. No clinical processor is installed for this record type, so the "
        "data is described but not interpreted."
    )
    return ProcessResult(narrative=narrative, insights=insights, summary=summary, generic=True)
