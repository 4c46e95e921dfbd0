"""A small plugin used by core's tests: BodyTemperatureRecord, owned by nobody real."""

from __future__ import annotations

from etl_core import (
    Batch,
    ProcessResult,
    RecordTypeSpec,
    ValidationReport,
    ValueRange,
    hookimpl,
)

ETL_PLUGIN_API = "1"

SCHEMA = {
    "type": "record",
    "name": "AvroBodyTemperatureRecord",
    "namespace": "io.github.hitoshura25.healthsyncapp.data.avro",
    "fields": [
        {
            "name": "metadata",
            "type": {
                "type": "record",
                "name": "AvroMetadata",
                "fields": [
                    {"name": "id", "type": "string"},
                    {"name": "dataOriginPackageName", "type": "string"},
                    {"name": "lastModifiedTimeEpochMillis", "type": "long"},
                    {"name": "clientRecordId", "type": ["null", "string"], "default": None},
                    {"name": "clientRecordVersion", "type": "long"},
                    {
                        "name": "device",
                        "default": None,
                        "type": [
                            "null",
                            {
                                "type": "record",
                                "name": "AvroDevice",
                                "fields": [
                                    {
                                        "name": "manufacturer",
                                        "type": ["null", "string"],
                                        "default": None,
                                    },
                                    {"name": "model", "type": ["null", "string"], "default": None},
                                    {"name": "type", "type": ["null", "string"], "default": None},
                                ],
                            },
                        ],
                    },
                ],
            },
        },
        {"name": "timeEpochMillis", "type": "long"},
        {"name": "zoneOffsetId", "type": ["null", "string"], "default": None},
        {"name": "temperatureInCelsius", "type": ["null", "double"], "default": None},
        {"name": "appRecordFetchTimeEpochMillis", "type": "long"},
    ],
}

SPEC = RecordTypeSpec(
    name="BodyTemperatureRecord",
    health_domain="vital_signs",
    reader_schema=SCHEMA,
    required_fields=("metadata.id", "timeEpochMillis", "temperatureInCelsius"),
    ranges={"temperatureInCelsius": ValueRange(30.0, 45.0, "°C")},
    time_fields=("timeEpochMillis",),
    instructions=("Summarise my temperature readings.", "What do my temperatures show?"),
)


@hookimpl
def etl_record_types() -> list[RecordTypeSpec]:
    return [SPEC]


@hookimpl
def etl_process(
    batch: Batch, spec: RecordTypeSpec, validation: ValidationReport
) -> ProcessResult | None:
    if batch.record_type != SPEC.name:
        return None
    values = [r["temperatureInCelsius"] for r in batch.records]
    mean = round(sum(values) / len(values), 1)
    insights = {"readings": len(values), "mean_celsius": mean}
    return ProcessResult(
        narrative=f"{len(values)} temperature readings averaged {mean} °C.",
        insights=insights,
        summary=f"{len(values)} readings",
    )
