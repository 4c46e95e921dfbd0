"""The sample export through ``etl run``, as a user would run it."""

from __future__ import annotations

import shutil
from pathlib import Path

from etl_core.contract.figures import ungrounded_figures, unsupported_figures
from etl_core.contract.schemas import load_avsc
from etl_core.testing import run_etl, training_examples, write_avro

from etl_bloodpressure.readings import SYSTOLIC
from etl_bloodpressure.samples import export_file, week_of_readings, write_sample


def test_sample_export_becomes_a_note_and_a_summary_per_day_and_for_the_week(
    tmp_path: Path,
) -> None:
    source = write_sample(tmp_path / "in")
    shutil.copy(source, tmp_path / "in" / "BloodPressureRecord_1760450400000.avro")
    run_etl([tmp_path / "in"], tmp_path / "out", "--timezone", "America/New_York")
    examples = training_examples(tmp_path / "out", "vital_signs")  # the copy adds nothing
    windows = sorted({e["metadata"]["window"]["key"] for e in examples})
    days = [f"day:2025-10-{day:02d}" for day in range(6, 13)]
    assert windows == [*days, "week:2025-10-06"]
    assert len(examples) == 16  # a clinician summary and a note per window
    for example in examples:
        metadata = example["metadata"]
        assert metadata["processor"] == "bloodpressure 0.1.0"
        assert metadata["record_type"] == "BloodPressureRecord"
        assert ungrounded_figures(example["output"], example["input"]) == []
        assert unsupported_figures(example["input"], metadata["clinical_insights"]) == []
    [week_summary] = [
        e
        for e in examples
        if e["metadata"]["window"]["key"] == "week:2025-10-06"
        and e["metadata"]["example_kind"] == "clinician_summary"
    ]
    assert week_summary["metadata"]["record_count"] == len(week_of_readings())
    assert week_summary["metadata"]["data_start"] == "2025-10-06T07:30:00-04:00"
    assert week_summary["output"].startswith(
        "In the week of 2025-10-06 to 2025-10-12: 14 blood pressure readings"
    )
    day_kinds = [
        e["metadata"]["example_kind"]
        for e in examples
        if e["metadata"]["window"]["key"] == "day:2025-10-06"
    ]
    assert day_kinds == ["clinician_summary", "personal_note"]


def test_out_of_range_readings_never_reach_a_window(tmp_path: Path) -> None:
    records = week_of_readings()
    for index in range(0, len(records), 2):
        records[index] = {**records[index], "systolicInMillimetersOfMercury": 999.0}
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "BloodPressureRecord_1.avro").write_bytes(export_file(records))
    run_etl([tmp_path / "in"], tmp_path / "out")
    examples = training_examples(tmp_path / "out", "vital_signs")
    summaries = [e for e in examples if e["metadata"]["example_kind"] == "clinician_summary"]
    by_window = {e["metadata"]["window"]["rule"]: [] for e in summaries}
    for example in summaries:
        by_window[example["metadata"]["window"]["rule"]].append(example)
    assert [e["metadata"]["record_count"] for e in by_window["week"]] == [7]
    assert sum(e["metadata"]["record_count"] for e in by_window["day"]) == 7
    assert all("999" not in e["input"] + e["output"] for e in examples)


def test_file_without_a_systolic_field_is_quarantined(tmp_path: Path) -> None:
    schema = load_avsc("etl_bloodpressure", "BloodPressureRecord.avsc")
    schema["fields"] = [f for f in schema["fields"] if f["name"] != SYSTOLIC]
    records = [{k: v for k, v in r.items() if k != SYSTOLIC} for r in week_of_readings()]
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "BloodPressureRecord_2.avro").write_bytes(write_avro(schema, records))
    run_etl([tmp_path / "in"], tmp_path / "out")
    assert training_examples(tmp_path / "out") == []
    assert list((tmp_path / "out" / "quarantine" / "BloodPressureRecord").glob("*.avro"))
