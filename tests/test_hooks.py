"""Each hook of ``etl_core.contract.hookspecs`` called through pluggy's hook relay, as core calls
it,
with core's built-in plugins and the test temperature plugin registered: who answers and how
results combine (collected, or first result)."""

from __future__ import annotations

import importlib.metadata
import json
from datetime import UTC, datetime

from etl_core import Severity
from etl_core.contract.model import ProcessedBatch
from etl_core.engine.registry import ENTRY_POINT_GROUP, PluginRegistry, load_plugins
from etl_core.engine.validate import score
from etl_core.testing import build_batch
from tests.conftest import temperature_entry_point
from tests.support.records import temperature_records
from tests.support.settings_plugins import THERMOMETER, ThermometerSettings
from tests.support.temperature_plugin import SPEC


def test_etl_record_types_collects_every_plugins_declarations(
    temperature_registry: PluginRegistry,
) -> None:
    declared = temperature_registry.manager.hook.etl_record_types()
    assert [spec.name for specs in declared for spec in specs] == ["BodyTemperatureRecord"]
    assert temperature_registry.owners == {"BodyTemperatureRecord": "temperature"}


def test_etl_validate_collects_findings_of_every_plugin(
    temperature_registry: PluginRegistry,
) -> None:
    records = temperature_records(4)
    records[1] = {**records[1], "temperatureInCelsius": 99.0}
    batch = build_batch("BodyTemperatureRecord", records)
    results = temperature_registry.manager.hook.etl_validate(batch=batch, spec=SPEC)
    findings = [f for result in results if result for f in result]
    [out_of_range] = [f for f in findings if f.severity is Severity.ERROR]
    assert out_of_range.record_indices == frozenset({1})
    assert "99" not in out_of_range.message


def test_etl_process_is_first_result_owner_before_fallback(
    temperature_registry: PluginRegistry,
) -> None:
    batch = build_batch("BodyTemperatureRecord", temperature_records(3))
    report = score([], 3, 0.7)
    result = temperature_registry.manager.hook.etl_process(
        batch=batch, spec=SPEC, validation=report
    )
    assert not isinstance(result, list)  # first result: one answer, not a list
    assert result.narrative.startswith("3 temperature readings")
    owner_then_fallback, label = temperature_registry.process(batch, SPEC, report)
    assert owner_then_fallback == result and label.startswith("temperature ")
    foreign = build_batch("Vo2MaxRecord", temperature_records(2))
    generic, label = temperature_registry.process(
        foreign, temperature_registry.spec_for("Vo2MaxRecord", None), score([], 2, 0.7)
    )
    assert generic.generic and label.startswith("etl-core generic")


def test_etl_emit_collects_artifacts_of_every_plugin(
    temperature_registry: PluginRegistry,
) -> None:
    batch = build_batch("BodyTemperatureRecord", temperature_records(3))
    report = score([], 3, 0.7)
    result, label = temperature_registry.process(batch, SPEC, report)
    moment = datetime(2025, 9, 20, tzinfo=UTC)
    processed = ProcessedBatch(
        batch=batch,
        spec=SPEC,
        validation=report,
        result=result,
        processor=label,
        user_pseudonym="u_test",
        content_fingerprint="ab" * 32,
        idempotency_key="file:u_test:x",
        data_start=moment,
        data_end=moment,
        processed_at=moment,
    )
    results = temperature_registry.manager.hook.etl_emit(processed=processed)
    artifacts = [a for result in results if result for a in result]
    [example] = artifacts  # core's training writer; the temperature plugin emits nothing
    assert example.key.startswith("training/vital_signs/2025/09/examples/")
    assert json.loads(example.data)["output"] == result.narrative


def thermometer_entry_point() -> importlib.metadata.EntryPoint:
    return importlib.metadata.EntryPoint(
        "thermometer", "tests.support.settings_plugins:THERMOMETER", ENTRY_POINT_GROUP
    )


def test_etl_settings_collects_each_plugins_settings_class() -> None:
    thermometer = thermometer_entry_point()
    registry = load_plugins(entry_points=[temperature_entry_point(), thermometer])
    # All collected: one class per plugin that has settings (core's built-ins have none).
    assert registry.manager.hook.etl_settings() == [ThermometerSettings]
    assert isinstance(registry.settings["thermometer"], ThermometerSettings)


def test_etl_configure_hands_a_plugin_its_settings() -> None:
    thermometer = thermometer_entry_point()
    registry = load_plugins(entry_points=[thermometer])
    assert THERMOMETER.received[-1] is registry.settings["thermometer"]
    # Core calls each plugin's own implementation; through the relay it is called the same way.
    chosen = ThermometerSettings(unit="fahrenheit", decimals=2)
    assert registry.manager.hook.etl_configure(settings=chosen) == []
    assert THERMOMETER.received[-1] is chosen
