"""Windows built from export files the way core builds them, for plugin tests that call
``etl_process_window`` directly."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from etl_core.model import Record, RecordTypeSpec, UserContext
from etl_core.testing.fixtures import read_avro
from etl_core.testing.person import SyntheticExport
from etl_core.windows import Window, WindowRule, build_window, newest_versions, window_days_of


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
    person = user or UserContext()
    records = newest_versions(records_of(spec.name, exports))
    first_days = sorted(
        {
            day
            for record in records
            for day in window_days_of(rule, record, spec.time_fields, person.timezone)
        }
    )
    return [
        build_window(spec.name, rule, day, records, time_fields=spec.time_fields, user=person)
        for day in first_days
    ]
