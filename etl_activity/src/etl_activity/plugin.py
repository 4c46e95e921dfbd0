"""Hook module of etl-activity: declares StepsRecord and ActiveCaloriesBurnedRecord, their
calendar windows (a local day, an ISO week), and turns batches and windows into daily totals,
insights and training examples.

The per-day source rule is configured through the environment (see
:mod:`etl_activity.source_rule`), read and validated once by core at start-up
(:class:`~etl_activity.source_rule.ActivitySettings`, declared through ``etl_settings``) and
handed over through ``etl_configure``: a rule name core cannot use stops start-up.

Core imports this module at start-up and asks it only for its settings, specs and windows
there, so the processing modules are imported inside the hooks that use them: ``etl plugins``
and start-up never load them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from etl_activity.measures import MEASURES, STEPS
from etl_activity.source_rule import ActivitySettings, SourceRule
from etl_activity.specs import SPECS
from etl_activity.window_rules import WINDOW_RULES
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

ETL_PLUGIN_API = "1.6"


_source_rule = SourceRule()
"""Set once by :func:`etl_configure`, at start-up before any worker thread exists; only read
afterwards."""


def configured_source_rule() -> SourceRule:
    """The per-day source rule core validated at start-up (the default rule until it
    configured the plugin)."""
    return _source_rule


@hookimpl
def etl_settings() -> type[ActivitySettings]:
    return ActivitySettings


@hookimpl
def etl_configure(settings: ActivitySettings) -> None:
    global _source_rule
    _source_rule = settings.rule()


@hookimpl
def etl_record_types() -> list[RecordTypeSpec]:
    return list(SPECS.values())


@hookimpl
def etl_validate(batch: Batch, spec: RecordTypeSpec) -> list[Finding] | None:
    if batch.record_type not in SPECS:
        return None
    from etl_activity.checks import cadence_findings, zero_length_findings

    findings = zero_length_findings(batch.records)
    if batch.record_type == STEPS.record_type:
        findings += cadence_findings(batch.records)
    return findings


@hookimpl
def etl_process(
    batch: Batch, spec: RecordTypeSpec, validation: ValidationReport
) -> ProcessResult | None:
    measure = MEASURES.get(batch.record_type)
    if measure is None:
        return None
    from etl_activity.report import process_records

    return process_records(measure, batch.records, batch.user, configured_source_rule())


@hookimpl
def etl_windows(spec: RecordTypeSpec) -> list[WindowRule] | None:
    if spec.name not in SPECS:
        return None
    return list(WINDOW_RULES)


@hookimpl
def etl_process_window(window: Window, spec: RecordTypeSpec) -> ProcessResult | None:
    measure = MEASURES.get(window.record_type)
    if measure is None:
        return None
    from etl_activity.window_report import process_window

    return process_window(measure, window, configured_source_rule())


@hookimpl
def etl_review_charts(
    window: Window, insights: Mapping[str, Any], spec: RecordTypeSpec
) -> Sequence[Chart] | None:
    """Steps or active energy per local day by source, partial days marked, for ``etl review``."""
    measure = MEASURES.get(window.record_type)
    if measure is None:
        return None
    from etl_activity.charts import daily_chart

    chart = daily_chart(window, measure, configured_source_rule())
    return [chart] if chart is not None else None
