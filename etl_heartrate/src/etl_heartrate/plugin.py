"""Hook implementations of the etl-heartrate plugin (entry point ``heartrate``).

Thin by design: the hooks route to pure functions in the sibling modules. Core imports this
module at start-up and asks it only for its specs and windows there, so the processing modules
are imported inside the hooks that use them: ``etl plugins`` and start-up never load them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from etl_core import (
    Batch,
    Chart,
    Finding,
    ProcessResult,
    RecordTypeSpec,
    ValidationReport,
    Window,
    WindowRule,
    hookimpl,
)
from etl_heartrate.rules import DEFAULT_HEART_RATE_RULES, DEFAULT_HRV_RULES
from etl_heartrate.specs import HEART_RATE, HRV_RMSSD, heart_rate_spec, hrv_spec
from etl_heartrate.window_rules import window_rules

ETL_PLUGIN_API = "1.4"


@hookimpl
def etl_record_types() -> Sequence[RecordTypeSpec]:
    return [heart_rate_spec(), hrv_spec()]


@hookimpl
def etl_windows(spec: RecordTypeSpec) -> Sequence[WindowRule] | None:
    return window_rules(spec.name)


@hookimpl
def etl_process_window(window: Window, spec: RecordTypeSpec) -> ProcessResult | None:
    from etl_heartrate.window_report import process_window

    return process_window(window, DEFAULT_HEART_RATE_RULES, DEFAULT_HRV_RULES)


@hookimpl
def etl_review_charts(
    window: Window, insights: Mapping[str, Any], spec: RecordTypeSpec
) -> Sequence[Chart] | None:
    """The heart-rate day curve, or the nightly HRV, for ``etl review`` (core's generic chart
    when the window holds no usable sample)."""
    from etl_heartrate.charts import heart_rate_chart, hrv_chart

    if window.record_type == HEART_RATE:
        chart = heart_rate_chart(window, insights, DEFAULT_HEART_RATE_RULES)
    elif window.record_type == HRV_RMSSD:
        chart = hrv_chart(window, insights, DEFAULT_HRV_RULES)
    else:
        return None
    return [chart] if chart is not None else None


@hookimpl
def etl_validate(batch: Batch, spec: RecordTypeSpec) -> Sequence[Finding] | None:
    if batch.record_type != HEART_RATE:
        return None
    from etl_heartrate.validation import heart_rate_findings

    return heart_rate_findings(batch.records)


@hookimpl
def etl_process(
    batch: Batch, spec: RecordTypeSpec, validation: ValidationReport
) -> ProcessResult | None:
    from etl_heartrate.hr_report import heart_rate_report
    from etl_heartrate.hrv import collect_measurements
    from etl_heartrate.hrv_report import hrv_report
    from etl_heartrate.methods import HEART_RATE_FILE_METHODS, HRV_FILE_METHODS
    from etl_heartrate.samples import flatten_samples

    user = batch.user
    if batch.record_type == HEART_RATE:
        series = flatten_samples(batch.records, user.timezone, DEFAULT_HEART_RATE_RULES)
        hr = heart_rate_report(series, user.timezone, user.age_years, DEFAULT_HEART_RATE_RULES)
        return ProcessResult(
            narrative=hr.narrative,
            insights=hr.insights,
            summary=hr.summary,
            events=hr.events,
            data_start=hr.data_start,
            data_end=hr.data_end,
            methods=HEART_RATE_FILE_METHODS,
        )
    if batch.record_type == HRV_RMSSD:
        measurements = collect_measurements(batch.records, user.timezone, DEFAULT_HRV_RULES)
        hrv = hrv_report(measurements, user.timezone, DEFAULT_HRV_RULES)
        return ProcessResult(
            narrative=hrv.narrative,
            insights=hrv.insights,
            summary=hrv.summary,
            events=hrv.events,
            data_start=hrv.data_start,
            data_end=hrv.data_end,
            methods=HRV_FILE_METHODS,
        )
    return None
