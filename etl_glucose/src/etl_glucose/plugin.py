"""Hook implementations of the ``glucose`` plugin: declares BloodGlucoseRecord and turns its
batches into insights and a narrative. The work lives in the pure modules beside this one."""

from __future__ import annotations

from collections.abc import Sequence

from etl_core import (
    Batch,
    Dimension,
    Finding,
    ProcessResult,
    RecordTypeSpec,
    Severity,
    ValidationReport,
    hookimpl,
)
from etl_core.schemas import load_avsc
from etl_core.timeutil import readable_offset
from etl_glucose.analysis import analyse
from etl_glucose.narrative import narrative, summary
from etl_glucose.readings import series_from_records
from etl_glucose.rules import PLAUSIBLE_MG_DL

ETL_PLUGIN_API = "1"

RECORD_TYPE = "BloodGlucoseRecord"
HEALTH_DOMAIN = "metabolic_diabetes"

INSTRUCTIONS = (
    "Summarise these blood glucose readings for a clinician.",
    "Describe this glucose data: levels, time in range, variability and any glycaemic events.",
    "Review these glucose readings against the international consensus time-in-range targets.",
    "What do these glucose monitoring data show? Cover coverage, time in range and events.",
)


def glucose_spec() -> RecordTypeSpec:
    return RecordTypeSpec(
        name=RECORD_TYPE,
        health_domain=HEALTH_DOMAIN,
        reader_schema=load_avsc("etl_glucose", f"{RECORD_TYPE}.avsc"),
        required_fields=("metadata.id", "timeEpochMillis", "levelInMilligramsPerDeciliter"),
        ranges={"levelInMilligramsPerDeciliter": PLAUSIBLE_MG_DL},
        time_fields=("timeEpochMillis",),
        instructions=INSTRUCTIONS,
    )


@hookimpl
def etl_record_types() -> Sequence[RecordTypeSpec]:
    return [glucose_spec()]


@hookimpl
def etl_validate(batch: Batch, spec: RecordTypeSpec) -> Sequence[Finding] | None:
    if batch.record_type != RECORD_TYPE:
        return None
    unreadable = sum(
        1
        for record in batch.records
        if record.get("zoneOffsetId") is not None
        and readable_offset(record.get("zoneOffsetId")) is None
    )
    if not unreadable:
        return []
    return [
        Finding(
            dimension=Dimension.TEMPORAL,
            severity=Severity.WARNING,
            code="glucose_unreadable_zone_offset",
            message="zoneOffsetId is not a UTC offset; the user's zone or UTC is used instead",
            affected=unreadable,
        )
    ]


@hookimpl
def etl_process(
    batch: Batch, spec: RecordTypeSpec, validation: ValidationReport
) -> ProcessResult | None:
    if batch.record_type != RECORD_TYPE:
        return None
    series = series_from_records(batch.records)
    if not len(series):
        return None
    result = analyse(series, batch.user.timezone, excluded=len(validation.excluded_indices))
    return ProcessResult(
        narrative=narrative(result.insights),
        insights=result.insights,
        summary=summary(result.insights),
        events=result.event_counts,
        data_start=result.start,
        data_end=result.end,
    )
