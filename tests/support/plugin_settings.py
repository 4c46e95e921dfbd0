"""The ``ETL_*`` variables that installed plugins declare through ``etl_settings``, for the
drift tests that keep them documented beside core's own settings."""

from __future__ import annotations

import importlib.metadata

import pluggy
from pydantic_settings import BaseSettings

from etl_core.contract import hookspecs
from etl_core.engine.registry import ENTRY_POINT_GROUP, settings_variable


def plugin_settings() -> dict[str, tuple[type[BaseSettings], str]]:
    """Each installed plugin's setting variable -> (its settings class, its field). The plugins
    are asked through a bare plugin manager, so no plugin is configured as a side effect."""
    manager = pluggy.PluginManager("etl_core")
    manager.add_hookspecs(hookspecs)
    for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        manager.register(entry_point.load(), name=entry_point.name)
    variables: dict[str, tuple[type[BaseSettings], str]] = {}
    for declared in manager.hook.etl_settings():
        if declared is None:
            continue
        for field in declared.model_fields:
            variables[settings_variable(declared, (field,))] = (declared, field)
    return variables


def plugin_setting_names() -> set[str]:
    return set(plugin_settings())


def validate_plugin_settings(values: dict[str, str]) -> None:
    """Check plugin settings given as text (as the environment gives them) with their classes;
    raises pydantic's ValidationError for an invalid one."""
    known = plugin_settings()
    by_class: dict[type[BaseSettings], dict[str, str]] = {}
    for name, value in values.items():
        settings_class, field = known[name]
        if value == "" and settings_class.model_config.get("env_ignore_empty"):
            continue  # the environment would leave it unset: the default
        by_class.setdefault(settings_class, {})[field] = value
    for settings_class, fields in by_class.items():
        settings_class(_env_file=None, **fields)  # type: ignore[call-arg]
