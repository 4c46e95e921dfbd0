"""Core's generic fallback processor: any record type no plugin interprets.

It reports what can be said without clinical knowledge (how many records, over what time,
from which apps) and says plainly why no clinical interpretation was made: no processor is
installed for the record type, or the installed one (named) declined this batch. For a type
nobody owns it describes each local day of the person's records (``etl_process_window``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import tzinfo
from typing import Any

from etl_core import hookimpl
from etl_core.contract.model import (
    Batch,
    ExampleKind,
    ExampleText,
    ProcessResult,
    Record,
    RecordTypeSpec,
    ValidationReport,
)
from etl_core.contract.timeutil import batch_bounds, describe_zone_use, iso, offset_field_for
from etl_core.contract.windows import Window

GENERIC_DOMAIN = "unclassified"
"""The health domain of record types no plugin owns."""
OWNER_UNKNOWN = ""
"""``declined_by`` when an owner declined but its name is not known to the caller."""


def _facts(
    records: Sequence[Record], record_type: str, spec: RecordTypeSpec, zone: tzinfo | None
) -> tuple[dict[str, Any], list[str], str]:
    """Insights, the input's ``key: value`` lines and the phrase describing the records."""
    sources = Counter(
        str((record.get("metadata") or {}).get("dataOriginPackageName") or "unknown")
        for record in records
    )
    bounds = batch_bounds(records, spec.time_fields, zone)
    offsets = (
        [r.get(offset_field_for(spec.time_fields[0])) for r in records] if spec.time_fields else []
    )
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
        "timezone": describe_zone_use(offsets, zone),
    }
    source_text = ", ".join(f"{name} ({count})" for name, count in source_counts.items())
    record_word = "record" if len(records) == 1 else "records"
    if bounds is not None:
        span = f" from {insights['first']} to {insights['last']} ({span_hours} hours)"
    else:
        span = " with no usable timestamps"
    lines = [
        f"record type: {record_type}",
        f"records: {len(records)}",
        f"first: {insights['first'] or 'unknown'}",
        f"last: {insights['last'] or 'unknown'}",
        f"span hours: {span_hours if span_hours is not None else 'unknown'}",
        f"sources: {source_text}",
    ]
    return insights, lines, f"{len(records)} {record_type} {record_word}{span}"


def describe(batch: Batch, spec: RecordTypeSpec, declined_by: str | None) -> ProcessResult:
    """The uninterpreted description of ``batch``. ``declined_by`` names the owning plugin
    that returned ``None`` for it; ``None`` means no plugin owns the record type."""
    insights, lines, described = _facts(batch.records, batch.record_type, spec, batch.user.timezone)
    insights["why_not"] = (
        "no_processor_installed" if declined_by is None else "declined_by_processor"
    )
    insights["declined_by"] = declined_by or None
    if declined_by is None:
        why = "No clinical processor is installed for this record type"
    elif declined_by == OWNER_UNKNOWN:
        why = f"The installed {batch.record_type} processor declined this batch"
    else:
        why = (
            f"The installed {batch.record_type} processor (plugin {declined_by}) declined this "
            "batch"
        )
    sources = ", ".join(f"{name} ({count})" for name, count in insights["sources"].items())
    narrative = (
        f"This upload holds {described}, from {sources}. {why}, so the data is described but "
        "not interpreted."
    )
    return ProcessResult(
        narrative=narrative, insights=insights, summary="\n".join(lines), generic=True
    )


@hookimpl(trylast=True)
def etl_process(batch: Batch, spec: RecordTypeSpec, validation: ValidationReport) -> ProcessResult:
    # Reached through the hook relay only after every other implementation returned None; the
    # owner's spec (rather than a generic one) means an owner exists and declined. The plugin
    # registry calls describe() itself, naming the owner.
    owned = spec.health_domain != GENERIC_DOMAIN
    return describe(batch, spec, OWNER_UNKNOWN if owned else None)


@hookimpl(trylast=True)
def etl_process_window(window: Window, spec: RecordTypeSpec) -> ProcessResult | None:
    records = [r for r in window.records if _starts_inside(window, r, spec)]
    if not records:
        return None
    insights, lines, described = _facts(records, window.record_type, spec, window.user.timezone)
    insights["date"] = window.first_day.isoformat()
    sources = ", ".join(f"{name} ({count})" for name, count in insights["sources"].items())
    narrative = (
        f"On {insights['date']} there are {described}, from {sources}. No clinical processor "
        "is installed for this record type, so the data is described but not interpreted."
    )
    return ProcessResult(
        narrative=narrative,
        insights=insights,
        summary="\n".join([f"date: {insights['date']}", *lines]),
        generic=True,
        examples=[ExampleText(ExampleKind.SUMMARY, narrative)],
    )


def _starts_inside(window: Window, record: Record, spec: RecordTypeSpec) -> bool:
    """Whether a record starts inside the window (a record reaching in from the day before
    belongs to that day's description)."""
    if not spec.time_fields:
        return True
    start = record.get(spec.time_fields[0])
    if not isinstance(start, int):
        return False
    return window.contains(start, record.get(offset_field_for(spec.time_fields[0])))
