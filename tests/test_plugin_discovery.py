"""Discovery through real, pip-installed throwaway distributions (entry-point group
``etl_core.plugins``), observed through the ``etl`` command as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from etl_core.testing import training_examples
from tests.support.install import install_into
from tests.support.records import temperature_file, temperature_records

PLUGIN_TEMPLATE = """
from etl_core import ProcessResult, RecordTypeSpec, hookimpl
{extra_import}
ETL_PLUGIN_API = "{api}"


@hookimpl
def etl_record_types():
    return [RecordTypeSpec(name="{record_type}", health_domain="vital_signs", reader_schema=None,
                           time_fields=("timeEpochMillis",),
                           instructions=("Summarise my temperatures.",))]


@hookimpl
def {process_hook}(batch, spec, validation):
    return ProcessResult(narrative="{who} read {{}} records.".format(len(batch.records)),
                         insights={{"records": len(batch.records)}}, summary="temperatures")
"""

DISTRIBUTIONS = {
    # entry-point name: (api, record type, process hook name, extra import)
    "goodtemp": ("1", "BodyTemperatureRecord", "etl_process", ""),
    "rivaltemp": ("1", "BodyTemperatureRecord", "etl_process", ""),
    "broken": (
        "1",
        "BasalBodyTemperatureRecord",
        "etl_process",
        "import a_module_that_is_not_installed",
    ),
    "oldapi": ("0", "RespiratoryRateRecord", "etl_process", ""),
    "typo": ("1", "Vo2MaxRecord", "etl_proces", ""),
}


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    sources = tmp_path_factory.mktemp("plugin-sources")
    target = tmp_path_factory.mktemp("plugin-site")
    projects = []
    for name, (api, record_type, hook, extra) in DISTRIBUTIONS.items():
        project = sources / f"etl-test-{name}"
        package = project / f"etl_test_{name}"
        package.mkdir(parents=True)
        (package / "__init__.py").write_text(
            PLUGIN_TEMPLATE.format(
                api=api, record_type=record_type, process_hook=hook, extra_import=extra, who=name
            )
        )
        (project / "pyproject.toml").write_text(
            textwrap.dedent(f"""
            [build-system]
            requires = ["setuptools>=69"]
            build-backend = "setuptools.build_meta"

            [project]
            name = "etl-test-{name}"
            version = "1.2.3"

            [project.entry-points."etl_core.plugins"]
            {name} = "etl_test_{name}"

            [tool.setuptools]
            packages = ["etl_test_{name}"]
        """)
        )
        projects.append(str(project))
    install_into(target, projects)
    return target


def etl(
    site: Path, *args: str, disabled: set[str] = frozenset(), cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]),
        "ETL_DISABLED_PLUGINS": ",".join(sorted(disabled)),
        "ETL_PSEUDONYM_KEY": "test-key",
    }
    return subprocess.run(
        [sys.executable, "-m", "etl_core", *args], capture_output=True, text=True, env=env, cwd=cwd
    )


ALL_BAD = {"rivaltemp", "broken", "oldapi", "typo"}


def assert_one_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode == 3
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0]


def test_installed_plugin_is_discovered_with_its_version_and_record_types(
    plugin_site: Path,
) -> None:
    result = etl(plugin_site, "plugins", "--json", disabled=ALL_BAD)
    assert result.returncode == 0, result.stderr
    plugins = {p["name"]: p for p in json.loads(result.stdout)}
    assert plugins["goodtemp"]["distribution"] == "etl-test-goodtemp"
    assert plugins["goodtemp"]["version"] == "1.2.3"
    assert plugins["goodtemp"]["record_types"] == [
        {"name": "BodyTemperatureRecord", "health_domain": "vital_signs"}
    ]
    assert {"etl-core.generic-checks", "etl-core.fallback", "etl-core.training-jsonl"} <= set(
        plugins
    )


def test_installed_plugin_processes_a_file_through_etl_run(
    plugin_site: Path, tmp_path: Path
) -> None:
    source = tmp_path / "in" / "BodyTemperatureRecord_1.avro"
    source.parent.mkdir()
    source.write_bytes(temperature_file(temperature_records(5)))
    result = etl(
        plugin_site, "run", str(source.parent), "--out", str(tmp_path / "out"), disabled=ALL_BAD
    )
    assert result.returncode == 0, result.stderr
    [example_file] = (tmp_path / "out" / "training" / "vital_signs").rglob("examples/*.json")
    example = json.loads(example_file.read_text())
    assert example["output"] == "goodtemp read 5 records."
    assert example["metadata"]["processor"] == "goodtemp 1.2.3"


def test_two_plugins_claiming_one_record_type_stop_start_up(plugin_site: Path) -> None:
    result = etl(plugin_site, "plugins", disabled=ALL_BAD - {"rivaltemp"})
    assert_one_line_error(result, "BodyTemperatureRecord", "'goodtemp'", "'rivaltemp'")


def test_plugin_that_fails_to_import_stops_start_up(plugin_site: Path) -> None:
    result = etl(plugin_site, "plugins", disabled=ALL_BAD - {"broken"})
    assert_one_line_error(
        result, "'broken'", "etl-test-broken", "failed to import", "ModuleNotFoundError"
    )


def test_plugin_for_another_api_major_is_refused(plugin_site: Path) -> None:
    result = etl(plugin_site, "plugins", disabled=ALL_BAD - {"oldapi"})
    assert_one_line_error(result, "'oldapi'", "plugin API '0'")


def test_misspelled_hook_is_caught_by_check_pending(plugin_site: Path) -> None:
    result = etl(plugin_site, "plugins", disabled=ALL_BAD - {"typo"})
    assert_one_line_error(result, "'typo'", "etl_proces", "does not exist")


def test_disabled_plugin_is_not_loaded_and_its_type_falls_back(
    plugin_site: Path, tmp_path: Path
) -> None:
    result = etl(plugin_site, "plugins", "--json", disabled=ALL_BAD | {"goodtemp"})
    assert result.returncode == 0, result.stderr
    assert "goodtemp" not in {p["name"] for p in json.loads(result.stdout)}
    source = tmp_path / "BodyTemperatureRecord_2.avro"
    source.write_bytes(temperature_file(temperature_records(3)))
    run = etl(
        plugin_site,
        "run",
        str(source),
        "--out",
        str(tmp_path / "out"),
        disabled=ALL_BAD | {"goodtemp"},
    )
    assert run.returncode == 0, run.stderr
    [example] = training_examples(tmp_path / "out", "unclassified")
    assert example["metadata"]["processor"].startswith("etl-core generic")
