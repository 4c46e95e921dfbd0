"""The plugin's two settings, parsed from one mapping of names to text.

``plugin.py`` reads the process environment in exactly one place and hands it here, so when
plugin configuration moves to a start-up hook only that one read changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from etl_sleep.nights import MIN_NIGHT_ENV, parse_min_night_minutes
from etl_sleep.source_rule import SOURCE_PRIORITY_ENV, SourceRule, parse_source_rule


@dataclass(frozen=True, slots=True)
class SleepSettings:
    source_rule: SourceRule
    """Which session of a sleep period is primary (``ETL_SLEEP_SOURCE_PRIORITY``)."""
    min_night_minutes: int
    """Time in bed that makes a sleep period a night (``ETL_SLEEP_MIN_NIGHT_MINUTES``)."""


def settings_from(values: Mapping[str, str]) -> SleepSettings:
    """The settings from their text (missing or unusable values give the defaults)."""
    return SleepSettings(
        source_rule=parse_source_rule(values.get(SOURCE_PRIORITY_ENV)),
        min_night_minutes=parse_min_night_minutes(values.get(MIN_NIGHT_ENV)),
    )
