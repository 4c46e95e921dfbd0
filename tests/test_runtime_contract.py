"""The plugin contract holds at run time: what core does when a plugin breaks a rule (see
``tests/support/contract_breakers.py``), through the real pipeline."""

from __future__ import annotations

import importlib.metadata
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import structlog

from etl_core.engine.pipeline import Job, Pipeline, Status
from etl_core.engine.registry import ENTRY_POINT_GROUP, PluginRegistry, load_plugins
from etl_core.testing import export_sample, read_avro
from tests.conftest import temperature_entry_point
from tests.support.contract_breakers import RECORD_TYPE, respiratory_file
from tests.support.records import temperature_file, temperature_records

MakePipeline = Callable[..., Pipeline]


def registry_with(**breakers: str) -> PluginRegistry:
    """Core, the temperature plugin and the named breakers (entry-point name -> object)."""
    return load_plugins(
        entry_points=[
            temperature_entry_point(),
            *(
                importlib.metadata.EntryPoint(
                    name=name,
                    value=f"tests.support.contract_breakers:{target}",
                    group=ENTRY_POINT_GROUP,
                )
                for name, target in breakers.items()
            ),
        ]
    )


def job(data: bytes, key: str) -> Job:
    return Job(data=data, bucket="local", key=key, user_id="user-7")


def example(tmp_path: Path, key: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((tmp_path / "out" / key).read_text(encoding="utf-8"))
    return loaded


def test_a_validator_without_a_type_guard_cannot_touch_another_types_data(
    make_pipeline: MakePipeline, tmp_path: Path
) -> None:
    """The issue's case: a greedy validator owning another type used to exclude all 253
    records of a real glucose file, so that the fallback described 0 records."""
    pipeline = make_pipeline(registry_with(greedy="GREEDY"))
    data = export_sample("BloodGlucoseRecord")
    expected = len(read_avro(data))
    outcome = pipeline.run(job(data, "BloodGlucoseRecord_1.avro"))
    assert outcome.status is Status.PROCESSED
    assert "greedy_no_rate" not in outcome.finding_codes
    written = example(tmp_path, outcome.examples[0])
    assert written["metadata"]["record_count"] == expected
    assert written["metadata"]["clinical_insights"]["records"] == expected
    temperatures = pipeline.run(job(temperature_file(temperature_records(6)), "t.avro"))
    assert temperatures.status is Status.PROCESSED
    assert example(tmp_path, temperatures.examples[0])["metadata"]["record_count"] == 6


def test_the_owners_validator_still_applies_to_its_own_type(make_pipeline: MakePipeline) -> None:
    pipeline = make_pipeline(registry_with(greedy="GREEDY"))
    outcome = pipeline.run(job(respiratory_file(temperature_records(4)), "r.avro"))
    # Its findings exclude every record of its own type: the file is quarantined.
    assert outcome.status is Status.QUARANTINED
    assert "greedy_no_rate" in outcome.finding_codes


def test_plugin_findings_that_exclude_every_record_quarantine_the_file(
    make_pipeline: MakePipeline, tmp_path: Path
) -> None:
    pipeline = make_pipeline(registry_with(picky="EXCLUDES_EVERYTHING"))
    outcome = pipeline.run(job(respiratory_file(temperature_records(5)), "r.avro"))
    assert outcome.status is Status.QUARANTINED
    assert outcome.finding_codes.count("no_valid_records") == 1
    assert outcome.examples == []
    assert not list((tmp_path / "out").glob("training/**/*.json"))
    metadata = json.loads(
        (tmp_path / "out" / "quarantine" / RECORD_TYPE / "r.avro.metadata.json").read_text()
    )
    assert {f["code"] for f in metadata["findings"]} >= {
        "implausible_breathing",
        "no_valid_records",
    }


def test_a_finding_quoting_a_record_value_is_redacted_and_logged_as_a_violation(
    make_pipeline: MakePipeline, tmp_path: Path
) -> None:
    pipeline = make_pipeline(registry_with(quoter="QUOTES_VALUES"))
    records = temperature_records(5)  # readings 36.5 to 36.9
    with structlog.testing.capture_logs() as logs:
        outcome = pipeline.run(job(respiratory_file(records), "r.avro"))
    assert outcome.status is Status.PROCESSED
    warnings = example(tmp_path, outcome.examples[0])["metadata"]["validation_warnings"]
    [quoted] = [w for w in warnings if "quotes_a_value" in w]
    # The reading is gone; the count and the rule's own limit stay.
    assert quoted.endswith("1 of 5 readings peaks at # for a rule of 45")
    [violation] = [e for e in logs if e["event"] == "plugin_contract_violation"]
    assert violation["plugin"] == "quoter"
    assert violation["hook"] == "etl_validate"
    assert violation["finding_code"] == "quotes_a_value"
    assert "36.9" not in json.dumps(logs, default=str)


def test_an_error_finding_naming_a_record_that_does_not_exist_fails_the_file_naming_the_plugin(
    make_pipeline: MakePipeline,
) -> None:
    pipeline = make_pipeline(registry_with(phantom="OUT_OF_RANGE_INDEX"))
    outcome = pipeline.run(job(respiratory_file(temperature_records(3)), "r.avro"))
    assert outcome.status is Status.FAILED
    assert outcome.error_type == "processor_error"
    assert outcome.message.startswith(
        "plugin 'phantom' broke the plugin contract in etl_validate while validating r.avro: "
        "finding 'phantom' names 1 record indices outside the batch's 3 records"
    )


def test_the_fallback_says_when_the_owner_declined_and_when_no_processor_exists(
    make_pipeline: MakePipeline, tmp_path: Path
) -> None:
    pipeline = make_pipeline(registry_with(decliner="DECLINES"))
    declined = pipeline.run(job(respiratory_file(temperature_records(3)), "r.avro"))
    assert declined.status is Status.PROCESSED
    written = example(tmp_path, declined.examples[0])
    assert "(plugin decliner) declined this batch" in written["output"]
    assert "No clinical processor is installed" not in written["output"]
    assert written["metadata"]["clinical_insights"]["why_not"] == "declined_by_processor"
    assert written["metadata"]["clinical_insights"]["declined_by"] == "decliner"
    assert written["metadata"]["processor"].startswith("etl-core generic")
    unowned = respiratory_file(temperature_records(3, tag="u"))
    nobody = make_pipeline().run(job(unowned, "RespiratoryRateRecord_2.avro"))
    output = example(tmp_path, nobody.examples[0])["output"]
    assert "No clinical processor is installed for this record type" in output


def test_a_result_core_cannot_write_fails_the_file_naming_plugin_and_hook(
    make_pipeline: MakePipeline,
) -> None:
    pipeline = make_pipeline(registry_with(nan="NOT_A_NUMBER"))
    outcome = pipeline.run(job(respiratory_file(temperature_records(3)), "r.avro"))
    assert outcome.status is Status.FAILED
    assert outcome.message == (
        "plugin 'nan' broke the plugin contract in etl_process while processing r.avro: "
        "ProcessResult.insights holds NaN or infinity"
    )


def test_an_emit_failure_names_the_plugin_and_the_hook(make_pipeline: MakePipeline) -> None:
    pipeline = make_pipeline(registry_with(reporter="EMIT_CRASHES"))
    outcome = pipeline.run(job(temperature_file(temperature_records(3)), "t.avro"))
    assert outcome.status is Status.FAILED
    assert outcome.error_type == "processor_error"
    assert outcome.message.startswith(
        "plugin 'reporter' raised OSError in etl_emit while emitting t.avro: cannot write the "
        "report of # readings"
    )
    escaping = make_pipeline(registry_with(escaper="EMITS_OUTSIDE_THE_ROOT"))
    escaped = escaping.run(job(temperature_file(temperature_records(4, tag="e")), "e.avro"))
    assert escaped.status is Status.FAILED
    assert not escaped.retriable
    assert "plugin 'escaper' broke the plugin contract in etl_emit" in escaped.message
    assert "'../escape.json' is not a safe relative key" in escaped.message


def test_a_plugin_failure_logs_its_traceback_at_debug_level_only(
    make_pipeline: MakePipeline,
) -> None:
    pipeline = make_pipeline(registry_with(reporter="EMIT_CRASHES"))
    with structlog.testing.capture_logs() as logs:
        pipeline.run(job(temperature_file(temperature_records(3)), "t.avro"))
    [entry] = [e for e in logs if e["event"] == "plugin_traceback"]
    assert entry["log_level"] == "debug"
    assert (entry["plugin"], entry["hook"]) == ("reporter", "etl_emit")
    assert "Traceback (most recent call last)" in entry["traceback"]
    assert "contract_breakers.py" in entry["traceback"]
    failed = [e for e in logs if e["event"] == "failed"]
    assert failed and "traceback" not in failed[0]
