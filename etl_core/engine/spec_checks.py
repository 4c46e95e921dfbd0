"""Start-up checks of what a plugin declares about its record types (``RecordTypeSpec``).

A wrong declaration does not fail loudly at run time: a time field that does not exist files
every example under the processing month, a range field that does not exist checks nothing, and
a range narrower than the body allows drops real readings. So core refuses, before any file is
read, a spec whose

- name is not a Health Connect record type name, or whose health domain is not a path segment;
- time fields are not one instant field or a start and an end field;
- time, required or range fields do not exist in its reader schema (dotted paths; ``[]``
  descends into arrays, as the generic checks read them), or whose time and range fields are
  not numbers there;
- ranges are not finite with ``low < high``, or reach outside what Health Connect itself
  accepts for that field (:data:`HEALTH_CONNECT_LIMITS`, where known: a range wider than that
  can only come from a unit mix-up).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from etl_core.contract.model import RecordTypeSpec, ValueRange

RECORD_TYPE_NAME = re.compile(r"[A-Z][A-Za-z0-9]*Record")
HEALTH_DOMAIN_NAME = re.compile(r"[a-z][a-z0-9_]*")
NUMERIC_TYPES = frozenset({"int", "long", "float", "double"})
EPOCH_TYPES = frozenset({"int", "long"})
_PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
_ITEMS = object()
"""A path step into every item of an array (``[]``)."""


@dataclass(frozen=True, slots=True)
class KnownLimit:
    """The values Health Connect accepts for one field, and where that is documented."""

    low: float
    high: float
    unit: str
    source: str


HEALTH_CONNECT_LIMITS: Mapping[tuple[str, str], KnownLimit] = {
    ("HeartRateRecord", "samples[].beatsPerMinute"): KnownLimit(
        1, 300, "bpm", "HeartRateRecord.Sample.beatsPerMinute: 'Validation range: 1-300'"
    ),
    ("HeartRateVariabilityRmssdRecord", "heartRateVariabilityRmssd"): KnownLimit(
        1,
        200,
        "ms",
        "HeartRateVariabilityRmssdRecord.heartRateVariabilityMillis: 'Valid Range: 1-200'",
    ),
    ("OxygenSaturationRecord", "percentage"): KnownLimit(
        0, 100, "%", "OxygenSaturationRecord.percentage: 'Valid range: 0-100'"
    ),
    ("BloodGlucoseRecord", "levelInMilligramsPerDeciliter"): KnownLimit(
        0,
        900,
        "mg/dL",
        "BloodGlucoseRecord.level: 0-50 mmol/L (MAX_BLOOD_GLUCOSE_LEVEL), and Health "
        "Connect's BloodGlucose unit converts 1 mmol/L = 18 mg/dL",
    ),
    ("BloodPressureRecord", "systolicInMillimetersOfMercury"): KnownLimit(
        20, 200, "mmHg", "BloodPressureRecord.systolic: 'Valid range: 20-200 mmHg'"
    ),
    ("BloodPressureRecord", "diastolicInMillimetersOfMercury"): KnownLimit(
        10, 180, "mmHg", "BloodPressureRecord.diastolic: 'Valid range: 10-180 mmHg'"
    ),
    ("StepsRecord", "count"): KnownLimit(
        0,
        1_000_000,
        "steps",
        "StepsRecord.count: documented 'Valid range: 1-1000000', but the client library only "
        "requires 0 <= count <= 1,000,000 (requireNonNegative), and exporters write empty "
        "intervals with 0",
    ),
    ("ActiveCaloriesBurnedRecord", "energyInKilocalories"): KnownLimit(
        0, 1_000_000, "kcal", "ActiveCaloriesBurnedRecord.energy: 'Valid range: 0-1000000 kcal'"
    ),
    ("RespiratoryRateRecord", "rate"): KnownLimit(
        0, 1000, "breaths/min", "RespiratoryRateRecord.rate: 'Valid range: 0-1000'"
    ),
}
"""Health Connect's own limits (androidx.health.connect.client.records reference docs), by
record type and the exporter's field path. Values outside them cannot be stored in Health
Connect, so a declared range must lie inside them."""


def path_steps(path: str) -> list[str | object]:
    """``samples[].beatsPerMinute`` -> ``["samples", _ITEMS, "beatsPerMinute"]``."""
    steps: list[str | object] = []
    for part in path.split("."):
        name = part
        items = 0
        while name.endswith("[]"):
            name = name[:-2]
            items += 1
        if name:
            steps.append(name)
        steps.extend([_ITEMS] * items)
    return steps


def _named_types(schema: Any, found: dict[str, Any], namespace: str = "") -> dict[str, Any]:
    """Every named type (record, enum, fixed) of a schema, by short and full name, so that a
    later reference by name resolves."""
    if isinstance(schema, list):
        for branch in schema:
            _named_types(branch, found, namespace)
    elif isinstance(schema, Mapping):
        kind = schema.get("type")
        name = schema.get("name")
        space = str(schema.get("namespace", namespace) or "")
        if kind in {"record", "error", "enum", "fixed"} and isinstance(name, str):
            short = name.rsplit(".", 1)[-1]
            full = name if "." in name else (f"{space}.{name}" if space else name)
            found.setdefault(short, schema)
            found.setdefault(full, schema)
        for item in schema.get("fields", []) or []:
            if isinstance(item, Mapping):
                _named_types(item.get("type"), found, space)
        for key in ("items", "values"):
            if key in schema:
                _named_types(schema[key], found, space)
        if isinstance(kind, list | Mapping):
            _named_types(kind, found, space)
    return found


def _branches(schema: Any, names: Mapping[str, Any]) -> Iterator[Any]:
    """The concrete non-null types a schema position can hold (unions opened, names
    resolved, ``{"type": "long", ...}`` unwrapped)."""
    if isinstance(schema, list):
        for branch in schema:
            yield from _branches(branch, names)
    elif isinstance(schema, str):
        if schema == "null":
            return
        if schema in _PRIMITIVES:
            yield schema
        elif schema in names:
            yield names[schema]
        else:
            short = schema.rsplit(".", 1)[-1]
            if short in names:
                yield names[short]
    elif isinstance(schema, Mapping):
        kind = schema.get("type")
        if isinstance(kind, str) and kind in _PRIMITIVES:
            if kind != "null":
                yield kind
        elif isinstance(kind, list | Mapping):
            yield from _branches(kind, names)
        else:
            yield schema


def field_types(schema: Mapping[str, Any], path: str) -> list[Any] | None:
    """The Avro types that ``path`` reaches in ``schema`` (primitive names, or the complex
    type's dict), or ``None`` when no such field exists."""
    names = _named_types(schema, {})
    current: list[Any] = [schema]
    for step in path_steps(path):
        reached: list[Any] = []
        for position in current:
            for branch in _branches(position, names):
                if not isinstance(branch, Mapping):
                    continue
                if step is _ITEMS:
                    if branch.get("type") == "array":
                        reached.append(branch.get("items"))
                elif branch.get("type") in {"record", "error"}:
                    reached.extend(
                        item.get("type")
                        for item in branch.get("fields", []) or []
                        if isinstance(item, Mapping) and item.get("name") == step
                    )
        if not reached:
            return None
        current = reached
    return [branch for position in current for branch in _branches(position, names)]


def _type_names(types: list[Any]) -> set[str]:
    return {t if isinstance(t, str) else str(t.get("type")) for t in types}


def _range_problem(record_type: str, path: str, allowed: Any) -> str | None:
    if not isinstance(allowed, ValueRange):
        return f"range of {path} is a {type(allowed).__name__}, not an etl_core.ValueRange"
    low, high = allowed.low, allowed.high
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (low, high))
    if not numbers or not (math.isfinite(low) and math.isfinite(high)):
        return f"range of {path} must have finite numeric low and high"
    if not low < high:
        return f"range of {path} is empty or inverted (low {low:g} must be below high {high:g})"
    known = HEALTH_CONNECT_LIMITS.get((record_type, path))
    if known is not None and (low < known.low or high > known.high):
        declared = f"{low:g}-{high:g} {allowed.unit}".rstrip()
        return (
            f"range of {path} ({declared}) reaches outside what Health Connect accepts "
            f"({known.low:g}-{known.high:g} {known.unit}; {known.source}); check the unit"
        )
    return None


def spec_problems(spec: object) -> list[str]:
    """What is wrong with one declared spec, one short sentence each (empty when nothing);
    each names the field concerned."""
    if not isinstance(spec, RecordTypeSpec):
        kind = type(spec).__name__
        return [f"etl_record_types returned a {kind}, not an etl_core.RecordTypeSpec"]
    problems: list[str] = []
    if not isinstance(spec.name, str) or not RECORD_TYPE_NAME.fullmatch(spec.name):
        problems.append(
            f"name {spec.name!r} is not a Health Connect record type name (like "
            "BloodPressureRecord)"
        )
    if not isinstance(spec.health_domain, str) or not HEALTH_DOMAIN_NAME.fullmatch(
        spec.health_domain
    ):
        problems.append(
            f"health_domain {spec.health_domain!r} must be lower case letters, digits and "
            "underscores (it names the training-data folder)"
        )
    for attribute in ("time_fields", "required_fields", "instructions"):
        value = getattr(spec, attribute)
        if isinstance(value, str) or not all(isinstance(v, str) for v in value):
            problems.append(f"{attribute} must be a tuple of strings, not {value!r}")
    if problems:
        return problems
    if len(spec.time_fields) not in {1, 2}:
        problems.append(
            f"time_fields {tuple(spec.time_fields)!r} must name one instant field or a start "
            "and an end field"
        )
    problems.extend(
        f"time field {path} must be a top-level field of the record (no '.' or '[]')"
        for path in spec.time_fields
        if "." in path or "[]" in path
    )
    if not isinstance(spec.ranges, Mapping):
        return [*problems, "ranges must be a mapping of field path to ValueRange"]
    for path, allowed in spec.ranges.items():
        problem = _range_problem(spec.name, path, allowed)
        if problem:
            problems.append(problem)
    schema = spec.reader_schema
    if schema is None:
        return problems
    declared = [
        *(("time field", f, EPOCH_TYPES) for f in spec.time_fields),
        *(("required field", f, None) for f in spec.required_fields),
        *(("range field", f, NUMERIC_TYPES) for f in spec.ranges),
    ]
    for role, path, kinds in declared:
        types = field_types(schema, path)
        if types is None:
            problems.append(f"{role} {path} does not exist in the reader schema")
        elif kinds is not None and not (_type_names(types) & kinds):
            found = "/".join(sorted(_type_names(types))) or "null"
            wanted = "int or long (epoch milliseconds)" if kinds is EPOCH_TYPES else "a number"
            problems.append(f"{role} {path} is {found} in the reader schema, not {wanted}")
    return problems
