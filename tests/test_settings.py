"""Settings, the .env template and the README's configuration table stay in agreement."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from etl_core.settings import Settings, SettingsError
from tests.support.plugin_settings import (
    plugin_setting_names,
    plugin_settings,
    validate_plugin_settings,
)

ROOT = Path(__file__).resolve().parent.parent


def setting_names() -> set[str]:
    return {f"ETL_{name.upper()}" for name in Settings.field_names()}


def test_env_example_lists_exactly_the_settings() -> None:
    """Core's settings and every installed plugin's (``etl_settings``)."""
    listed = set(re.findall(r"^(ETL_[A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert listed == setting_names() | plugin_setting_names()


def test_plugin_settings_are_checked_here() -> None:
    """The drift tests see the plugins' settings (so the two above mean something for them)."""
    assert {"ETL_SLEEP_MIN_NIGHT_MINUTES", "ETL_ACTIVITY_SOURCE_RULE"} <= plugin_setting_names()
    assert not plugin_setting_names() & setting_names(), "a plugin reuses a core setting's name"


def test_each_plugins_readme_documents_its_settings() -> None:
    missing = []
    for name, setting in sorted(plugin_settings().items()):
        project = setting.project
        if f"`{name}`" not in (project / "README.md").read_text(encoding="utf-8"):
            missing.append(f"{project.name}/README.md: {name}")
    assert missing == []


def test_the_env_example_values_are_valid_plugin_settings() -> None:
    values = dict(re.findall(r"^(ETL_[A-Z0-9_]+)=(.*)$", (ROOT / ".env.example").read_text(), re.M))
    validate_plugin_settings({k: v for k, v in values.items() if k in plugin_setting_names()})


def test_readme_documents_every_setting() -> None:
    readme = (ROOT / "README.md").read_text()
    missing = sorted(name for name in setting_names() if f"`{name}`" not in readme)
    assert missing == []


def test_environment_overrides_and_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ETL_QUALITY_THRESHOLD", "0.8")
    monkeypatch.setenv("ETL_DISABLED_PLUGINS", "glucose, sleep ,")
    monkeypatch.setenv("ETL_TRAINING_DATA_PREFIX", "/datasets/train")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.quality_threshold == 0.8
    assert settings.disabled_plugins == {"glucose", "sleep"}
    assert settings.training_data_prefix == "datasets/train/"


def test_pseudonym_key_rules() -> None:
    development = Settings(_env_file=None, pseudonym_key=None)  # type: ignore[call-arg]
    assert development.effective_pseudonym_key()[1] is True
    production = Settings(_env_file=None, pseudonym_key=None, development_mode=False)  # type: ignore[call-arg]
    with pytest.raises(SettingsError, match="ETL_PSEUDONYM_KEY"):
        production.effective_pseudonym_key()
    keyed = Settings(_env_file=None, pseudonym_key="s3cret-0123456789", development_mode=False)  # type: ignore[call-arg]
    assert keyed.effective_pseudonym_key() == (b"s3cret-0123456789", False)
    short = Settings(_env_file=None, pseudonym_key="s3cret", development_mode=False)  # type: ignore[call-arg]
    with pytest.raises(SettingsError, match=r"6 characters long.*at least 16"):
        short.effective_pseudonym_key()
    # A development run may use any key: it holds no real data.
    assert Settings(_env_file=None, pseudonym_key="k").effective_pseudonym_key() == (b"k", False)  # type: ignore[call-arg]
