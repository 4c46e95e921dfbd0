"""Plugin settings read once at start-up (``etl_settings`` / ``etl_configure``), and core's
built-in plugins disabled by name through ``ETL_DISABLED_PLUGINS``."""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import structlog

from etl_core.engine.pipeline import Job, Pipeline, Status
from etl_core.engine.registry import (
    BUILTINS,
    ENTRY_POINT_GROUP,
    FALLBACK,
    GENERIC_CHECKS,
    TRAINING_WRITER,
    PluginLoadError,
    load_plugins,
)
from tests.conftest import temperature_entry_point
from tests.support.records import temperature_file, temperature_records
from tests.support.settings_plugins import THERMOMETER, ThermometerSettings

MakePipeline = Callable[..., Pipeline]


def entry_point(name: str, attribute: str) -> importlib.metadata.EntryPoint:
    return importlib.metadata.EntryPoint(
        name=name, value=f"tests.support.settings_plugins:{attribute}", group=ENTRY_POINT_GROUP
    )


def job(data: bytes) -> Job:
    return Job(data=data, bucket="local", key="BodyTemperatureRecord_1.avro", user_id="user-42")


# -- settings ---------------------------------------------------------------------------------


def test_settings_are_read_once_at_start_up_and_handed_to_their_plugin(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ETL_THERMOMETER_UNIT", "fahrenheit")
    monkeypatch.delenv("ETL_THERMOMETER_DECIMALS", raising=False)
    registry = load_plugins(entry_points=[entry_point("thermometer", "THERMOMETER")])
    settings = registry.settings["thermometer"]
    assert settings == ThermometerSettings(unit="fahrenheit", decimals=1)
    assert THERMOMETER.received[-1] is settings
    # Plugins without settings have none; the environment is not read again per hook.
    assert set(registry.settings) == {"thermometer"}


@pytest.mark.parametrize(
    ("variable", "value", "why"),
    [
        ("ETL_THERMOMETER_UNIT", "kelvin", "Input should be 'celsius' or 'fahrenheit'"),
        ("ETL_THERMOMETER_DECIMALS", "many", "valid integer"),
        ("ETL_THERMOMETER_DECIMALS", "7", "less than or equal to 3"),
    ],
)
def test_an_invalid_setting_refuses_start_up_naming_plugin_and_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, why: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(PluginLoadError) as error:
        load_plugins(entry_points=[entry_point("thermometer", "THERMOMETER")])
    message = str(error.value)
    assert message.startswith(f"plugin 'thermometer' has an invalid setting {variable}: ")
    assert why in message and "\n" not in message
    assert value not in message  # a setting may be a secret: never echoed


def test_a_settings_class_refusing_the_shared_env_file_is_told_how_to_fix_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Core's own variables sit in the same ``.env`` as a plugin's: a plugin settings class
    that forbids extra inputs cannot read it, and the one line says so (not that a variable
    named ``ETL_STRICT_ETL_PSEUDONYM_KEY`` is invalid)."""
    (tmp_path / ".env").write_text("ETL_PSEUDONYM_KEY=secret-value\nETL_STRICT_LIMIT=4\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(PluginLoadError) as error:
        load_plugins(entry_points=[entry_point("strict", "STRICT_FILE")])
    message = str(error.value)
    assert message.startswith("plugin 'strict' cannot read its settings: ")
    assert "(ETL_PSEUDONYM_KEY)" in message and 'extra="ignore"' in message
    assert "secret-value" not in message and "\n" not in message


def test_configure_without_settings_is_refused() -> None:
    with pytest.raises(PluginLoadError, match="'configure-only' implements etl_configure but"):
        load_plugins(entry_points=[entry_point("configure-only", "CONFIGURE_ONLY")])


def test_etl_plugins_refuses_an_invalid_plugin_setting_in_one_line() -> None:
    """Through the command, with an installed plugin's setting (activity's rule name)."""
    # Not importorskip: the repository's etl_activity/ folder imports as a namespace package.
    if "activity" not in {
        e.name for e in importlib.metadata.entry_points(group="etl_core.plugins")
    }:
        pytest.skip("etl-activity is not installed")
    env = {**os.environ, "ETL_ACTIVITY_SOURCE_RULE": "sum", "ETL_DISABLED_PLUGINS": ""}
    result = subprocess.run(
        [sys.executable, "-m", "etl_core", "plugins"], capture_output=True, text=True, env=env
    )
    assert result.returncode == 3
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "'activity'" in lines[0] and "ETL_ACTIVITY_SOURCE_RULE" in lines[0]


# -- disabling built-ins ----------------------------------------------------------------------


def test_the_training_writer_can_be_replaced(make_pipeline: MakePipeline, tmp_path: Path) -> None:
    registry = load_plugins(
        disabled={TRAINING_WRITER},
        entry_points=[temperature_entry_point(), entry_point("csv-writer", "REPLACEMENT_WRITER")],
    )
    assert TRAINING_WRITER not in registry.plugins
    assert registry.disabled[TRAINING_WRITER].builtin
    assert registry.implementers("etl_emit") == ["csv-writer"]
    outcome = make_pipeline(registry).run(job(temperature_file(temperature_records(6))))
    assert outcome.status is Status.PROCESSED
    [key] = outcome.examples
    assert key.startswith("replaced/")
    out = tmp_path / "out"
    assert not (out / "training").exists()
    assert (out / key).read_text() == "BodyTemperatureRecord 6 readings\n"


def test_generic_checks_can_be_disabled() -> None:
    registry = load_plugins(disabled={GENERIC_CHECKS}, entry_points=[temperature_entry_point()])
    assert GENERIC_CHECKS not in registry.plugins and GENERIC_CHECKS in registry.disabled
    from etl_core.testing import build_batch

    records = temperature_records(3)
    records[1] = {**records[1], "temperatureInCelsius": 99.0}  # outside the spec's range
    spec = registry.specs["BodyTemperatureRecord"]
    batch = build_batch(spec.name, records)
    enabled = load_plugins(entry_points=[temperature_entry_point()])
    assert enabled.validate(batch, spec) != []
    assert registry.validate(batch, spec) == []


def test_the_fallback_cannot_be_disabled() -> None:
    with pytest.raises(PluginLoadError, match=r"etl-core\.fallback cannot be disabled"):
        load_plugins(disabled={FALLBACK}, entry_points=[])


def test_a_disabled_entry_point_is_listed_as_disabled_without_being_imported() -> None:
    broken = importlib.metadata.EntryPoint(
        name="broken", value="a_module_that_is_not_installed", group=ENTRY_POINT_GROUP
    )
    registry = load_plugins(disabled={"broken"}, entry_points=[broken])
    assert list(registry.disabled) == ["broken"] and not registry.disabled["broken"].builtin
    assert set(registry.plugins) == set(BUILTINS)


def test_an_unknown_disabled_name_is_warned_about_not_refused() -> None:
    """As for every name: a setting shared by images with other plugins installed must not stop
    the ones without them."""
    with structlog.testing.capture_logs() as logs:
        registry = load_plugins(
            disabled={"etl-core.trainng-jsonl", "temperature"},
            entry_points=[temperature_entry_point()],
        )
    [warning] = [entry for entry in logs if entry["event"] == "disabled_plugins_not_found"]
    assert warning["log_level"] == "warning"
    assert warning["names"] == ["etl-core.trainng-jsonl"]
    assert TRAINING_WRITER in registry.plugins and "temperature" in registry.disabled
