"""``etl plugins new``: names, rendering, the template's two copies, and (slow) a rendered
plugin installed with etl-core in a fresh virtual environment, tested and run as a user would."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
import venv
from pathlib import Path

import pytest

from etl_core import __version__
from etl_core.cli.scaffold import ScaffoldError, core_requirement, plugin_names, render_plugin
from etl_core.testing import training_examples

REPO = Path(__file__).resolve().parents[1]
CANONICAL = REPO / "etl_core" / "plugin_template"
MIRROR = REPO / "plugins" / "template"


def files_under(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def etl(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "etl_core", *args], capture_output=True, text=True, cwd=cwd
    )


def test_plugins_template_mirrors_the_packaged_template() -> None:
    assert files_under(MIRROR) == files_under(CANONICAL), (
        "plugins/template differs from etl_core/plugin_template; edit the latter and copy it: "
        "rm -r plugins/template && cp -r etl_core/plugin_template plugins/template"
    )


@pytest.mark.parametrize(
    ("name", "entry_point", "distribution", "package"),
    [
        ("bloodpressure", "bloodpressure", "etl-bloodpressure", "etl_bloodpressure"),
        ("etl-blood-pressure", "blood_pressure", "etl-blood-pressure", "etl_blood_pressure"),
        ("Body Temp", "body_temp", "etl-body-temp", "etl_body_temp"),
    ],
)
def test_names_are_derived_from_the_chosen_name(
    name: str, entry_point: str, distribution: str, package: str
) -> None:
    names = plugin_names(name, "BodyTemperatureRecord", "vital_signs")
    assert (names.entry_point, names.distribution, names.package) == (
        entry_point,
        distribution,
        package,
    )
    assert plugin_names(name, "BodyTemperatureRecord").domain == entry_point


@pytest.mark.parametrize(
    ("name", "record_type", "domain"),
    [
        ("9lives", "BodyTemperatureRecord", None),
        ("etl", "BodyTemperatureRecord", None),
        ("core", "BodyTemperatureRecord", None),
        ("temp", "BodyTemperature", None),
        ("temp", "bodyTemperatureRecord", None),
        ("temp", "BodyTemperatureRecord", "Vital Signs"),
    ],
)
def test_unusable_names_are_refused(name: str, record_type: str, domain: str | None) -> None:
    with pytest.raises(ScaffoldError):
        plugin_names(name, record_type, domain)


def test_rendered_plugin_has_every_placeholder_filled(tmp_path: Path) -> None:
    names = plugin_names("respiration", "RespiratoryRateRecord", "vital_signs")
    written = render_plugin(names, tmp_path / "etl-respiration")
    relative = {p.relative_to(tmp_path / "etl-respiration").as_posix() for p in written}
    assert {
        "pyproject.toml",
        "README.md",
        "src/etl_respiration/plugin.py",
        "src/etl_respiration/RespiratoryRateRecord.avsc",
        "tests/test_respiration_contract.py",
        ".gitignore",
    } <= relative
    assert "TEMPLATE.md" not in relative
    for path in written:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\{\{\w+\}\}", text), path
        if path.suffix == ".py":
            compile(text, str(path), "exec")
    project = tomllib.loads((tmp_path / "etl-respiration" / "pyproject.toml").read_text())
    assert project["project"]["name"] == "etl-respiration"
    assert project["project"]["entry-points"]["etl_core.plugins"] == {
        "respiration": "etl_respiration.plugin"
    }
    assert project["project"]["dependencies"] == [core_requirement(__version__)]
    ignored = (tmp_path / "etl-respiration" / ".gitignore").read_text().split()
    assert {"sample-data/", "etl-output/", "__pycache__/", ".venv/"} <= set(ignored)
    schema = json.loads(
        (tmp_path / "etl-respiration/src/etl_respiration/RespiratoryRateRecord.avsc").read_text()
    )
    assert schema["name"] == "AvroRespiratoryRateRecord"


@pytest.mark.parametrize(
    ("version", "requirement"),
    [
        ("0.1.0", "etl-core>=0.1,<1"),
        ("1.4.2", "etl-core>=1.4,<2"),
        ("2.0.0rc1", "etl-core>=2.0,<3"),
        ("0.0.0", "etl-core>=0.0,<1"),
    ],
)
def test_a_new_plugin_pins_this_cores_minor_up_to_the_next_major(
    version: str, requirement: str
) -> None:
    assert core_requirement(version) == requirement


def test_command_creates_the_folder_and_refuses_to_overwrite(tmp_path: Path) -> None:
    args = ["plugins", "new", "respiration", "--record-type", "RespiratoryRateRecord"]
    first = etl(*args, "--dest", str(tmp_path))
    assert first.returncode == 0, first.stderr
    assert (tmp_path / "etl-respiration" / "src" / "etl_respiration" / "plugin.py").is_file()
    assert "pip install -e" in first.stdout
    again = etl(*args, "--dest", str(tmp_path))
    assert again.returncode == 2
    assert again.stderr.strip().splitlines() == [
        f"etl: error: {tmp_path / 'etl-respiration'} already exists and is not an empty folder"
    ]
    bad = etl("plugins", "new", "x", "--record-type", "Respiration", "--dest", str(tmp_path))
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_the_walk_through_names_the_sample_file_the_template_writes(tmp_path: Path) -> None:
    """docs/writing-plugins.md shows commands on the file step 5 writes: it must exist."""
    names = plugin_names("bloodoxygen", "OxygenSaturationRecord", "vital_signs")
    render_plugin(names, tmp_path / "etl-bloodoxygen")
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "etl-bloodoxygen" / "src")}
    written = subprocess.run(
        [sys.executable, "-m", "etl_bloodoxygen.samples", str(tmp_path / "sample-data")],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout.strip()
    name = Path(written).name
    guide = (REPO / "docs" / "writing-plugins.md").read_text(encoding="utf-8")
    assert f"sample-data/{name}" in guide
    assert re.findall(r"OxygenSaturationRecord_\d+\.avro", guide) == [name] * len(
        re.findall(r"OxygenSaturationRecord_\d+\.avro", guide)
    )


@pytest.mark.slow
def test_rendered_plugin_installs_beside_etl_core_and_runs(tmp_path: Path) -> None:
    """The whole newcomer path in a fresh virtual environment: pip install etl-core (a wheel
    built from this checkout, so the template must be package data) and the rendered plugin,
    then its tests, ``etl plugins`` and ``etl run`` on a generated file."""
    environment = tmp_path / "venv"
    venv.create(environment, with_pip=True)
    bin_dir = environment / ("Scripts" if os.name == "nt" else "bin")
    python, etl_command = str(bin_dir / "python"), str(bin_dir / "etl")
    env = {**os.environ, "ETL_PSEUDONYM_KEY": "test-key"}
    env.pop("PYTHONPATH", None)

    def run(*command: str, cwd: Path = tmp_path) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(command, capture_output=True, text=True, cwd=cwd, env=env)
        assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
        return result

    run(python, "-m", "pip", "install", "--quiet", str(REPO))
    run(
        etl_command,
        "plugins",
        "new",
        "blood oxygen",
        "--record-type",
        "OxygenSaturationRecord",
        "--domain",
        "vital_signs",
    )
    plugin = tmp_path / "etl-blood-oxygen"
    names = plugin_names("blood oxygen", "OxygenSaturationRecord", "vital_signs")
    templates = [p for p in files_under(CANONICAL) if p.endswith(".tmpl")]
    expected = {names.fill(p.removesuffix(".tmpl")) for p in templates}
    assert set(files_under(plugin)) == expected, (
        "the installed template differs from etl_core/plugin_template (a stale build/ folder "
        "in the checkout? delete it and reinstall)"
    )
    run(python, "-m", "pip", "install", "--quiet", f"{plugin}[test]")
    tests = run(python, "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=plugin)
    assert " passed" in tests.stdout and "failed" not in tests.stdout

    listed = json.loads(run(etl_command, "plugins", "--json").stdout)
    [ours] = [p for p in listed if p["name"] == "blood_oxygen"]
    assert ours["distribution"] == "etl-blood-oxygen"
    assert ours["record_types"] == [
        {"name": "OxygenSaturationRecord", "health_domain": "vital_signs"}
    ]

    run(python, "-m", "etl_blood_oxygen.samples", str(tmp_path / "data"))
    run(etl_command, "run", str(tmp_path / "data"), "--out", str(tmp_path / "out"))
    # One local day of readings: its window's two examples, a clinician summary and a note.
    summary, note = training_examples(tmp_path / "out", "vital_signs")
    for example in (summary, note):
        assert example["metadata"]["processor"] == "blood_oxygen 0.1.0"
        assert example["metadata"]["window"]["key"] == "day:2025-10-09"
    assert summary["metadata"]["example_kind"] == "clinician_summary"
    assert summary["output"].startswith("On 2025-10-09, 24 OxygenSaturationRecord readings")
    assert note["metadata"]["example_kind"] == "personal_note"
