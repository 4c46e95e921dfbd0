"""Hook implementations of the ``glucose`` plugin: declares BloodGlucoseRecord and turns its
batches into insights and a narrative. The work lives in the pure modules beside this one.

Core imports this module at start-up and asks it only for its spec and windows there, so the
processing modules are imported inside the hooks that use them: ``etl plugins`` and start-up
never load the analysis."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from etl_core import (
    Batch,
    Chart,
    Dimension,
    ExampleKind,
    Finding,
    ProcessResult,
    RecordTypeSpec,
    Severity,
    ValidationReport,
    Window,
    WindowRule,
    hookimpl,
)
from etl_core.contract.schemas import load_avsc
from etl_core.contract.timeutil import readable_offset
from etl_glucose.rules import DEFAULT_RULES, PLAUSIBLE_MG_DL, GlucoseRules
from etl_glucose.window_rules import DAY_RULE, REPORT_RULE

ETL_PLUGIN_API = "1.5"

RECORD_TYPE = "BloodGlucoseRecord"
HEALTH_DOMAIN = "metabolic_diabetes"

INSTRUCTIONS = (
    "Summarise these blood glucose readings for a clinician.",
    "Describe this glucose data: levels, time in range, variability and any glycaemic events.",
    "Review these glucose readings against the international consensus time-in-range targets.",
    "What do these glucose monitoring data show? Cover coverage, time in range and events.",
)


INSTRUCTIONS_BY_KIND = {
    ExampleKind.SUMMARY.value: (
        "Summarise this continuous glucose monitoring data for a clinician.",
        "Write a clinical summary of these CGM findings.",
        "As a diabetes clinician, summarise what this glucose window shows and what it cannot.",
        "Give a concise clinical read of this glucose data: coverage, levels, ranges and events.",
        "Review this CGM window for the care team.",
        "Summarise the glycaemic findings below for a clinician's notes.",
        "What should a clinician take from this glucose monitoring window?",
        "Write the clinician's summary for this period of CGM data.",
        "Prepare a short clinical summary of these glucose readings, including their limits.",
    ),
    ExampleKind.NOTE.value: (
        "Write a short, friendly note to me about my glucose.",
        "Explain my glucose data to me in plain language.",
        "How did my glucose look? Tell me like a coach would.",
        "Write me a plain-language note about these CGM results.",
        "Summarise my glucose for me, without jargon.",
        "Give me a personal note on what my sensor data show.",
        "In simple words, how was my glucose in this period?",
        "Talk me through my glucose readings.",
        "Write an encouraging, honest note about my glucose data.",
    ),
    ExampleKind.COMPARISON.value: (
        "Compare this glucose window with the previous one.",
        "How does my glucose in this period compare with the one before?",
        "What changed in the CGM figures since the previous 14 days?",
        "Compare these two weeks of glucose data with the two weeks before.",
        "Describe the differences from the previous CGM report window.",
        "Set this CGM report against the previous one.",
        "How do these glucose figures differ from the last report?",
        "Compare time in range, mean glucose and variability with the previous window.",
    ),
}
"""At least eight phrasings per kind; core picks one per example from its content."""


def reference_values(rules: GlucoseRules = DEFAULT_RULES) -> dict[str, float]:
    """Fixed figures an output may state that are not the person's data."""
    values: dict[str, float] = {
        "very_low_mg_dl": rules.very_low,
        "low_mg_dl": rules.low,
        "high_mg_dl": rules.high,
        "very_high_mg_dl": rules.very_high,
        "tir_target_percent": rules.tir_target_above,
        "tbr70_target_percent": rules.tbr70_target_below,
        "tbr54_target_percent": rules.tbr54_target_below,
        "tar180_target_percent": rules.tar180_target_below,
        "tar250_target_percent": rules.tar250_target_below,
        "cv_target_percent": rules.cv_target_at_most,
        "event_minutes": rules.event_minutes,
        "extended_hypo_minutes": rules.extended_hypo_minutes,
        "report_days": rules.report_days,
        "sufficiency_wear_percent": rules.sufficiency_wear_percent,
        "sensor_gap_hours": rules.sensor_gap_minutes / 60,
        "overnight_start_hour": rules.overnight_start_hour,
        "overnight_end_hour": rules.overnight_end_hour,
    }
    for percent in rules.agp_percentiles:
        values[f"agp_percentile_{percent}"] = percent
    return values


def glucose_spec() -> RecordTypeSpec:
    return RecordTypeSpec(
        name=RECORD_TYPE,
        health_domain=HEALTH_DOMAIN,
        reader_schema=load_avsc("etl_glucose", f"{RECORD_TYPE}.avsc"),
        required_fields=("metadata.id", "timeEpochMillis", "levelInMilligramsPerDeciliter"),
        ranges={"levelInMilligramsPerDeciliter": PLAUSIBLE_MG_DL},
        time_fields=("timeEpochMillis",),
        instructions=INSTRUCTIONS,
        instructions_by_kind=INSTRUCTIONS_BY_KIND,
        reference_values=reference_values(),
    )


@hookimpl
def etl_record_types() -> Sequence[RecordTypeSpec]:
    return [glucose_spec()]


@hookimpl
def etl_windows(spec: RecordTypeSpec) -> Sequence[WindowRule] | None:
    """A local day, and the 14-day consensus report window ending on each Sunday (with the 14
    days before it, for the comparison with the previous report window)."""
    if spec.name != RECORD_TYPE:
        return None
    return [DAY_RULE, REPORT_RULE]


@hookimpl
def etl_process_window(window: Window, spec: RecordTypeSpec) -> ProcessResult | None:
    if window.record_type != RECORD_TYPE:
        return None
    from etl_glucose.window_process import process_window

    return process_window(window)


@hookimpl
def etl_review_charts(
    window: Window, insights: Mapping[str, Any], spec: RecordTypeSpec
) -> Sequence[Chart] | None:
    """AGP, time in ranges and daily traces for ``etl review`` (core's generic chart when the
    window holds no usable reading)."""
    if window.record_type != RECORD_TYPE:
        return None
    from etl_glucose.charts import glucose_charts

    return glucose_charts(window, insights) or None


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
    from etl_glucose.analysis import analyse
    from etl_glucose.narrative import narrative, summary
    from etl_glucose.readings import series_from_records

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
