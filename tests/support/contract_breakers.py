"""Plugins that each break one rule of the plugin contract at run time, for core's tests.

Each owns ``RespiratoryRateRecord`` (files are temperature records under that schema name, see
:func:`respiratory_file`) and is registered through an entry point ``module:OBJECT``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from etl_core import (
    Artifact,
    Batch,
    Dimension,
    Finding,
    ProcessedBatch,
    ProcessResult,
    RecordTypeSpec,
    Severity,
    ValidationReport,
    hookimpl,
)
from etl_core.testing import write_avro
from tests.support.temperature_plugin import SCHEMA

RECORD_TYPE = "RespiratoryRateRecord"
SPEC = RecordTypeSpec(
    name=RECORD_TYPE,
    health_domain="vital_signs",
    reader_schema=None,
    required_fields=("metadata.id",),
    time_fields=("timeEpochMillis",),
    instructions=("Summarise my breathing.",),
)


def respiratory_file(records: Sequence[dict[str, object]]) -> bytes:
    return write_avro({**SCHEMA, "name": f"Avro{RECORD_TYPE}"}, records)


class _Owner:
    ETL_PLUGIN_API = "1"

    @hookimpl
    def etl_record_types(self) -> list[RecordTypeSpec]:
        return [SPEC]


class GreedyValidator(_Owner):
    """The issue's validator: no record-type guard, flags every record lacking its field."""

    @hookimpl
    def etl_validate(self, batch: Batch, spec: RecordTypeSpec) -> list[Finding]:
        lacking = frozenset(i for i, r in enumerate(batch.records) if "rate" not in r)
        if not lacking:
            return []
        return [
            Finding(
                Dimension.COMPLETENESS,
                Severity.ERROR,
                "greedy_no_rate",
                f"{len(lacking)} of {len(batch.records)} records hold no rate",
                affected=len(lacking),
                record_indices=lacking,
            )
        ]


class ExcludesEverything(_Owner):
    """Its own check leaves out every record of its type."""

    @hookimpl
    def etl_validate(self, batch: Batch, spec: RecordTypeSpec) -> list[Finding] | None:
        if batch.record_type != RECORD_TYPE:
            return None
        everyone = frozenset(range(len(batch.records)))
        return [
            Finding(
                Dimension.PHYSIOLOGICAL,
                Severity.ERROR,
                "implausible_breathing",
                f"{len(everyone)} of {len(batch.records)} readings are implausible",
                affected=len(everyone),
                record_indices=everyone,
            )
        ]

    @hookimpl
    def etl_process(
        self, batch: Batch, spec: RecordTypeSpec, validation: ValidationReport
    ) -> ProcessResult | None:
        raise AssertionError("a file whose every record is excluded must not be processed")


class QuotesValues(_Owner):
    """Its warning quotes the highest reading: a health value."""

    @hookimpl
    def etl_validate(self, batch: Batch, spec: RecordTypeSpec) -> list[Finding] | None:
        if batch.record_type != RECORD_TYPE:
            return None
        highest = max(float(r["temperatureInCelsius"]) for r in batch.records)
        return [
            Finding(
                Dimension.PHYSIOLOGICAL,
                Severity.WARNING,
                "quotes_a_value",
                f"1 of {len(batch.records)} readings peaks at {highest} for a rule of 45",
                affected=1,
            )
        ]


class OutOfRangeIndex(_Owner):
    """An ERROR naming a record that does not exist."""

    @hookimpl
    def etl_validate(self, batch: Batch, spec: RecordTypeSpec) -> list[Finding] | None:
        if batch.record_type != RECORD_TYPE:
            return None
        return [
            Finding(
                Dimension.PHYSIOLOGICAL,
                Severity.ERROR,
                "phantom",
                "1 reading is wrong",
                affected=1,
                record_indices=frozenset({10**9}),
            )
        ]


class Declines(_Owner):
    """Owns the type but returns None for every batch."""

    @hookimpl
    def etl_process(
        self, batch: Batch, spec: RecordTypeSpec, validation: ValidationReport
    ) -> ProcessResult | None:
        return None


class NotANumber(_Owner):
    """Puts NaN into its insights: the example could not be written as JSON."""

    @hookimpl
    def etl_process(
        self, batch: Batch, spec: RecordTypeSpec, validation: ValidationReport
    ) -> ProcessResult | None:
        return ProcessResult(
            narrative="Breathing was recorded.", insights={"mean": math.nan}, summary="breathing"
        )


class EmitCrashes:
    """Emits for every batch and crashes doing it."""

    ETL_PLUGIN_API = "1"

    @hookimpl
    def etl_emit(self, processed: ProcessedBatch) -> list[Artifact]:
        raise OSError(f"cannot write the report of {len(processed.batch.records)} readings")


class EmitsOutsideTheRoot:
    ETL_PLUGIN_API = "1"

    @hookimpl
    def etl_emit(self, processed: ProcessedBatch) -> list[Artifact]:
        return [Artifact(key="../escape.json", data=b"{}", kind="report")]


GREEDY = GreedyValidator()
EXCLUDES_EVERYTHING = ExcludesEverything()
QUOTES_VALUES = QuotesValues()
OUT_OF_RANGE_INDEX = OutOfRangeIndex()
DECLINES = Declines()
NOT_A_NUMBER = NotANumber()
EMIT_CRASHES = EmitCrashes()
EMITS_OUTSIDE_THE_ROOT = EmitsOutsideTheRoot()
