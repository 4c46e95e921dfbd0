"""A plugin whose validator raises, to prove a validation bug is a clean failure naming the
plugin and the hook. It owns RespiratoryRateRecord: core asks only an owner to validate."""

from __future__ import annotations

from etl_core import Batch, Finding, RecordTypeSpec, hookimpl

ETL_PLUGIN_API = "1"


@hookimpl
def etl_record_types() -> list[RecordTypeSpec]:
    return [
        RecordTypeSpec(
            name="RespiratoryRateRecord",
            health_domain="vital_signs",
            reader_schema=None,
            time_fields=("timeEpochMillis",),
        )
    ]


@hookimpl
def etl_validate(batch: Batch, spec: RecordTypeSpec) -> list[Finding] | None:
    raise KeyError("a bug in the validator at reading 97")
