"""The sample export through ``etl run``, as a user would run it."""

from __future__ import annotations

import shutil
from pathlib import Path

from etl_core.figures import unsupported_figures
from etl_core.schemas import load_avsc
from etl_core.testing import run_etl, training_examples, write_avro

from etl_bloodpressure.readings import SYSTOLIC
from etl_bloodpressure.samples import export_file, week_of_readings, write_sample


def test_sample_export_becomes_one_vital_signs_example(tmp_path: Path) -> None:
    source = write_sample(tmp_path / "in")
    shutil.copy(source, tmp_path / "in" / "BloodPressureRecord_1760450400000.avro")
    run_etl([tmp_path / "in"], tmp_path / "out", "--timezone", "America/New_York")
    [example] = training_examples(tmp_path / "out", "vital_signs")  # same records: one example
    metadata = example["metadata"]
    assert metadata["processor"] == "bloodpressure 0.1.0"
    assert metadata["record_type"] == "BloodPressureRecord"
    assert metadata["record_count"] == len(week_of_readings())
    assert metadata["data_start"] == "2025-10-06T07:30:00-04:00"
    assert example["output"].startswith("14 blood pressure readings")
    assert unsupported_figures(example["output"], metadata["clinical_insights"]) == []


def test_out_of_range_readings_are_left_out_and_said_so(tmp_path: Path) -> None:
    records = week_of_readings()
    for index in range(0, len(records), 2):
        records[index] = {**records[index], "systolicInMillimetersOfMercury": 999.0}
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "BloodPressureRecord_1.avro").write_bytes(export_file(records))
    run_etl([tmp_path / "in"], tmp_path / "out")
    [example] = training_examples(tmp_path / "out", "vital_signs")
    assert example["metadata"]["record_count"] == 7
    assert example["metadata"]["clinical_insights"]["excluded_readings"] == 7
    assert "7 records were left out after failing validation." in example["output"]


def test_file_without_a_systolic_field_is_quarantined(tmp_path: Path) -> None:
    schema = load_avsc("etl_bloodpressure", "BloodPressureRecord.avsc")
    schema["fields"] = [f for f in schema["fields"] if f["name"] != SYSTOLIC]
    records = [{k: v for k, v in r.items() if k != SYSTOLIC} for r in week_of_readings()]
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "BloodPressureRecord_2.avro").write_bytes(write_avro(schema, records))
    run_etl([tmp_path / "in"], tmp_path / "out")
    assert training_examples(tmp_path / "out") == []
    assert list((tmp_path / "out" / "quarantine" / "BloodPressureRecord").glob("*.avro"))
