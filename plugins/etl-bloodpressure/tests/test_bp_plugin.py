"""The hook module: declaration, the checks specific to blood pressure, processing, and the
committed sample file."""

from __future__ import annotations

from pathlib import Path

from etl_core import Severity, UserContext
from etl_core.engine.validate import score
from etl_core.testing import build_batch

from etl_bloodpressure import plugin
from etl_bloodpressure.samples import export_file, week_of_readings, write_sample

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def test_declares_blood_pressure_with_health_connect_limits() -> None:
    [spec] = plugin.etl_record_types()
    assert (spec.name, spec.health_domain) == ("BloodPressureRecord", "vital_signs")
    systolic = spec.ranges["systolicInMillimetersOfMercury"]
    diastolic = spec.ranges["diastolicInMillimetersOfMercury"]
    assert 20 in systolic and 200 in systolic and 19.9 not in systolic and 201 not in systolic
    assert 10 in diastolic and 180 in diastolic and 9 not in diastolic
    assert spec.reader_schema is not None
    assert spec.reader_schema["name"] == "AvroBloodPressureRecord"


def test_inverted_pairs_are_errors_that_exclude_the_record() -> None:
    records = week_of_readings()[:4]
    records[2] = {**records[2], "diastolicInMillimetersOfMercury": 130.0}
    [spec] = plugin.etl_record_types()
    [finding] = plugin.etl_validate(build_batch("BloodPressureRecord", records), spec) or []
    assert finding.severity is Severity.ERROR
    assert finding.record_indices == frozenset({2})
    assert "130" not in finding.message  # findings never quote a health value


def test_unreadable_offset_is_a_warning() -> None:
    records = week_of_readings()[:3]
    records[0] = {**records[0], "zoneOffsetId": "America/New_York"}
    [spec] = plugin.etl_record_types()
    [finding] = plugin.etl_validate(build_batch("BloodPressureRecord", records), spec) or []
    assert (finding.severity, finding.affected) == (Severity.WARNING, 1)


def test_process_reports_excluded_records_and_crisis_events() -> None:
    records = week_of_readings()[:4]
    records[3] = {**records[3], "systolicInMillimetersOfMercury": 190.0}
    [spec] = plugin.etl_record_types()
    batch = build_batch("BloodPressureRecord", records, user=UserContext())
    report = score([], len(records), 0.7)
    result = plugin.etl_process(batch, spec, report)
    assert result is not None
    assert result.events == {"hypertensive_crisis_reading": 1}
    assert result.data_start is not None and result.data_start.isoformat().startswith("2025-10-06")


def test_committed_sample_matches_the_generator(tmp_path: Path) -> None:
    written = write_sample(tmp_path)
    committed = SAMPLES / written.name
    assert committed.read_bytes() == written.read_bytes() == export_file(week_of_readings())
