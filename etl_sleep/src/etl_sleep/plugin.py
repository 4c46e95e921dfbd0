"""Hook implementations of the ``sleep`` plugin (thin: the work lives in the other modules)."""

from __future__ import annotations

import os
from collections.abc import Sequence

from etl_core import (
    Batch,
    Finding,
    ProcessResult,
    RecordTypeSpec,
    ValidationReport,
    hookimpl,
)
from etl_core.schemas import load_avsc
from etl_sleep.analysis import analyse
from etl_sleep.nights import MIN_NIGHT_ENV, parse_min_night_minutes
from etl_sleep.source_rule import SOURCE_PRIORITY_ENV, parse_source_rule
from etl_sleep.validation import sleep_findings

ETL_PLUGIN_API = "1"
RECORD_TYPE = "SleepSessionRecord"
HEALTH_DOMAIN = "sleep_wellness"

INSTRUCTIONS = (
    "Summarise this person's sleep from the recorded sleep sessions.",
    "Interpret these sleep session records for a clinician: duration, quality and timing.",
    "Describe the night's sleep and how it compares with adult sleep recommendations.",
    "Review this sleep data and explain what it shows about sleep duration and continuity.",
)


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
        )
    ]


@hookimpl
def etl_validate(batch: Batch, spec: RecordTypeSpec) -> Sequence[Finding] | None:
    if batch.record_type != RECORD_TYPE:
        return None
    return sleep_findings(batch.records)


@hookimpl
def etl_process(
    batch: Batch, spec: RecordTypeSpec, validation: ValidationReport
) -> ProcessResult | None:
    if batch.record_type != RECORD_TYPE:
        return None
    # Read per call, not at import: the settings may differ between runs of one process.
    analysis = analyse(
        batch.records,
        batch.user,
        rule=parse_source_rule(os.environ.get(SOURCE_PRIORITY_ENV)),
        min_night_minutes=parse_min_night_minutes(os.environ.get(MIN_NIGHT_ENV)),
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
