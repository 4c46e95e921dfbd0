"""Windows built from export files the way core builds them, for plugin tests that call
``etl_process_window`` directly."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path

from etl_core.contract.model import Record, RecordTypeSpec, UserContext
from etl_core.contract.windows import (
    Window,
    WindowRule,
    build_window,
    newest_versions,
    record_span,
    window_days_of,
)
from etl_core.testing.fixtures import read_avro
from etl_core.testing.person import SyntheticExport


def records_of(record_type: str, exports: Iterable[Path | bytes | SyntheticExport]) -> list[Record]:
    """Every record of ``record_type`` in the exports (file names ``<RecordType>_...`` pick
    the type of paths and synthetic exports; raw bytes are taken as they are), all versions."""
    found: list[Record] = []
    for export in exports:
        if isinstance(export, SyntheticExport):
            if export.record_type == record_type:
                found.extend(read_avro(export.data))
        elif isinstance(export, Path):
            if export.name.split("_", 1)[0] == record_type:
                found.extend(read_avro(export))
        else:
            found.extend(read_avro(export))
    return found


def windows_from_exports(
    spec: RecordTypeSpec,
    rule: WindowRule,
    exports: Iterable[Path | bytes | SyntheticExport],
    *,
    user: UserContext | None = None,
) -> list[Window]:
    """Every window of ``rule`` that the exports' records of ``spec.name`` touch, each built
    from all of them (newest version of each record), in date order."""
    return windows_of_records(spec, rule, records_of(spec.name, exports), user=user)


def windows_of_records(
    spec: RecordTypeSpec,
    rule: WindowRule,
    records: Iterable[Record],
    *,
    user: UserContext | None = None,
) -> list[Window]:
    """Every window of ``rule`` that ``records`` of ``spec.name`` touch (several versions of a
    record allowed: the newest counts), each built from all of them, in date order."""
    person = user or UserContext()
    records = newest_versions(records)
    # Index records by the window days they touch, so that each window is built from its own
    # candidates rather than from every record (a year of CGM is 105k readings).
    by_day: dict[date, list[Record]] = defaultdict(list)
    first_days: set[date] = set()
    for record in records:
        span = record_span(record, spec.time_fields, person.timezone)
        if span is None:
            continue
        first_day = rule.window_day(span[0])
        last_day = (
            rule.window_day(span[1] - timedelta(milliseconds=1)) if span[1] > span[0] else first_day
        )
        day = first_day
        while day <= max(first_day, last_day):
            by_day[day].append(record)
            day += timedelta(days=1)
        first_days.update(window_days_of(rule, record, spec.time_fields, person.timezone))
    windows = []
    for first in sorted(first_days):
        candidates: dict[int, Record] = {}
        for offset in range(-rule.lookback_days, rule.days):
            for record in by_day.get(first + timedelta(days=offset), ()):
                candidates[id(record)] = record
        windows.append(
            build_window(
                spec.name,
                rule,
                first,
                list(candidates.values()),
                time_fields=spec.time_fields,
                user=person,
            )
        )
    return windows
