"""Core's generic validation, registered as a plugin through ``etl_validate``.

Driven entirely by the owner's :class:`~etl_core.RecordTypeSpec`: required fields,
physiological ranges and time fields. Findings quote counts and limits, never values.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from etl_core import hookimpl
from etl_core.contract.model import (
    Batch,
    Dimension,
    Finding,
    Record,
    RecordTypeSpec,
    Severity,
    ValueRange,
)

# Health Connect did not exist before 2000; anything later than a day past now is a clock error.
EARLIEST_PLAUSIBLE_MS = 946_684_800_000
FUTURE_TOLERANCE_MS = 86_400_000

_MISSING = object()


def getter(path: str) -> Callable[[Record], Any]:
    """A function reading the value at a dotted path (no ``[]``), or ``_MISSING``. Split once
    per path, not once per record: batches hold up to hundreds of thousands of records."""
    parts = path.split(".")
    if len(parts) == 1:
        key = parts[0]
        return lambda record: record.get(key, _MISSING)
    if len(parts) == 2:
        # The common nested case (``metadata.id``), without the loop of the general reader.
        outer, inner = parts

        def read_two(record: Record) -> Any:
            if isinstance(record, dict):
                node = record.get(outer, _MISSING)
                if isinstance(node, dict):
                    return node.get(inner, _MISSING)
            return _MISSING

        return read_two

    def read(record: Record) -> Any:
        node: Any = record
        for part in parts:
            if not isinstance(node, dict) or part not in node:
                return _MISSING
            node = node[part]
        return node

    return read


def get_path(record: Record, path: str) -> Any:
    """The value at a dotted path (no ``[]``), or ``_MISSING``."""
    return getter(path)(record)


def iter_path(record: Record, path: str) -> Iterator[Any]:
    """Every value at a path whose ``[]`` segments descend into arrays."""
    head, sep, rest = path.partition("[]")
    if not sep:
        value = get_path(record, path)
        if value is not _MISSING:
            yield value
        return
    items = get_path(record, head) if head else _MISSING
    if not isinstance(items, list):
        return
    rest = rest.lstrip(".")
    for item in items:
        if not rest:
            yield item
        elif isinstance(item, dict):
            yield from iter_path(item, rest)


def array_reader(path: str) -> Callable[[Record], Iterable[Any]]:
    """A function giving every value at a path with ``[]`` segments, as :func:`iter_path`
    does, compiled once per path: the common one-array path (``samples[].beatsPerMinute``)
    reads each record's array in one loop instead of a generator per record."""
    head, _, rest = path.partition("[]")
    rest = rest.lstrip(".")
    if not head or "[]" in rest:
        return lambda record: iter_path(record, path)
    read_items = getter(head)
    if not rest:

        def items_of(record: Record) -> Iterable[Any]:
            items = read_items(record)
            return items if isinstance(items, list) else ()

        return items_of
    read_item = getter(rest)

    def values_of(record: Record) -> Iterable[Any]:
        items = read_items(record)
        if not isinstance(items, list):
            return ()
        values = []
        for item in items:
            if isinstance(item, dict):
                value = read_item(item)
                if value is not _MISSING:
                    values.append(value)
        return values

    return values_of


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _outside(allowed: ValueRange) -> Callable[[Any], bool]:
    """Whether a value lies outside ``allowed``: ``value not in allowed``, with the plain
    ``float`` and ``int`` of decoded records compared inline (this runs once per record)."""
    if type(allowed) is not ValueRange:
        return lambda value: value not in allowed
    low, high = allowed.low, allowed.high

    def outside(value: Any) -> bool:
        if type(value) is float or type(value) is int:
            # NaN compares false with everything, so it is outside, as ValueRange says.
            return not low <= value <= high
        return value not in allowed

    return outside


def excluding(dimension: Dimension, code: str, indices: Iterable[int], message: str) -> Finding:
    """An ``ERROR`` finding that leaves the records at ``indices`` out of processing."""
    chosen = frozenset(indices)
    return Finding(
        dimension, Severity.ERROR, code, message, affected=len(chosen), record_indices=chosen
    )


def check_required(records: Sequence[Record], fields: Sequence[str]) -> list[Finding]:
    findings = []
    for path in fields:
        read = getter(path)
        bad = frozenset(
            i
            for i, record in enumerate(records)
            if (value := read(record)) is None or value is _MISSING
        )
        if bad:
            findings.append(
                excluding(
                    Dimension.COMPLETENESS,
                    "missing_required_field",
                    bad,
                    f"{len(bad)} of {len(records)} records lack required field {path}",
                )
            )
    return findings


def check_ranges(records: Sequence[Record], ranges: dict[str, ValueRange]) -> list[Finding]:
    findings = []
    for path, allowed in ranges.items():
        limits = f"{allowed.low:g}-{allowed.high:g} {allowed.unit}".rstrip()
        if "[]" in path:
            total = bad_items = 0
            values_of, outside = array_reader(path), _outside(allowed)
            for record in records:
                for value in values_of(record):
                    total += 1
                    if outside(value):
                        bad_items += 1
            if bad_items:
                findings.append(
                    Finding(
                        Dimension.PHYSIOLOGICAL,
                        Severity.WARNING,
                        "value_out_of_range",
                        f"{bad_items} of {total} values of {path} are outside {limits}",
                        affected=bad_items,
                        out_of=total,
                    )
                )
            continue
        read, outside = getter(path), _outside(allowed)
        bad = frozenset(
            i
            for i, record in enumerate(records)
            if (value := read(record)) is not _MISSING and value is not None and outside(value)
        )
        if bad:
            findings.append(
                excluding(
                    Dimension.PHYSIOLOGICAL,
                    "value_out_of_range",
                    bad,
                    f"{len(bad)} of {len(records)} records have {path} outside {limits}",
                )
            )
    return findings


def check_times(
    records: Sequence[Record], time_fields: Sequence[str], now_ms: int
) -> list[Finding]:
    if not time_fields:
        return []
    read_start, read_end = getter(time_fields[0]), getter(time_fields[-1])
    instant = time_fields[0] == time_fields[-1]
    latest_plausible = now_ms + FUTURE_TOLERANCE_MS
    implausible: set[int] = set()
    reversed_: set[int] = set()
    out_of_order = 0
    latest = -math.inf
    for i, record in enumerate(records):
        start = read_start(record)
        end = start if instant else read_end(record)
        if not (
            (type(start) is int or _is_number(start)) and (type(end) is int or _is_number(end))
        ):
            continue  # a missing time is a completeness finding, not a temporal one
        if not (
            EARLIEST_PLAUSIBLE_MS <= start <= latest_plausible
            and EARLIEST_PLAUSIBLE_MS <= end <= latest_plausible
        ):
            implausible.add(i)
            continue
        if end < start:
            reversed_.add(i)
        if start < latest:
            out_of_order += 1
        latest = max(latest, start)
    findings = []
    n = len(records)
    if implausible:
        findings.append(
            excluding(
                Dimension.TEMPORAL,
                "implausible_timestamp",
                implausible,
                f"{len(implausible)} of {n} records are dated before 2000 or in the future",
            )
        )
    if reversed_:
        findings.append(
            excluding(
                Dimension.TEMPORAL,
                "end_before_start",
                reversed_,
                f"{len(reversed_)} of {n} records end before they start",
            )
        )
    if out_of_order:
        findings.append(
            Finding(
                Dimension.TEMPORAL,
                Severity.WARNING,
                "out_of_time_order",
                f"{out_of_order} of {n} records are out of time order",
                affected=out_of_order,
            )
        )
    return findings


MAX_RECORD_ID_LENGTH = 255
"""The longest ``metadata.id`` the record history indexes."""


def check_record_ids(records: Sequence[Record]) -> list[Finding]:
    read = getter("metadata.id")
    too_long = frozenset(
        i
        for i, record in enumerate(records)
        if isinstance(value := read(record), str) and len(value) > MAX_RECORD_ID_LENGTH
    )
    if not too_long:
        return []
    return [
        excluding(
            Dimension.SCHEMA,
            "record_id_too_long",
            too_long,
            f"{len(too_long)} of {len(records)} records have a metadata.id longer than "
            f"{MAX_RECORD_ID_LENGTH} characters",
        )
    ]


def generic_findings(batch: Batch, spec: RecordTypeSpec, now_ms: int) -> list[Finding]:
    records = batch.records
    if not records:
        return [
            Finding(
                Dimension.COMPLETENESS, Severity.BLOCKING, "no_records", "the file holds no records"
            )
        ]
    findings = [
        *check_required(records, spec.required_fields),
        *check_ranges(records, dict(spec.ranges)),
        *check_times(records, spec.time_fields, now_ms),
        *check_record_ids(records),
    ]
    excluded = frozenset().union(
        *(f.record_indices for f in findings if f.severity is Severity.ERROR)
    )
    if len(excluded) == len(records):
        findings.append(
            Finding(
                Dimension.COMPLETENESS,
                Severity.BLOCKING,
                "no_valid_records",
                "no record passed the required-field, range, time and id checks",
            )
        )
    return findings


@hookimpl
def etl_validate(batch: Batch, spec: RecordTypeSpec) -> list[Finding]:
    return generic_findings(batch, spec, now_ms=int(time.time() * 1000))
