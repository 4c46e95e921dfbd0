"""What a RecordTypeSpec may declare, and what a plugin's findings must look like
(:mod:`etl_core.engine.spec_checks`, :func:`etl_core.engine.validate.finding_problem` and the
value-quote
check), on the exporter's real schemas."""

from __future__ import annotations

from dataclasses import replace

import pytest

from etl_core import Dimension, Finding, RecordTypeSpec, Severity, ValueRange
from etl_core.engine.spec_checks import HEALTH_CONNECT_LIMITS, field_types, spec_problems
from etl_core.engine.validate import (
    allowed_in_messages,
    finding_problem,
    quoted_values,
    with_no_valid_records,
)
from etl_core.testing import HEALTH_CONNECT_TYPES, health_connect_schema, synthetic_records


def heart_rate_spec(**changes: object) -> RecordTypeSpec:
    spec = RecordTypeSpec(
        name="HeartRateRecord",
        health_domain="cardiovascular_fitness",
        reader_schema=health_connect_schema("HeartRateRecord"),
        required_fields=("metadata.id", "metadata.device.type", "samples[].timeEpochMillis"),
        ranges={"samples[].beatsPerMinute": ValueRange(1, 300, "bpm")},
        time_fields=("startTimeEpochMillis", "endTimeEpochMillis"),
        instructions=("Summarise.",),
    )
    return replace(spec, **changes)  # type: ignore[arg-type]


def test_paths_resolve_through_records_unions_named_types_and_arrays() -> None:
    schema = health_connect_schema("HeartRateRecord")
    assert field_types(schema, "samples[].beatsPerMinute") == ["long"]
    assert field_types(schema, "metadata.device.type") == ["string"]  # inside ["null", record]
    assert field_types(schema, "startZoneOffsetId") == ["string"]
    assert field_types(schema, "samples[]") is not None
    assert field_types(schema, "samples.beatsPerMinute") is None  # an array needs []
    assert field_types(schema, "samples[].bpm") is None
    assert field_types(schema, "time") is None
    sleep = health_connect_schema("SleepSessionRecord")
    [stage] = field_types(sleep, "stages[].stage") or []
    assert stage["type"] == "enum"


def test_a_well_declared_spec_has_no_problems() -> None:
    assert spec_problems(heart_rate_spec()) == []


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"time_fields": ("time",)}, "time field time does not exist in the reader schema"),
        ({"time_fields": ()}, "must name one instant field or a start and an end field"),
        (
            {"time_fields": ("startZoneOffsetId",)},
            "time field startZoneOffsetId is string in the reader schema, not int or long",
        ),
        ({"required_fields": ("metadata.idd",)}, "required field metadata.idd does not exist"),
        (
            {"ranges": {"samples[].beatsPerMinute": ValueRange(40, 350, "bpm")}},
            "range of samples[].beatsPerMinute (40-350 bpm) reaches outside what Health "
            "Connect accepts (1-300 bpm;",
        ),
        (
            {"ranges": {"samples[].beatsPerMinute": ValueRange(300, 40, "bpm")}},
            "is empty or inverted",
        ),
        (
            {"ranges": {"samples[].beatsPerMinute": ValueRange(40, float("nan"), "bpm")}},
            "must have finite numeric low and high",
        ),
        ({"ranges": {"metadata.device.type": ValueRange(0, 1)}}, "not a number"),
        ({"ranges": {"samples[].beatsPerMinute": (40, 200)}}, "not an etl_core.ValueRange"),
        ({"name": "HeartRate"}, "is not a Health Connect record type name"),
        ({"health_domain": "../escape"}, "health_domain '../escape' must be lower case"),
        ({"required_fields": "metadata.id"}, "required_fields must be a tuple of strings"),
    ],
)
def test_a_spec_that_cannot_work_is_named_with_its_field(
    changes: dict[str, object], problem: str
) -> None:
    problems = spec_problems(heart_rate_spec(**changes))
    assert any(problem in p for p in problems), problems


def test_without_a_reader_schema_only_the_declarations_themselves_are_checked() -> None:
    spec = heart_rate_spec(reader_schema=None, time_fields=("time",))
    assert spec_problems(spec) == []


def test_every_known_limit_names_a_field_of_the_exporters_schema() -> None:
    for (record_type, path), limit in HEALTH_CONNECT_LIMITS.items():
        assert limit.low < limit.high and limit.source
        if record_type in HEALTH_CONNECT_TYPES:
            types = field_types(health_connect_schema(record_type), path)
            assert types and set(types) & {"int", "long", "float", "double"}, (record_type, path)


def finding(
    severity: Severity, indices: frozenset[int], message: str = "2 of 3 records"
) -> Finding:
    return Finding(
        Dimension.PHYSIOLOGICAL, severity, "x", message, affected=2, record_indices=indices
    )


def test_finding_problems() -> None:
    assert finding_problem(finding(Severity.ERROR, frozenset({0, 2})), 3) is None
    assert finding_problem(finding(Severity.WARNING, frozenset()), 3) is None
    assert "names no records" in str(finding_problem(finding(Severity.ERROR, frozenset()), 3))
    outside = finding_problem(finding(Severity.ERROR, frozenset({-1, 3})), 3)
    assert outside and "names 2 record indices outside the batch's 3 records" in outside
    assert "not an etl_core.Finding" in str(finding_problem("2 bad", 3))
    negative = replace(finding(Severity.WARNING, frozenset()), affected=-1)
    assert "negative" in str(finding_problem(negative, 3))
    blank = replace(finding(Severity.WARNING, frozenset()), message=" ")
    assert "no message" in str(finding_problem(blank, 3))


def test_quoted_values_are_record_numbers_other_than_counts_and_declared_limits() -> None:
    records = synthetic_records("HeartRateVariabilityRmssdRecord", 3)  # 30.0, 33.0, 36.0
    spec = RecordTypeSpec(
        name="HeartRateVariabilityRmssdRecord",
        health_domain="cardiovascular_fitness",
        reader_schema=None,
        ranges={"heartRateVariabilityRmssd": ValueRange(1, 200, "ms")},
        time_fields=("timeEpochMillis",),
    )
    flagged = finding(Severity.WARNING, frozenset(), "2 of 3 readings exceed 33 ms (limit 200)")
    allowed = allowed_in_messages([flagged], len(records), spec)
    assert quoted_values(flagged.message, records, allowed) == ["33"]
    clean = "2 of 3 readings are outside 1-200 ms"
    assert quoted_values(clean, records, allowed) == []
    # metadata numbers (clientRecordVersion 0, lastModified...) are not health values
    assert quoted_values("version 0", records, set()) == []


def test_errors_that_together_exclude_every_record_add_no_valid_records() -> None:
    first = finding(Severity.ERROR, frozenset({0, 1}))
    second = finding(Severity.ERROR, frozenset({2}))
    combined = with_no_valid_records([first, second], 3)
    assert [f.code for f in combined] == ["x", "x", "no_valid_records"]
    assert combined[-1].severity is Severity.BLOCKING
    assert with_no_valid_records([first], 3) == [first]
    assert with_no_valid_records([], 0) == []
