"""Hook implementations of the ``bloodpressure`` plugin: it declares BloodPressureRecord,
adds the checks specific to blood pressure, turns each local day and ISO week of a person's
readings into training examples (``etl_windows``, ``etl_process_window``) and one upload into
insights and a narrative (``etl_process``, used only by a pipeline without a record history).
The work lives in the pure modules beside this one.

Core imports this module at start-up and asks it only for its spec and windows there, so the
processing modules are imported inside the hooks that use them: ``etl plugins`` and start-up
never load the analysis."""

from __future__ import annotations

from collections.abc import Sequence

from etl_core import (
    Batch,
    Dimension,
    ExampleKind,
    Finding,
    ProcessResult,
    RecordTypeSpec,
    Severity,
    ValidationReport,
    ValueRange,
    Window,
    WindowRule,
    hookimpl,
)
from etl_core.contract.schemas import load_avsc

from etl_bloodpressure.readings import DIASTOLIC, SYSTOLIC, is_inverted, usable_offset
from etl_bloodpressure.window_rules import WINDOW_RULES

ETL_PLUGIN_API = "1.1"

RECORD_TYPE = "BloodPressureRecord"
HEALTH_DOMAIN = "vital_signs"

# Health Connect refuses to store values outside these limits (BloodPressureRecord docs).
SYSTOLIC_RANGE = ValueRange(20.0, 200.0, "mmHg")
DIASTOLIC_RANGE = ValueRange(10.0, 180.0, "mmHg")

INSTRUCTIONS = (
    "Summarise these blood pressure readings for a clinician.",
    "Describe these home blood pressure readings using the 2017 ACC/AHA categories.",
    "What do these blood pressure measurements show?",
)
INSTRUCTIONS_BY_KIND: dict[str, Sequence[str]] = {
    ExampleKind.SUMMARY: INSTRUCTIONS,
    ExampleKind.NOTE: (
        "Explain these blood pressure readings to me in plain words.",
        "What do my home blood pressure readings say? Keep it simple.",
        "Write me a short note about my blood pressure over this period.",
    ),
}


def blood_pressure_spec() -> RecordTypeSpec:
    return RecordTypeSpec(
        name=RECORD_TYPE,
        health_domain=HEALTH_DOMAIN,
        reader_schema=load_avsc("etl_bloodpressure", f"{RECORD_TYPE}.avsc"),
        required_fields=("metadata.id", "timeEpochMillis", SYSTOLIC, DIASTOLIC),
        ranges={SYSTOLIC: SYSTOLIC_RANGE, DIASTOLIC: DIASTOLIC_RANGE},
        time_fields=("timeEpochMillis",),
        instructions=INSTRUCTIONS,
        instructions_by_kind=INSTRUCTIONS_BY_KIND,
    )


@hookimpl
def etl_record_types() -> Sequence[RecordTypeSpec]:
    return [blood_pressure_spec()]


@hookimpl
def etl_windows(spec: RecordTypeSpec) -> Sequence[WindowRule] | None:
    if spec.name != RECORD_TYPE:
        return None
    return list(WINDOW_RULES)


@hookimpl
def etl_process_window(window: Window, spec: RecordTypeSpec) -> ProcessResult | None:
    if window.record_type != RECORD_TYPE:
        return None
    from etl_bloodpressure.windows import window_result

    return window_result(window)


@hookimpl
def etl_validate(batch: Batch, spec: RecordTypeSpec) -> Sequence[Finding] | None:
    if batch.record_type != RECORD_TYPE:
        return None
    findings = []
    inverted = frozenset(i for i, record in enumerate(batch.records) if is_inverted(record))
    if inverted:
        findings.append(
            Finding(
                Dimension.PHYSIOLOGICAL,
                Severity.ERROR,
                "bp_diastolic_not_below_systolic",
                f"{len(inverted)} of {len(batch.records)} readings have a diastolic value at or "
                "above the systolic value",
                affected=len(inverted),
                record_indices=inverted,
            )
        )
    unreadable = sum(
        1
        for record in batch.records
        if record.get("zoneOffsetId") is not None
        and usable_offset(record.get("zoneOffsetId")) is None
    )
    if unreadable:
        findings.append(
            Finding(
                Dimension.TEMPORAL,
                Severity.WARNING,
                "bp_unreadable_zone_offset",
                "zoneOffsetId is not a UTC offset; the user's zone or UTC is used instead",
                affected=unreadable,
            )
        )
    return findings


@hookimpl
def etl_process(
    batch: Batch, spec: RecordTypeSpec, validation: ValidationReport
) -> ProcessResult | None:
    if batch.record_type != RECORD_TYPE:
        return None
    from etl_bloodpressure.analysis import analyse
    from etl_bloodpressure.narrative import narrative, summary
    from etl_bloodpressure.readings import readings_from_records

    readings = readings_from_records(batch.records)
    if not readings:
        return None
    result = analyse(readings, batch.user.timezone, excluded=len(validation.excluded_indices))
    return ProcessResult(
        narrative=narrative(result.insights),
        insights=result.insights,
        summary=summary(result.insights),
        events={"hypertensive_crisis_reading": result.crisis_readings}
        if result.crisis_readings
        else {},
        data_start=result.start,
        data_end=result.end,
    )
