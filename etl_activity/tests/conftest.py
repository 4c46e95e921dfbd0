"""Every test starts from the plugin's default settings."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from etl_activity import plugin
from etl_activity.source_rule import ActivitySettings


@pytest.fixture(autouse=True)
def default_settings() -> Iterator[None]:
    """A registry an earlier test loaded (which handed the plugin the settings of that moment)
    must not decide what a later test sees."""
    plugin.etl_configure(ActivitySettings.defaults())
    yield
    plugin.etl_configure(ActivitySettings.defaults())
