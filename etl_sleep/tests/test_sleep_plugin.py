"""The hook module: declaration, validation findings, processing and its settings."""

from __future__ import annotations

import json
from datetime import date
from importlib.metadata import entry_points

import pytest
from sleep_builders import contiguous, session

from etl_core import RecordTypeSpec, Severity, ValidationReport
from etl_core.testing import build_batch, read_avro, real_samples
from etl_sleep import plugin
from etl_sleep.settings import SleepConfig

REPORT = ValidationReport(findings=[], scores={}, quality_score=1.0, threshold=0.7)
NIGHT = contiguous(420, ("LIGHT", 200), ("DEEP", 100), ("REM", 100))


def test_entry_point_is_registered() -> None:
    found = {ep.name: ep.value for ep in entry_points(group="etl_core.plugins")}
    assert found.get("sleep") == "etl_sleep.plugin"
    assert plugin.ETL_PLUGIN_API == "1.6"


def test_record_type_declaration() -> None:
    (spec,) = plugin.etl_record_types()
    assert spec.name == "SleepSessionRecord"
    assert spec.health_domain == "sleep_wellness"
    assert spec.time_fields == ("startTimeEpochMillis", "endTimeEpochMillis")
    assert len(spec.instructions) >= 3
    assert spec.reader_schema is not None
    assert spec.reader_schema["name"].endswith("AvroSleepSessionRecord")


def test_reader_schema_matches_the_real_writer_schema() -> None:
    import fastavro

    files = real_samples("SleepSessionRecord")
    if not files:
        pytest.skip("real samples not available")
    with files[0].open("rb") as handle:
        writer = fastavro.reader(handle).writer_schema
    (spec,) = plugin.etl_record_types()
    assert json.dumps(spec.reader_schema, sort_keys=True) == json.dumps(writer, sort_keys=True)


def test_other_record_types_are_declined() -> None:
    batch = build_batch("StepsRecord", [])
    (spec,) = plugin.etl_record_types()
    assert plugin.etl_process(batch, spec, REPORT) is None
    assert plugin.etl_validate(batch, spec) is None


def test_validation_findings_for_stage_problems() -> None:
    records = [
        session(420, 900, [("LIGHT", 400, 500), ("DEEP", 450, 520), ("REM", 890, 910)]),
        session(420, 900, [("REM", 600, 700), ("LIGHT", 500, 600), ("AWAKE", 700, 700)]),
        session(420, 900, None),
        session(0, 1440 * 2),
    ]
    (spec,) = plugin.etl_record_types()
    findings = {f.code: f for f in plugin.etl_validate(build_batch(spec.name, records), spec) or []}
    assert findings["sleep_stage_outside_session"].affected == 2
    assert findings["sleep_stages_overlap"].affected == 1
    assert findings["sleep_stages_unsorted"].severity is Severity.INFO
    assert findings["sleep_stage_invalid_span"].affected == 1
    assert findings["sleep_session_without_stages"].affected == 1
    too_long = findings["sleep_session_too_long"]
    assert too_long.severity is Severity.ERROR and too_long.record_indices == frozenset({3})
    stage_total = 3 + 3  # stage items in the batch: shares are of those
    assert findings["sleep_stage_outside_session"].out_of == stage_total
    assert findings["sleep_stages_overlap"].out_of == 0  # a share of the records


def test_process_reads_the_source_priority_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    records = [
        session(420, 900, NIGHT, origin="com.sec.android.app.shealth"),
        session(
            430, 850, contiguous(430, ("LIGHT", 300), ("REM", 100)), origin="com.ouraring.oura"
        ),
    ]
    (spec,) = plugin.etl_record_types()
    batch = build_batch(spec.name, records)
    monkeypatch.delenv("ETL_SLEEP_SOURCE_PRIORITY", raising=False)
    plugin.etl_configure(SleepConfig())  # as core does at start-up
    default = plugin.etl_process(batch, spec, REPORT)
    assert default is not None
    assert default.insights["nights"][0]["source"] == "com.sec.android.app.shealth"
    assert default.insights["primary_source_rule"]["configured_by"] == "default"
    monkeypatch.setenv("ETL_SLEEP_SOURCE_PRIORITY", "com.ouraring.oura")
    plugin.etl_configure(SleepConfig())  # as core does at start-up
    ring_first = plugin.etl_process(batch, spec, REPORT)
    assert ring_first is not None
    assert ring_first.insights["nights"][0]["source"] == "com.ouraring.oura"
    json.dumps(ring_first.insights)  # JSON-serialisable
    assert ring_first.data_start is not None and ring_first.data_start.utcoffset() is not None


def test_process_reads_the_night_threshold_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    (spec,) = plugin.etl_record_types()
    batch = build_batch(spec.name, [session(0, 150, contiguous(0, ("LIGHT", 150)))])
    monkeypatch.setenv("ETL_SLEEP_MIN_NIGHT_MINUTES", "120")
    plugin.etl_configure(SleepConfig())  # as core does at start-up
    result = plugin.etl_process(batch, spec, REPORT)
    assert result is not None and result.insights["night_count"] == 1
    monkeypatch.delenv("ETL_SLEEP_MIN_NIGHT_MINUTES")
    plugin.etl_configure(SleepConfig())  # as core does at start-up
    result = plugin.etl_process(batch, spec, REPORT)
    assert result is not None and result.insights["nap_count"] == 1


def test_real_files_decode_into_batches_the_plugin_processes() -> None:
    files = real_samples("SleepSessionRecord")
    if not files:
        pytest.skip("real samples not available")
    (spec,) = plugin.etl_record_types()
    for path in files:
        batch = build_batch(spec.name, read_avro(path), key=path.name)
        assert plugin.etl_validate(batch, spec) == []
        assert plugin.etl_process(batch, spec, REPORT) is not None


def test_windows_are_declared_through_the_plugin_manager() -> None:
    from etl_core.contract.windows import SUNDAY
    from etl_core.testing import plugin_registry

    registry = plugin_registry("sleep")
    spec = registry.specs["SleepSessionRecord"]
    rules = registry.manager.hook.etl_windows(spec=spec)
    assert [rule.name for rule in rules] == ["night", "week"]
    night, week = rules
    assert (night.days, night.start_hour, night.lookback_days) == (1, 12, 1)
    assert (week.days, week.ends_on, week.start_hour, week.lookback_days) == (7, SUNDAY, 12, 7)
    assert plugin.etl_windows(spec_of("StepsRecord")) is None
    assert len(spec.instructions_by_kind) == 3 and spec.reference_values["waso_max_min"] == 20


def spec_of(name: str) -> RecordTypeSpec:
    return RecordTypeSpec(name=name, health_domain="other", reader_schema=None)


def test_windows_of_other_record_types_are_declined() -> None:
    from etl_core import Window, WindowRule

    (spec,) = plugin.etl_record_types()
    window = Window("StepsRecord", WindowRule.night(), date(2025, 9, 19), records=[])
    assert plugin.etl_process_window(window, spec) is None


def test_the_window_path_reads_the_source_priority_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from etl_core.testing import windows_from_exports, write_health_connect
    from etl_sleep.windows_process import NIGHT_RULE

    records = [
        session(420, 900, NIGHT, origin="com.sec.android.app.shealth"),
        session(430, 850, contiguous(430, ("LIGHT", 300), ("REM", 80)), origin="com.ouraring.oura"),
    ]
    (spec,) = plugin.etl_record_types()
    (window,) = windows_from_exports(
        spec, NIGHT_RULE, [write_health_connect("SleepSessionRecord", records)]
    )
    monkeypatch.delenv("ETL_SLEEP_SOURCE_PRIORITY", raising=False)
    plugin.etl_configure(SleepConfig())  # as core does at start-up
    default = plugin.etl_process_window(window, spec)
    assert default is not None and default.insights["night"]["source_name"] == "Samsung Health"
    monkeypatch.setenv("ETL_SLEEP_SOURCE_PRIORITY", "com.ouraring.oura")
    plugin.etl_configure(SleepConfig())  # as core does at start-up
    ring = plugin.etl_process_window(window, spec)
    assert ring is not None and ring.insights["night"]["source_name"] == "Oura"
    assert ring.insights["primary_source_rule"]["configured_by"] == "ETL_SLEEP_SOURCE_PRIORITY"
    assert ring.insights["night"]["corroboration"][0]["source_name"] == "Samsung Health"


@pytest.mark.parametrize("minutes", ["three", "0", "-3"])
def test_an_unusable_night_threshold_stops_start_up(
    monkeypatch: pytest.MonkeyPatch, minutes: str
) -> None:
    from etl_core.engine.registry import PluginLoadError, load_plugins
    from etl_core.testing import installed_entry_point

    monkeypatch.setenv("ETL_SLEEP_MIN_NIGHT_MINUTES", minutes)
    with pytest.raises(PluginLoadError, match=r"'sleep' .* ETL_SLEEP_MIN_NIGHT_MINUTES") as error:
        load_plugins(entry_points=[installed_entry_point("sleep")])
    assert "\n" not in str(error.value)


def test_start_up_hands_the_plugin_its_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from etl_core.engine.registry import load_plugins
    from etl_core.testing import installed_entry_point

    monkeypatch.setenv("ETL_SLEEP_MIN_NIGHT_MINUTES", "120")
    monkeypatch.setenv("ETL_SLEEP_SOURCE_PRIORITY", "com.ouraring.oura")
    registry = load_plugins(entry_points=[installed_entry_point("sleep")])
    assert registry.settings["sleep"] == SleepConfig(
        min_night_minutes=120, source_priority="com.ouraring.oura"
    )
    assert plugin.current_settings().min_night_minutes == 120
    assert plugin.current_settings().source_rule.terms == ("com.ouraring.oura",)
