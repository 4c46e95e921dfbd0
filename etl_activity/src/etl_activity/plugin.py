"""Hook module of etl-activity: declares StepsRecord and ActiveCaloriesBurnedRecord and turns
their batches into daily totals, insights and a narrative.

The per-day source rule is configured through the environment (see
:mod:`etl_activity.source_rule`); it is read for every batch so that no state is kept.
"""

from __future__ import annotations

import os

from etl_activity.checks import cadence_findings, zero_length_findings
from etl_activity.measures import MEASURES, STEPS
from etl_activity.report import process_records
from etl_activity.source_rule import source_rule_from_env
from etl_activity.specs import SPECS
from etl_core import (
    Batch,
    Finding,
    ProcessResult,
    RecordTypeSpec,
    ValidationReport,
    hookimpl,
)

ETL_PLUGIN_API = "1"


@hookimpl
def etl_record_types() -> list[RecordTypeSpec]:
    return list(SPECS.values())


@hookimpl
def etl_validate(batch: Batch, spec: RecordTypeSpec) -> list[Finding] | None:
    if batch.record_type not in SPECS:
        return None
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
    rule = source_rule_from_env(os.environ)
    return process_records(measure, batch.records, batch.user, rule)
