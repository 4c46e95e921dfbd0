"""A plugin whose processor raises, to prove a processor bug is a clean failure."""

from __future__ import annotations

from etl_core import Batch, ProcessResult, RecordTypeSpec, ValidationReport, hookimpl

ETL_PLUGIN_API = "1"


@hookimpl
def etl_record_types() -> list[RecordTypeSpec]:
    return [
        RecordTypeSpec(
            name="OxygenSaturationRecord",
            health_domain="vital_signs",
            reader_schema=None,
            time_fields=("timeEpochMillis",),
        )
    ]


@hookimpl
def etl_process(
    batch: Batch, spec: RecordTypeSpec, validation: ValidationReport
) -> ProcessResult | None:
    raise ZeroDivisionError("a bug in the processor")
