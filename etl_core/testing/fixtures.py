"""Avro fixtures and batches for tests."""

from __future__ import annotations

import hashlib
import io
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import fastavro

from etl_core.contract.model import Batch, Record, SourceRef, UserContext

_SAMPLES_RELATIVE = Path("shared") / "samples" / "health-connect"


def real_samples_dir() -> Path | None:
    """The folder of real Health Connect exports (``../shared/samples/health-connect`` beside
    the checkout), or ``None`` when it is not there. ``ETL_SAMPLES_DIR`` overrides the search."""
    override = os.environ.get("ETL_SAMPLES_DIR")
    if override:
        path = Path(override)
        return path if path.is_dir() else None
    starts = [Path.cwd().resolve(), Path(__file__).resolve()]
    for start in starts:
        for ancestor in [start, *start.parents]:
            candidate = ancestor / _SAMPLES_RELATIVE
            if candidate.is_dir():
                return candidate
    return None


def real_samples(record_type: str | None = None) -> list[Path]:
    """The real export files, optionally only those of one record type, sorted by name."""
    folder = real_samples_dir()
    if folder is None:
        return []
    files = sorted(folder.glob("*.avro"))
    if record_type is not None:
        files = [f for f in files if f.name.split("_", 1)[0] == record_type]
    return files


def synthetic_samples(record_type: str | None = None) -> list[Path]:
    """The checkout's generated exports (``samples/health-connect``), optionally of one record
    type, sorted by name; empty outside a checkout."""
    for start in (Path.cwd().resolve(), Path(__file__).resolve()):
        for ancestor in [start, *start.parents]:
            folder = ancestor / "samples" / "health-connect"
            if folder.is_dir():
                files = sorted(folder.glob("*.avro"))
                if record_type is not None:
                    files = [f for f in files if f.name.split("_", 1)[0] == record_type]
                return files
    return []


def export_sample(record_type: str) -> bytes:
    """One export of ``record_type``: a real one when the real samples are beside the
    checkout, else the checkout's synthetic one."""
    files = real_samples(record_type) or synthetic_samples(record_type)
    if not files:
        raise FileNotFoundError(f"no real or synthetic {record_type} export found")
    return files[0].read_bytes()


def read_avro(source: Path | bytes) -> list[dict[str, Any]]:
    """All records of an Avro container file, decoded with its own writer schema."""
    data = source.read_bytes() if isinstance(source, Path) else source
    return list(fastavro.reader(io.BytesIO(data)))  # type: ignore[arg-type]


def write_avro(
    schema: Mapping[str, Any],
    records: Iterable[Mapping[str, Any]],
    codec: str = "null",
    sync_marker: bytes | None = None,
) -> bytes:
    """An Avro object-container file holding ``records`` written with ``schema``. A fixed
    ``sync_marker`` (16 bytes) makes the bytes reproducible. Raises ``ValueError`` naming the
    first record that does not fit the schema, and where."""
    buffer = io.BytesIO()
    parsed = fastavro.parse_schema(dict(schema))
    rows = list(records)
    try:
        if sync_marker is None:
            fastavro.writer(buffer, parsed, rows, codec=codec)
        else:
            fastavro.writer(buffer, parsed, rows, codec=codec, sync_marker=sync_marker)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ValueError(_misfit(parsed, rows) or f"cannot write the records: {exc}") from exc
    return buffer.getvalue()


def _why(error: Any) -> str:
    """One validation error as a field path and what it holds, without the namespace and the
    whole expected schema fastavro's own text prints."""
    parts = str(getattr(error, "field", "?")).split(".")
    path = ".".join(parts[-2:])
    datum = getattr(error, "datum", None)
    if datum is None:
        return f"{path} is missing (or null) and has no default"
    return f"{path} holds a {type(datum).__name__}, which its schema type does not accept"


def _misfit(parsed: Any, rows: Sequence[Mapping[str, Any]]) -> str | None:
    """Which record does not fit the schema, and where (fastavro's validator finds it)."""
    from fastavro.validation import ValidationError, validate

    for index, row in enumerate(rows):
        try:
            validate(row, parsed, raise_errors=True)
        except ValidationError as exc:
            why = "; ".join(_why(error) for error in getattr(exc, "errors", ())) or str(exc)
            return f"record {index} does not fit the schema: {why}"
    return None


HEALTH_CONNECT_TYPES = (
    "ActiveCaloriesBurnedRecord",
    "BloodGlucoseRecord",
    "HeartRateRecord",
    "HeartRateVariabilityRmssdRecord",
    "SleepSessionRecord",
    "StepsRecord",
)
"""The record types whose exporter schema ships with etl-core (:func:`health_connect_schema`)
and whose records the contract suite shows every plugin that does not own them."""


def health_connect_schema(record_type: str) -> dict[str, Any]:
    """The writer schema the Health Connect exporter uses for ``record_type`` (one of
    :data:`HEALTH_CONNECT_TYPES`), as found in real exports."""
    if record_type not in HEALTH_CONNECT_TYPES:
        raise KeyError(f"no exporter schema for {record_type}")
    text = resources.files("etl_core.testing").joinpath(f"schemas/{record_type}.avsc").read_text()
    schema: dict[str, Any] = json.loads(text)
    return schema


def write_health_connect(
    record_type: str, records: Iterable[Mapping[str, Any]], sync_marker: bytes | None = None
) -> bytes:
    """An export file as the Health Connect exporter writes it."""
    return write_avro(health_connect_schema(record_type), records, sync_marker=sync_marker)


def make_metadata(
    record_id: str,
    origin: str = "com.example.health",
    last_modified_ms: int = 1_758_400_000_000,
    device_type: str | None = None,
) -> dict[str, Any]:
    """A Health Connect ``metadata`` block as the exporter writes it."""
    return {
        "id": record_id,
        "dataOriginPackageName": origin,
        "lastModifiedTimeEpochMillis": last_modified_ms,
        "clientRecordId": None,
        "clientRecordVersion": 0,
        "device": {"manufacturer": None, "model": None, "type": device_type},
    }


_SYNTHETIC_START_MS = 1_758_355_200_000  # 2025-09-20T08:00:00Z
_MINUTE_MS = 60_000


def _synthetic_record(record_type: str, i: int) -> dict[str, Any]:
    """Record ``i`` of a plausible, deterministic series of ``record_type``: ten minutes apart,
    from one phone app, in an offset of -05:00."""
    start = _SYNTHETIC_START_MS + i * 10 * _MINUTE_MS
    common: dict[str, Any] = {
        "metadata": make_metadata(
            f"synthetic-{record_type}-{i}", origin="com.example.synthetic", last_modified_ms=start
        ),
        "appRecordFetchTimeEpochMillis": _SYNTHETIC_START_MS + 86_400_000,
    }
    instant = {**common, "timeEpochMillis": start, "zoneOffsetId": "-05:00"}
    interval = {
        **common,
        "startTimeEpochMillis": start,
        "endTimeEpochMillis": start + 9 * _MINUTE_MS,
        "startZoneOffsetId": "-05:00",
        "endZoneOffsetId": "-05:00",
    }
    if record_type == "BloodGlucoseRecord":
        return {
            **instant,
            "levelInMilligramsPerDeciliter": 96.0 + (i * 7) % 40,
            "specimenSource": "INTERSTITIAL_FLUID",
            "mealType": "UNKNOWN",
            "relationToMeal": "UNKNOWN",
        }
    if record_type == "HeartRateVariabilityRmssdRecord":
        return {**instant, "heartRateVariabilityRmssd": 30.0 + (i * 3) % 25}
    if record_type == "HeartRateRecord":
        samples = [
            {"timeEpochMillis": start + m * _MINUTE_MS, "beatsPerMinute": 62 + (i + m) % 15}
            for m in range(10)
        ]
        return {**interval, "samples": samples}
    if record_type == "StepsRecord":
        return {**interval, "count": 300 + (i * 37) % 500}
    if record_type == "ActiveCaloriesBurnedRecord":
        return {**interval, "energyInKilocalories": 12.5 + (i * 3) % 20}
    if record_type == "SleepSessionRecord":
        night = _SYNTHETIC_START_MS - 86_400_000 * (i + 1) - 6 * 3_600_000
        stages = [
            {
                "startTimeEpochMillis": night + k * 90 * _MINUTE_MS,
                "endTimeEpochMillis": night + (k + 1) * 90 * _MINUTE_MS,
                "stage": ("LIGHT", "DEEP", "REM", "LIGHT", "AWAKE")[k],
            }
            for k in range(5)
        ]
        return {
            **common,
            "title": None,
            "notes": None,
            "startTimeEpochMillis": night,
            "endTimeEpochMillis": night + 450 * _MINUTE_MS,
            "startZoneOffsetId": "-05:00",
            "endZoneOffsetId": "-05:00",
            "durationMillis": 450 * _MINUTE_MS,
            "stages": stages,
        }
    raise KeyError(f"no synthetic records for {record_type}; choose one of HEALTH_CONNECT_TYPES")


def synthetic_records(record_type: str, count: int = 12) -> list[dict[str, Any]]:
    """``count`` plausible records of one of :data:`HEALTH_CONNECT_TYPES`, shaped exactly as the
    exporter writes them (they round-trip through :func:`health_connect_schema`). Deterministic;
    for tests that need records of a type, not clinical realism."""
    return [_synthetic_record(record_type, i) for i in range(count)]


def export_records(record_type: str) -> list[dict[str, Any]]:
    """The records of one export of ``record_type`` (one of :data:`HEALTH_CONNECT_TYPES`): a real
    export when the real samples are beside the checkout, else the checkout's synthetic export,
    else :func:`synthetic_records` (so it works in any folder)."""
    files = real_samples(record_type) or synthetic_samples(record_type)
    if files:
        return read_avro(files[0])
    return synthetic_records(record_type)


def build_batch(
    record_type: str,
    records: Sequence[Record],
    *,
    user: UserContext | None = None,
    key: str | None = None,
    correlation_id: str = "test-correlation",
) -> Batch:
    """A batch as the pipeline would hand it to hooks, without going through decode."""
    digest = hashlib.sha256(repr(list(records)).encode()).hexdigest()
    return Batch(
        record_type=record_type,
        records=list(records),
        source=SourceRef(
            bucket="local", key=key or f"{record_type}_test.avro", size_bytes=0, sha256=digest
        ),
        correlation_id=correlation_id,
        user=user or UserContext(),
    )
