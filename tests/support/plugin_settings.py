"""The ``ETL_*`` variables that plugins declare through ``etl_settings``, for the drift tests that
keep them documented beside core's own settings.

The plugins are the repository's bundled ones (the folders with an ``etl_core.plugins`` entry
point: what ``.env.example`` and the deployment configure) plus any other installed plugin. A
bundled plugin need not be installed: the core-only test session has none, yet its settings
are still documented and deployed. So the plugins are asked in a separate interpreter whose
path holds every bundled plugin's sources, and nothing is imported into the test process.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_ASK = r"""
import importlib, importlib.metadata, inspect, json, sys
import pluggy
from etl_core.contract import hookspecs
from etl_core.engine.registry import ENTRY_POINT_GROUP, settings_variable

bundled, values = json.loads(sys.stdin.read())
manager = pluggy.PluginManager("etl_core")
manager.add_hookspecs(hookspecs)
modules = dict(bundled)
for entry in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
    modules.setdefault(entry.name, entry.value)
for name, target in sorted(modules.items()):
    manager.register(importlib.import_module(target.partition(":")[0]), name=name)
found, errors, by_class = {}, [], {}
for declared in manager.hook.etl_settings():
    if declared is None:
        continue
    envsettings = hasattr(declared, "field_names")
    for field in declared.field_names() if envsettings else declared.model_fields:
        variable = settings_variable(declared, (field,))
        found[variable] = {"file": inspect.getfile(declared), "field": field}
        if variable in values:
            by_class.setdefault(declared, {})[field] = values[variable]
for declared, fields in by_class.items():
    ignore_empty = (
        declared.env_ignore_empty
        if hasattr(declared, "field_names")
        else declared.model_config.get("env_ignore_empty")
    )
    if ignore_empty:
        fields = {k: v for k, v in fields.items() if v != ""}
    try:
        declared(_env_file=None, **fields)
    except Exception as exc:
        errors.append(f"{declared.__name__}: {exc}")
print(json.dumps({"settings": found, "errors": errors}))
"""


@dataclass(frozen=True)
class PluginSetting:
    variable: str
    field: str
    source: Path
    """The file defining the plugin's settings class."""

    @property
    def project(self) -> Path:
        """The plugin's distribution folder (the nearest ``pyproject.toml`` above it)."""
        return next(p for p in self.source.parents if (p / "pyproject.toml").exists())


def bundled_plugins() -> dict[str, tuple[str, Path]]:
    """Entry-point name -> (module, ``src`` folder) of each plugin kept in this repository."""
    found: dict[str, tuple[str, Path]] = {}
    for pyproject in sorted(ROOT.glob("*/pyproject.toml")) + sorted(
        ROOT.glob("plugins/*/pyproject.toml")
    ):
        project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
        for name, target in project.get("entry-points", {}).get("etl_core.plugins", {}).items():
            found[name] = (target, pyproject.parent / "src")
    return found


def _ask(values: dict[str, str]) -> dict[str, object]:
    plugins = bundled_plugins()
    path = os.pathsep.join(
        [*(str(src) for _, src in plugins.values()), os.environ.get("PYTHONPATH", "")]
    )
    result = subprocess.run(
        [sys.executable, "-c", _ASK],
        input=json.dumps([{name: module for name, (module, _) in plugins.items()}, values]),
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": path},
        timeout=120,
        check=True,
    )
    answer: dict[str, object] = json.loads(result.stdout)
    return answer


@functools.cache
def plugin_settings() -> dict[str, PluginSetting]:
    """Each plugin setting's variable -> where it is declared."""
    declared = _ask({})["settings"]
    assert isinstance(declared, dict)
    return {
        variable: PluginSetting(variable, where["field"], Path(where["file"]))
        for variable, where in declared.items()
    }


def plugin_setting_names() -> set[str]:
    return set(plugin_settings())


def validate_plugin_settings(values: dict[str, str]) -> None:
    """Check plugin settings given as text (as the environment gives them) with their classes;
    raises ``ValueError`` naming each invalid one."""
    errors = _ask(values)["errors"]
    if errors:
        raise ValueError("; ".join(map(str, errors)))
