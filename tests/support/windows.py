"""The windows a set of export files should give, computed here from their raw records (the
newest version of each, local time from the records' own offsets or the person's inferred
ones), for tests that check what ``etl run`` or the worker wrote."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from etl_core.contract.model import UserContext
from etl_core.contract.timeutil import HOUR_MS, PersonZone, parse_offset
from etl_core.contract.windows import (
    FALLBACK_RULES,
    Window,
    build_window,
    newest_versions,
    window_days_of,
)
from etl_core.engine.registry import PluginRegistry, generic_spec
from etl_core.engine.window_stage import record_set_fingerprint
from etl_core.testing import read_avro

OFFSET_FIELDS = {
    "timeEpochMillis": "zoneOffsetId",
    "startTimeEpochMillis": "startZoneOffsetId",
    "endTimeEpochMillis": "endZoneOffsetId",
}


def records_by_type(paths: Iterable[Path]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for path in paths:
        found[path.name.split("_", 1)[0]].extend(read_avro(path))
    return dict(found)


def person_zone(records: dict[str, list[dict[str, Any]]]) -> PersonZone:
    """The person's clock from every record that carries an offset."""
    observations = set()
    for items in records.values():
        for record in items:
            for field, offset_field in OFFSET_FIELDS.items():
                instant, offset = record.get(field), record.get(offset_field)
                zone = parse_offset(offset) if isinstance(offset, str) else None
                if isinstance(instant, int) and zone is not None:
                    delta = zone.utcoffset(None)
                    assert delta is not None
                    observations.add((instant // HOUR_MS, int(delta.total_seconds() // 60)))
    return PersonZone(observations)


def expected_windows(
    paths: Iterable[Path], registry: PluginRegistry
) -> dict[tuple[str, str], Window]:
    """(record type, window key) -> the window core should build, for every window that holds
    a record."""
    records = records_by_type(paths)
    zone = person_zone(records)
    windows: dict[tuple[str, str], Window] = {}
    for record_type, items in records.items():
        distinct = newest_versions(items)
        plan = registry.window_plan.get(record_type)
        if plan is None:
            spec = generic_spec(record_type, _schema_fields(items))
            rules, fields = FALLBACK_RULES, tuple(spec.time_fields)
        else:
            rules, fields = plan.rules, plan.time_fields
        for rule in rules:
            days = {d for r in distinct for d in window_days_of(rule, r, fields, zone)}
            for day in days:
                window = build_window(
                    record_type,
                    rule,
                    day,
                    distinct,
                    time_fields=fields,
                    user=UserContext(timezone=zone),
                )
                windows[(record_type, window.key)] = window
    return windows


def fingerprint(window: Window) -> str:
    return record_set_fingerprint(window)


def _schema_fields(records: list[dict[str, Any]]) -> dict[str, Any]:
    names = set().union(*(record.keys() for record in records)) if records else set()
    return {"fields": [{"name": name} for name in sorted(names)]}
