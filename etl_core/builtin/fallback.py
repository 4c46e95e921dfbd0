"""Core's generic fallback processor: any record type no plugin interprets.

It reports what can be said without clinical knowledge (how many records, over what time,
from which apps) and says plainly why no clinical interpretation was made: no processor is
installed for the record type, or the installed one (named) declined this batch.
"""

from __future__ import annotations

from collections import Counter

from etl_core import hookimpl
from etl_core.model import Batch, ProcessResult, RecordTypeSpec, ValidationReport
from etl_core.timeutil import batch_bounds, describe_zone_use, iso, offset_field_for

GENERIC_DOMAIN = "unclassified"
"""The health domain of record types no plugin owns."""
OWNER_UNKNOWN = ""
"""``declined_by`` when an owner declined but its name is not known to the caller."""


def describe(batch: Batch, spec: RecordTypeSpec, declined_by: str | None) -> ProcessResult:
    """The uninterpreted description of ``batch``. ``declined_by`` names the owning plugin
    that returned ``None`` for it; ``None`` means no plugin owns the record type."""
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
        "why_not": "no_processor_installed" if declined_by is None else "declined_by_processor",
        "declined_by": declined_by or None,
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
    if declined_by is None:
        why = "No clinical processor is installed for this record type"
    elif declined_by == OWNER_UNKNOWN:
        why = f"The installed {batch.record_type} processor declined this batch"
    else:
        why = (
            f"The installed {batch.record_type} processor (plugin {declined_by}) declined this "
            "batch"
        )
    summary = f"{len(records)} {batch.record_type} {record_word}{window}; sources: {source_text}."
    narrative = (
        f"This upload holds {len(records)} {batch.record_type} {record_word}{window}, "
        f"from {source_text}. {why}, so the data is described but not interpreted."
    )
    return ProcessResult(narrative=narrative, insights=insights, summary=summary, generic=True)


@hookimpl(trylast=True)
def etl_process(batch: Batch, spec: RecordTypeSpec, validation: ValidationReport) -> ProcessResult:
    # Reached through the hook relay only after every other implementation returned None; the
    # owner's spec (rather than a generic one) means an owner exists and declined. The plugin
    # registry calls describe() itself, naming the owner.
    owned = spec.health_domain != GENERIC_DOMAIN
    return describe(batch, spec, OWNER_UNKNOWN if owned else None)
