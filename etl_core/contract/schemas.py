"""Loading the Avro reader schemas that plugins ship as ``.avsc`` package data."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

__all__ = [
    "load_avsc",
    "record_type_from_schema_name",
]


def load_avsc(package: str, filename: str) -> dict[str, Any]:
    """Parse ``filename`` shipped inside ``package`` (e.g. ``load_avsc("etl_glucose",
    "BloodGlucoseRecord.avsc")``)."""
    text = resources.files(package).joinpath(filename).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def record_type_from_schema_name(name: str) -> str | None:
    """``io.github...avro.AvroBloodGlucoseRecord`` -> ``BloodGlucoseRecord``; ``None`` when the
    name does not follow the exporter's ``Avro<RecordType>`` convention."""
    short = name.rsplit(".", 1)[-1]
    if short.startswith("Avro") and len(short) > 4:
        return short[4:]
    return None
