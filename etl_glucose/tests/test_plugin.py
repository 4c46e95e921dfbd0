"""The hook module: declaration, validation specific to glucose, processing, and the
physiological range through the real pipeline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from glucose_builders import NO_FINDINGS, START_MS, glucose_batch, glucose_record, trace
from glucose_run_reference import assert_journals_match_hooks, hook_results

from etl_core import Severity, UserContext
from etl_core.engine.registry import load_plugins
from etl_core.testing import read_avro, real_samples, run_etl, validate_sample, write_avro
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
    assert plugin.ETL_PLUGIN_API == "1.5"


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
    """Two implausible levels in a file: core's validation (the owner's range) finds them
    without quoting them, and ``etl run`` leaves them out of the person's history, so every
    window is built from the 20 plausible readings alone."""
    [spec] = plugin.etl_record_types()
    assert spec.reader_schema is not None
    values = [100.0] * 10 + [9999.0, -5.0] + [110.0] * 10
    records = [
        glucose_record(START_MS + i * 300_000, v, record_id=f"range-{i}")
        for i, v in enumerate(values)
    ]
    data = write_avro(spec.reader_schema, records)
    validated = validate_sample(load_plugins(), spec.name, data, UserContext())
    [finding] = [f for f in validated.report.findings if f.severity is not Severity.INFO]
    assert (finding.code, finding.severity, finding.affected) == (
        "value_out_of_range",
        Severity.ERROR,
        2,
    )
    assert finding.record_indices == {10, 11} == validated.report.excluded_indices
    assert "9999" not in finding.message and "-5" not in finding.message
    assert validated.report.passed  # 20 of 22 records are fine: not quarantined

    source = tmp_path / "BloodGlucoseRecord_1758400000000.avro"
    source.write_bytes(data)
    out = tmp_path / "out"
    run_etl([source], out)
    assert not (out / "quarantine").exists()
    plausible = write_avro(
        spec.reader_schema, [r for i, r in enumerate(records) if i < 10 or i > 11]
    )
    by_window = assert_journals_match_hooks(out, hook_results([plausible], None))
    assert sorted(by_window) == ["cgm_14d:2025-09-08", "cgm_14d:2025-09-15", "day:2025-09-20"]
    for examples in by_window.values():
        for example in examples:
            meta = example["metadata"]
            insights = meta["clinical_insights"]
            assert meta["record_count"] == insights["readings"] == 20
            assert insights["excluded_readings"] == 0  # never reached the history
            assert (insights["min_mg_dl"], insights["max_mg_dl"]) == (100.0, 110.0)
            assert meta["validation_warnings"] == [] and meta["quality_score"] == 1.0
    written = [p.read_text() for p in (out / "training").rglob("*.jsonl")]
    assert written and not any("9999" in text for text in written)


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
