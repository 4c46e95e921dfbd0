"""Shared fixtures: the synthetic person's exports (built once per session) and the windows
core would build from them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from etl_core import RecordTypeSpec, Window
from etl_core.testing import SyntheticExport, synthetic_person, windows_from_exports
from etl_sleep import plugin
from etl_sleep.settings import SleepConfig
from etl_sleep.windows_process import NIGHT_RULE, WEEK_RULE


@pytest.fixture(autouse=True)
def default_settings() -> Iterator[None]:
    """Each test starts from the plugin's defaults: a registry an earlier test loaded (which
    handed the plugin the settings of that moment) must not decide what a later test sees."""
    plugin.etl_configure(SleepConfig.defaults())
    yield
    plugin.etl_configure(SleepConfig.defaults())


@pytest.fixture(scope="session")
def spec() -> RecordTypeSpec:
    (declared,) = plugin.etl_record_types()
    return declared


@pytest.fixture(scope="session")
def person() -> list[SyntheticExport]:
    return synthetic_person(42)


@pytest.fixture(scope="session")
def night_windows(spec: RecordTypeSpec, person: list[SyntheticExport]) -> list[Window]:
    return windows_from_exports(spec, NIGHT_RULE, person)


@pytest.fixture(scope="session")
def week_windows(spec: RecordTypeSpec, person: list[SyntheticExport]) -> list[Window]:
    return windows_from_exports(spec, WEEK_RULE, person)
