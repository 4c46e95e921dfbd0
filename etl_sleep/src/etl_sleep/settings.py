"""The plugin's two settings: read from the environment and validated once, at start-up.

Core instantiates :class:`SleepConfig` (declared through ``etl_settings``) before any file is
consumed, so an unusable value stops start-up naming the variable instead of failing every
night; ``etl_configure`` then hands it to the plugin, which keeps the derived
:class:`SleepSettings` the hooks use.
"""

from __future__ import annotations

from dataclasses import dataclass

from etl_core import EnvSettings, setting
from etl_sleep.nights import DEFAULT_MIN_NIGHT_MIN
from etl_sleep.source_rule import SourceRule, parse_source_rule


@dataclass(frozen=True, slots=True)
class SleepSettings:
    source_rule: SourceRule
    """Which session of a sleep period is primary (``ETL_SLEEP_SOURCE_PRIORITY``)."""
    min_night_minutes: int
    """Time in bed that makes a sleep period a night (``ETL_SLEEP_MIN_NIGHT_MINUTES``)."""


class SleepConfig(EnvSettings):
    """``ETL_SLEEP_*`` from the environment, then a ``.env`` file (as core's settings); an
    empty value counts as unset (the default)."""

    env_prefix = "ETL_SLEEP_"
    env_ignore_empty = True

    source_priority: str = ""
    """``ETL_SLEEP_SOURCE_PRIORITY``: comma-separated criteria (``staged``, ``architecture``,
    ``coverage``, ``duration``) and package names, most preferred first; terms that are
    neither are reported in the insights as ignored (see
    :func:`etl_sleep.source_rule.parse_source_rule`). Empty: the default rule."""
    min_night_minutes: int = setting(DEFAULT_MIN_NIGHT_MIN, gt=0)
    """``ETL_SLEEP_MIN_NIGHT_MINUTES``: time in bed, in whole minutes (> 0), that makes a sleep
    period a night rather than a nap."""

    def resolved(self) -> SleepSettings:
        """What the hooks use: the parsed source rule and the night threshold."""
        return SleepSettings(
            source_rule=parse_source_rule(self.source_priority or None),
            min_night_minutes=self.min_night_minutes,
        )


DEFAULT_SETTINGS = SleepConfig.defaults().resolved()
"""The settings before (or without) ``etl_configure``: every default, the environment unread."""
