from __future__ import annotations

import importlib.metadata
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from etl_core.engine.pipeline import Job, Pipeline, Status
from etl_core.engine.registry import ENTRY_POINT_GROUP, load_plugins
from etl_core.testing import write_avro
from tests.conftest import temperature_entry_point
from tests.support.records import temperature_file, temperature_records
from tests.support.temperature_plugin import SCHEMA

MakePipeline = Callable[..., Pipeline]


def job(data: bytes, key: str = "BodyTemperatureRecord_1.avro", **kwargs: Any) -> Job:
    return Job(data=data, bucket="local", key=key, user_id="user-42", **kwargs)


def files_under(root: Path) -> dict[str, float]:
    return {
        p.relative_to(root).as_posix(): p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()
    }


def test_valid_file_makes_one_example_with_the_contract_metadata(
    make_pipeline: MakePipeline, tmp_path: Path
) -> None:
    outcome = make_pipeline().run(job(temperature_file(temperature_records(6))))
    assert outcome.status is Status.PROCESSED
    assert len(outcome.examples) == 1
    example = json.loads((tmp_path / "out" / outcome.examples[0]).read_text())
    meta = example["metadata"]
    assert outcome.examples[0].startswith("training/vital_signs/2025/09/examples/")
    assert example["instruction"] in (
        "Summarise my temperature readings.",
        "What do my temperatures show?",
    )
    assert example["output"] == "6 temperature readings averaged 36.7 °C."
    assert meta["clinical_insights"] == {"readings": 6, "mean_celsius": 36.7}
    assert meta["source_key"] == "BodyTemperatureRecord_1.avro"
    assert meta["record_count"] == 6
    assert meta["user"].startswith("u_") and "user-42" not in json.dumps(example)
    assert meta["data_start"] == "2025-09-20T15:26:40-05:00"
    assert meta["data_end"] == "2025-09-20T16:16:40-05:00"
    assert meta["processor"].startswith("temperature ")
    for key in (
        "health_domain",
        "correlation_id",
        "source_bucket",
        "processed_at",
        "quality_score",
        "validation_warnings",
        "idempotency_key",
        "content_fingerprint",
    ):
        assert key in meta


def test_same_file_twice_writes_nothing_the_second_time(
    make_pipeline: MakePipeline, tmp_path: Path
) -> None:
    pipeline = make_pipeline()
    data = temperature_file(temperature_records(6))
    assert pipeline.run(job(data)).status is Status.PROCESSED
    before = files_under(tmp_path / "out")
    again = pipeline.run(job(data))
    assert again.status is Status.DUPLICATE_FILE
    assert again.record_type == "BodyTemperatureRecord"
    assert files_under(tmp_path / "out") == before


def test_same_record_set_in_another_file_is_duplicate_content(make_pipeline: MakePipeline) -> None:
    pipeline = make_pipeline()
    records = temperature_records(6)
    first = pipeline.run(job(temperature_file(records), key="a.avro"))
    refetched = [{**r, "appRecordFetchTimeEpochMillis": 1} for r in records]
    second = pipeline.run(job(temperature_file(refetched), key="b.avro"))
    assert (first.status, second.status) == (Status.PROCESSED, Status.DUPLICATE_CONTENT)
    assert second.examples == []
    other_user = pipeline.run(
        Job(data=temperature_file(refetched), bucket="local", key="b.avro", user_id="someone-else")
    )
    assert other_user.status is Status.PROCESSED


def test_invalid_records_are_left_out_of_processing(
    make_pipeline: MakePipeline, tmp_path: Path
) -> None:
    records = temperature_records(10)
    records[3]["temperatureInCelsius"] = 9999.0
    outcome = make_pipeline().run(job(temperature_file(records)))
    assert outcome.status is Status.PROCESSED
    example = json.loads((tmp_path / "out" / outcome.examples[0]).read_text())
    assert example["metadata"]["clinical_insights"]["readings"] == 9
    assert example["metadata"]["quality_score"] == 0.98
    assert any("outside 30-45" in w for w in example["metadata"]["validation_warnings"])


def test_low_quality_file_is_quarantined_with_bytes_and_reasons(
    make_pipeline: MakePipeline, tmp_path: Path
) -> None:
    records = temperature_records(10)
    for record in records[:4]:
        record["temperatureInCelsius"] = None
    for record in records[4:8]:
        record["temperatureInCelsius"] = 99.0
    data = temperature_file(list(reversed(records)))
    outcome = make_pipeline().run(job(data, key="sub/dir/BodyTemperatureRecord_9.avro"))
    assert outcome.status is Status.QUARANTINED
    assert outcome.examples == []
    base = (
        tmp_path
        / "out"
        / "quarantine"
        / "BodyTemperatureRecord"
        / "sub/dir/BodyTemperatureRecord_9.avro"
    )
    assert base.read_bytes() == data
    metadata = json.loads(Path(f"{base}.metadata.json").read_text())
    assert metadata["quality_score"] == 0.62
    assert metadata["scores"] == {
        "schema": 1.0,
        "completeness": 0.6,
        "physiological": 0.6,
        "temporal": 0.1,
    }
    assert len(metadata["reasons"]) == 3
    assert "quarantined_at" in metadata
    assert not (tmp_path / "out" / "training").exists()


def test_incompatible_writer_schema_is_quarantined_with_the_precise_reason(
    make_pipeline: MakePipeline, tmp_path: Path
) -> None:
    schema = json.loads(json.dumps(SCHEMA))
    for field in schema["fields"]:
        if field["name"] == "temperatureInCelsius":
            field["type"] = "string"
            del field["default"]
    records = temperature_records(3)
    for record in records:
        record["temperatureInCelsius"] = "warm"
    outcome = make_pipeline().run(job(write_avro(schema, records)))
    assert outcome.status is Status.QUARANTINED
    metadata = json.loads(
        (
            tmp_path
            / "out"
            / "quarantine/BodyTemperatureRecord/BodyTemperatureRecord_1.avro.metadata.json"
        ).read_text()
    )
    assert metadata["scores"]["schema"] == 0.0
    reason = metadata["reasons"][0]
    assert "missing_union_branch" in reason
    assert "writer type string" in reason
    assert "field temperatureInCelsius" in reason


def test_message_record_type_must_match_the_file(make_pipeline: MakePipeline) -> None:
    outcome = make_pipeline().run(
        job(temperature_file(temperature_records(2)), expected_record_type="StepsRecord")
    )
    assert outcome.status is Status.FAILED
    assert outcome.error_type == "record_type_mismatch"
    assert not outcome.retriable


def test_unreadable_file_fails_and_is_kept_in_quarantine(
    make_pipeline: MakePipeline, tmp_path: Path
) -> None:
    data = temperature_file(temperature_records(50))[:-40]
    outcome = make_pipeline().run(job(data))
    assert outcome.status is Status.FAILED
    assert outcome.error_type == "decode_error"
    assert "truncated or corrupt" in outcome.message
    assert (
        tmp_path / "out" / "quarantine/BodyTemperatureRecord/BodyTemperatureRecord_1.avro"
    ).read_bytes() == data


def test_processor_bug_is_a_clean_non_retriable_failure(make_pipeline: MakePipeline) -> None:
    registry = load_plugins(
        entry_points=[
            temperature_entry_point(),
            importlib.metadata.EntryPoint(
                name="broken", value="tests.support.broken_plugin", group=ENTRY_POINT_GROUP
            ),
        ]
    )
    schema = {**SCHEMA, "name": "AvroOxygenSaturationRecord"}
    outcome = make_pipeline(registry).run(
        job(write_avro(schema, temperature_records(3)), key="o.avro")
    )
    assert outcome.status is Status.FAILED
    assert outcome.error_type == "processor_error"
    assert "plugin 'broken' raised ZeroDivisionError in etl_process while processing o.avro" in (
        outcome.message
    )
    # Failed keys are claimable again: the same file retried after a fix is processed.
    retry = make_pipeline().run(job(write_avro(schema, temperature_records(3)), key="o.avro"))
    assert retry.status is Status.PROCESSED


def test_unowned_record_type_goes_through_the_generic_fallback(
    make_pipeline: MakePipeline, tmp_path: Path
) -> None:
    schema = {**SCHEMA, "name": "AvroSkinTemperatureRecord"}
    outcome = make_pipeline().run(job(write_avro(schema, temperature_records(4)), key="s.avro"))
    assert outcome.status is Status.PROCESSED
    example = json.loads((tmp_path / "out" / outcome.examples[0]).read_text())
    assert example["metadata"]["health_domain"] == "unclassified"
    assert example["metadata"]["processor"].startswith("etl-core generic")
    assert example["metadata"]["clinical_insights"]["records"] == 4
    assert example["metadata"]["clinical_insights"]["interpreted"] is False
    assert "not interpreted" in example["output"]


def test_validator_bug_is_a_clean_failure_naming_plugin_and_hook_and_releases_the_claim(
    make_pipeline: MakePipeline,
) -> None:
    registry = load_plugins(
        entry_points=[
            temperature_entry_point(),
            importlib.metadata.EntryPoint(
                name="badcheck", value="tests.support.broken_validator", group=ENTRY_POINT_GROUP
            ),
        ]
    )
    schema = {**SCHEMA, "name": "AvroRespiratoryRateRecord"}
    data = write_avro(schema, temperature_records(3))
    outcome = make_pipeline(registry).run(job(data, key="r.avro"))
    assert outcome.status is Status.FAILED
    assert outcome.error_type == "processor_error"
    assert "plugin 'badcheck' raised KeyError in etl_validate while validating r.avro" in (
        outcome.message
    )
    # The exception's own figures are redacted: they may be health values.
    assert "reading #" in outcome.message and "97" not in outcome.message
    assert "--debug" in outcome.message
    assert make_pipeline().run(job(data, key="r.avro")).status is Status.PROCESSED


def test_a_validator_is_asked_only_about_the_record_type_it_owns(
    make_pipeline: MakePipeline,
) -> None:
    """badcheck raises on every batch it is shown; a temperature file never reaches it."""
    registry = load_plugins(
        entry_points=[
            temperature_entry_point(),
            importlib.metadata.EntryPoint(
                name="badcheck", value="tests.support.broken_validator", group=ENTRY_POINT_GROUP
            ),
        ]
    )
    outcome = make_pipeline(registry).run(job(temperature_file(temperature_records(4))))
    assert outcome.status is Status.PROCESSED
    assert outcome.records == 4
