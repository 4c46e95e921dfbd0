"""Start-up loads what discovery needs and nothing more: ``etl plugins`` (and the plugin
loading every command starts with) imports no Avro decoder, no structured-logging library and
no plugin's analysis. Those load when a file is processed or a hook runs.

Asserts on the names of the modules a fresh interpreter imports, never on time: timings are
the benchmark's business (``benchmarks/process_bench.py``)."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from etl_core.testing import synthetic_samples

NEVER_AT_START_UP = (
    "fastavro",
    "avro",
    "structlog",
    "etl_core.engine.decode",
    "etl_core.engine.validate",
    "etl_core.engine.pipeline",
    "etl_core.review",
    "etl_core.cli.scaffold",
    "rich",
)
"""Modules (and their submodules) that listing plugins must not import."""

SETTINGS_LIBRARIES = ("pydantic", "pydantic_settings", "pydantic_core")
"""What core's settings and every bundled plugin's (``EnvSettings``) do without."""

PLUGIN_WORK = (
    "etl_glucose.analysis",
    "etl_glucose.charts",
    "etl_glucose.narrative",
    "etl_glucose.readings",
    "etl_glucose.window_process",
    "etl_heartrate.charts",
    "etl_heartrate.hr_report",
    "etl_heartrate.hrv",
    "etl_heartrate.hrv_report",
    "etl_heartrate.samples",
    "etl_heartrate.window_report",
    "etl_sleep.analysis",
    "etl_sleep.charts",
    "etl_sleep.window_insights",
    "etl_sleep.windows_process",
    "etl_activity.charts",
    "etl_activity.report",
    "etl_activity.window_insights",
    "etl_activity.window_report",
    "etl_bloodpressure.analysis",
    "etl_bloodpressure.narrative",
    "etl_bloodpressure.windows",
)
"""The bundled plugins' processing modules: their hook modules import them inside the hooks."""


def _modules_imported_by(record: Path, *args: str) -> tuple[set[str], str]:
    """Every module in ``sys.modules`` when a fresh ``etl ARGS`` exits, and what it printed.
    (``-X importtime`` would miss modules imported through ``importlib``, as entry points
    are.)"""
    program = (
        "import atexit, json, sys\n"
        f"out = open({str(record)!r}, 'w')\n"
        "atexit.register(lambda: out.write(json.dumps(sorted(sys.modules))) and out.close())\n"
        "from etl_core.cli.app import main\n"
        "main()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", program, *args],
        capture_output=True,
        text=True,
        env={**os.environ, "ETL_ENABLE_METRICS": "false", "ETL_DISABLED_PLUGINS": ""},
        timeout=120,
        check=True,
    )
    return set(json.loads(record.read_text())), result.stdout


def _under(names: set[str], prefixes: tuple[str, ...]) -> list[str]:
    return sorted(n for n in names if any(n == p or n.startswith(p + ".") for p in prefixes))


@pytest.fixture(scope="module")
def listing(tmp_path_factory: pytest.TempPathFactory) -> tuple[set[str], list[dict[str, object]]]:
    record = tmp_path_factory.mktemp("startup") / "modules.json"
    names, out = _modules_imported_by(record, "plugins", "--json")
    return names, json.loads(out)


def test_etl_plugins_loads_no_decoder_logging_or_review_machinery(
    listing: tuple[set[str], list[dict[str, object]]],
) -> None:
    names, _ = listing
    assert "etl_core.engine.registry" in names, "the import trace was read"
    assert not _under(names, NEVER_AT_START_UP), _under(names, NEVER_AT_START_UP)


def _plugins_declaring_pydantic_settings() -> list[str]:
    """Installed plugin distributions that depend on pydantic-settings (API 1.3 settings)."""
    return sorted(
        entry.dist.name
        for entry in importlib.metadata.entry_points(group="etl_core.plugins")
        if entry.dist is not None
        and any(r.startswith("pydantic-settings") for r in entry.dist.requires or ())
    )


def test_etl_plugins_imports_no_settings_library_when_no_plugin_asks_for_one(
    listing: tuple[set[str], list[dict[str, object]]],
) -> None:
    if _plugins_declaring_pydantic_settings():
        pytest.skip(f"installed: {_plugins_declaring_pydantic_settings()}")
    names, _ = listing
    assert not _under(names, SETTINGS_LIBRARIES), _under(names, SETTINGS_LIBRARIES)


def test_etl_plugins_imports_each_plugins_hook_module_but_not_its_analysis(
    listing: tuple[set[str], list[dict[str, object]]],
) -> None:
    names, rows = listing
    # Installed distributions, not find_spec: the repository's plugin folders import as
    # namespace packages in the core-only session.
    packages = {
        entry.value.partition(".")[0]
        for entry in importlib.metadata.entry_points(group="etl_core.plugins")
    }
    installed = [module for module in PLUGIN_WORK if module.partition(".")[0] in packages]
    if not installed:
        pytest.skip("no bundled plugin is installed")
    for package in {module.partition(".")[0] for module in installed}:
        assert f"{package}.plugin" in names, f"{package}'s hook module was loaded"
    assert not _under(names, tuple(installed)), _under(names, tuple(installed))
    # Still a whole listing: every record type a plugin declares, from its cheap spec modules.
    assert any(row["record_types"] for row in rows)


NOT_FOR_AN_EMBEDDED_RUN = (
    "prometheus_client",
    "sqlalchemy.dialects.postgresql",
    "pika",
    "boto3",
    *SETTINGS_LIBRARIES,
)
"""What ``etl run`` on local files, without a metrics endpoint, has no use for."""


def test_etl_run_without_metrics_loads_no_prometheus_postgresql_or_transport(
    tmp_path: Path,
) -> None:
    sample = synthetic_samples()[0]
    names, _ = _modules_imported_by(
        tmp_path / "modules.json", "run", str(sample), "--out", str(tmp_path / "out")
    )
    assert "etl_core.stores.history.sql" in names, "the run used the SQLite history"
    unwanted = tuple(
        name
        for name in NOT_FOR_AN_EMBEDDED_RUN
        if name not in SETTINGS_LIBRARIES or not _plugins_declaring_pydantic_settings()
    )
    assert not _under(names, unwanted), _under(names, unwanted)
    assert list((tmp_path / "out").rglob("*.jsonl")), "the run wrote its examples"
