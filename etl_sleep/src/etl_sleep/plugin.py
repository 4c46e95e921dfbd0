"""Hook implementations of the ``sleep`` plugin (thin: the work lives in the other modules).

Core imports this module at start-up and asks it only for its settings, spec and windows
there, so the processing modules are imported inside the hooks that use them: ``etl plugins``
and start-up never load the analysis."""

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
from etl_core.contract.schemas import load_avsc
from etl_sleep.declared import REFERENCE_VALUES, RULES
from etl_sleep.phrasing import INSTRUCTIONS, INSTRUCTIONS_BY_KIND
from etl_sleep.settings import DEFAULT_SETTINGS, SleepConfig, SleepSettings

ETL_PLUGIN_API = "1.6"
RECORD_TYPE = "SleepSessionRecord"
HEALTH_DOMAIN = "sleep_wellness"


_settings: SleepSettings = DEFAULT_SETTINGS
"""Set once by :func:`etl_configure`, at start-up before any worker thread exists; only read
afterwards."""


def current_settings() -> SleepSettings:
    """The settings core validated at start-up (the defaults until it configured the plugin)."""
    return _settings


@hookimpl
def etl_settings() -> type[SleepConfig]:
    return SleepConfig


@hookimpl
def etl_configure(settings: SleepConfig) -> None:
    global _settings
    _settings = settings.resolved()


@hookimpl
def etl_record_types() -> Sequence[RecordTypeSpec]:
    return [
        RecordTypeSpec(
            name=RECORD_TYPE,
            health_domain=HEALTH_DOMAIN,
            reader_schema=load_avsc("etl_sleep", "SleepSessionRecord.avsc"),
            required_fields=(
                "metadata.id",
                "metadata.dataOriginPackageName",
                "startTimeEpochMillis",
                "endTimeEpochMillis",
            ),
            time_fields=("startTimeEpochMillis", "endTimeEpochMillis"),
            instructions=INSTRUCTIONS,
            instructions_by_kind=INSTRUCTIONS_BY_KIND,
            reference_values=REFERENCE_VALUES,
        )
    ]


@hookimpl
def etl_windows(spec: RecordTypeSpec) -> Sequence[WindowRule] | None:
    if spec.name != RECORD_TYPE:
        return None
    return RULES


@hookimpl
def etl_validate(batch: Batch, spec: RecordTypeSpec) -> Sequence[Finding] | None:
    if batch.record_type != RECORD_TYPE:
        return None
    from etl_sleep.validation import sleep_findings

    return sleep_findings(batch.records)


@hookimpl
def etl_process(
    batch: Batch, spec: RecordTypeSpec, validation: ValidationReport
) -> ProcessResult | None:
    if batch.record_type != RECORD_TYPE:
        return None
    from etl_sleep.analysis import analyse

    settings = current_settings()
    analysis = analyse(
        batch.records,
        batch.user,
        rule=settings.source_rule,
        min_night_minutes=settings.min_night_minutes,
        excluded_before=len(validation.excluded_indices),
    )
    return ProcessResult(
        narrative=analysis.narrative,
        insights=analysis.insights,
        summary=analysis.summary,
        events=analysis.events,
        data_start=analysis.data_start,
        data_end=analysis.data_end,
    )


@hookimpl
def etl_process_window(window: Window, spec: RecordTypeSpec) -> ProcessResult | None:
    if window.record_type != RECORD_TYPE:
        return None
    from etl_sleep.windows_process import process_window

    return process_window(window, spec, current_settings())


@hookimpl
def etl_review_charts(
    window: Window, insights: Mapping[str, Any], spec: RecordTypeSpec
) -> Sequence[Chart] | None:
    """A hypnogram per session of the window, for ``etl review``."""
    if window.record_type != RECORD_TYPE:
        return None
    from etl_sleep.charts import hypnogram_chart

    chart = hypnogram_chart(window, insights)
    return [chart] if chart is not None else None
