"""The hook module: declaration, validation specific to glucose, processing, and the
physiological range through the real pipeline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from glucose_builders import NO_FINDINGS, START_MS, glucose_batch, glucose_record, trace

from etl_core import Severity, UserContext
from etl_core.testing import read_avro, real_samples, run_etl, training_examples, write_avro
from etl_glucose import plugin
from etl_glucose.rules import PLAUSIBLE_MG_DL


def test_declares_blood_glucose_with_its_domain_and_range() -> None:
    [spec] = plugin.etl_record_types()
    assert spec.name == "BloodGlucoseRecord"
    assert spec.health_domain == "metabolic_diabetes"
    assert spec.time_fields == ("timeEpochMillis",)
    allowed = spec.ranges["levelInMilligramsPerDeciliter"]
    assert 9999 not in allowed and -5 not in allowed and float("nan") not in allowed
    assert 20 in allowed and 600 in allowed and 39.0 in allowed and 401.0 in allowed
    assert len(spec.instructions) >= 3
    assert plugin.ETL_PLUGIN_API == "1.1"


def test_reader_schema_names_match_the_real_writer_schema() -> None:
    files = real_samples("BloodGlucoseRecord")
    if not files:
        pytest.skip("real samples not available")
    import fastavro

    with files[0].open("rb") as handle:
        writer = json.loads(fastavro.reader(handle).metadata["avro.schema"])
    [spec] = plugin.etl_record_types()
    reader = spec.reader_schema
    assert reader is not None
    assert (reader["namespace"], reader["name"]) == (writer["namespace"], writer["name"])
    assert [f["name"] for f in reader["fields"]] == [f["name"] for f in writer["fields"]]


def test_other_record_types_are_declined() -> None:
    [spec] = plugin.etl_record_types()
    batch = glucose_batch(trace([100.0] * 3))
    other = type(batch)(
        record_type="HeartRateRecord",
        records=batch.records,
        source=batch.source,
        correlation_id="x",
    )
    assert plugin.etl_process(other, spec, NO_FINDINGS) is None
    assert plugin.etl_validate(other, spec) is None


def test_process_returns_insights_narrative_and_events() -> None:
    [spec] = plugin.etl_record_types()
    values = [100.0] * 6 + [60.0] * 4 + [100.0] * 6
    result = plugin.etl_process(glucose_batch(trace(values)), spec, NO_FINDINGS)
    assert result is not None
    assert result.events == {
        "hypo_below_70": 1,
        "hypo_below_54": 0,
        "hypo_extended": 0,
        "hyper_above_180": 0,
        "hyper_above_250": 0,
    }
    assert result.data_start is not None and result.data_start.tzinfo is not None
    assert result.insights["readings"] == 16
    json.dumps(result.insights)  # serialisable


def test_user_zone_reaches_the_insights() -> None:
    from zoneinfo import ZoneInfo

    [spec] = plugin.etl_record_types()
    batch = glucose_batch(trace([100.0] * 3), user=UserContext(timezone=ZoneInfo("Asia/Kolkata")))
    result = plugin.etl_process(batch, spec, NO_FINDINGS)
    assert result is not None
    assert result.insights["timezone"] == "Asia/Kolkata (user setting; records carry no offset)"


def test_unreadable_offsets_are_a_warning() -> None:
    [spec] = plugin.etl_record_types()
    records = [glucose_record(START_MS, 100.0, offset="local"), glucose_record(START_MS + 1, 99.0)]
    [finding] = plugin.etl_validate(glucose_batch(records), spec) or []
    assert finding.severity is Severity.WARNING and finding.affected == 1
    assert "100" not in finding.message and "99" not in finding.message


def test_out_of_range_levels_become_findings_and_are_left_out(tmp_path: Path) -> None:
    [spec] = plugin.etl_record_types()
    assert spec.reader_schema is not None
    values = [100.0] * 10 + [9999.0, -5.0] + [110.0] * 10
    records = [
        glucose_record(START_MS + i * 300_000, v, record_id=f"range-{i}")
        for i, v in enumerate(values)
    ]
    source = tmp_path / "BloodGlucoseRecord_1758400000000.avro"
    source.write_bytes(write_avro(spec.reader_schema, records))
    run_etl([source], tmp_path / "out")
    [example] = training_examples(tmp_path / "out", "metabolic_diabetes")
    meta = example["metadata"]
    insights = meta["clinical_insights"]
    assert insights["readings"] == 20
    assert insights["excluded_readings"] == 2
    assert insights["max_mg_dl"] == 110.0 and insights["min_mg_dl"] == 100.0
    assert any("value_out_of_range" in w for w in meta["validation_warnings"])
    assert not any("9999" in w for w in meta["validation_warnings"])
    assert "2 records failed validation" in example["output"]


def test_plausible_range_is_documented_in_mg_dl() -> None:
    limits = (PLAUSIBLE_MG_DL.low, PLAUSIBLE_MG_DL.high, PLAUSIBLE_MG_DL.unit)
    assert limits == (20.0, 600.0, "mg/dL")


def test_real_records_decode_into_readings() -> None:
    files = real_samples("BloodGlucoseRecord")
    if not files:
        pytest.skip("real samples not available")
    [spec] = plugin.etl_record_types()
    records = read_avro(files[0])
    result = plugin.etl_process(glucose_batch(records), spec, NO_FINDINGS)
    assert result is not None and result.insights["readings"] == len(records)
