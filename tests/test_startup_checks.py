"""Start-up refuses a plugin whose declarations cannot work, in one line naming the plugin (and
the record type and field), through real pip-installed throwaway distributions and ``etl``."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from etl_core import PLUGIN_API_VERSION
from etl_core.engine.registry import api_problem
from tests.support.install import install_into
from tests.support.records import temperature_records
from tests.support.temperature_plugin import SCHEMA

OXYGEN_SCHEMA = {
    **SCHEMA,
    "name": "AvroOxygenSaturationRecord",
    "fields": [
        *SCHEMA["fields"][:3],
        {"name": "percentage", "type": "double"},
        {"name": "device", "type": ["null", "string"], "default": None},
        SCHEMA["fields"][-1],
    ],
}

MODULE = """
from etl_core import ProcessResult, RecordTypeSpec, ValueRange, hookimpl

{api}
SCHEMA = {schema!r}


@hookimpl
def etl_record_types():
    return [
        RecordTypeSpec(
            name="OxygenSaturationRecord",
            health_domain={domain!r},
            reader_schema=SCHEMA,
            required_fields={required!r},
            ranges={ranges},
            time_fields={time_fields!r},
            instructions=("Summarise my oxygen saturation.",),
        )
    ]


@hookimpl
def etl_process({process_args}):
    if batch.record_type != "OxygenSaturationRecord":
        return None
    if {crashes}:
        raise ValueError(f"reading {{batch.records[0]['percentage']}} is not a percentage")
    return ProcessResult(narrative="SpO2 was recorded.", insights={{"records": 1}},
                         summary="oxygen")
{window}"""

WINDOW_CRASH = """

@hookimpl
def etl_windows(spec):
    from etl_core import WindowRule

    return [WindowRule.day()] if spec.name == "OxygenSaturationRecord" else None


@hookimpl
def etl_process_window(window, spec):
    if window.record_type != "OxygenSaturationRecord":
        return None
    raise ValueError(f"reading {window.records[0]['percentage']} is not a percentage")
"""

GOOD = {
    "api": 'ETL_PLUGIN_API = "1"',
    "schema": OXYGEN_SCHEMA,
    "domain": "vital_signs",
    "required": ("metadata.id", "percentage"),
    "ranges": '{"percentage": ValueRange(50.0, 100.0, "%")}',
    "time_fields": ("timeEpochMillis",),
    "process_args": "batch, spec, validation",
    "crashes": False,
    "window": "",
}

DISTRIBUTIONS = {
    "goodoxygen": {},
    "minorapi": {"api": 'ETL_PLUGIN_API = "1.0"'},
    "noapi": {"api": ""},
    "intapi": {"api": "ETL_PLUGIN_API = 1"},
    "futureapi": {"api": 'ETL_PLUGIN_API = "1.9"'},
    "notime": {"time_fields": ("time",)},
    "nestedtime": {"time_fields": ("metadata.lastModifiedTimeEpochMillis",)},
    "norequired": {"required": ("metadata.id", "percent")},
    "widerange": {"ranges": '{"percentage": ValueRange(0.0, 150.0, "%")}'},
    "inverted": {"ranges": '{"percentage": ValueRange(100.0, 50.0, "%")}'},
    "textrange": {"ranges": '{"zoneOffsetId": ValueRange(0.0, 1.0)}'},
    "arrayrange": {"ranges": '{"samples[].percentage": ValueRange(0.0, 100.0, "%")}'},
    "baddomain": {"domain": "Vital Signs"},
    "badargs": {"process_args": "batch, spek, validation"},
    "crashes": {"crashes": True},
    "windowcrash": {"window": WINDOW_CRASH},
}

REFUSALS = {
    # entry point: phrases the one line must hold
    "noapi": ["'noapi' from etl-test-noapi 1.0.0 does not declare ETL_PLUGIN_API", 'API = "1"'],
    "intapi": ["'intapi'", "declares ETL_PLUGIN_API = 1, but it must be a string"],
    "futureapi": [
        "'futureapi'",
        f"needs plugin API 1.9, newer than this etl-core's {PLUGIN_API_VERSION}",
    ],
    "notime": [
        "plugin 'notime' declares record type 'OxygenSaturationRecord' unusably",
        "time field time does not exist in the reader schema",
    ],
    "nestedtime": ["time field metadata.lastModifiedTimeEpochMillis must be a top-level field"],
    "norequired": ["'norequired'", "required field percent does not exist in the reader schema"],
    "widerange": [
        "'widerange'",
        "range of percentage (0-150 %) reaches outside what Health Connect accepts (0-100 %",
    ],
    "inverted": ["range of percentage is empty or inverted (low 100 must be below high 50)"],
    "textrange": ["range field zoneOffsetId is string in the reader schema, not a number"],
    "arrayrange": ["range field samples[].percentage does not exist in the reader schema"],
    "baddomain": ["health_domain 'Vital Signs' must be lower case"],
    "badargs": ["'badargs'", "does not match its hook", "spek"],
}


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    sources = tmp_path_factory.mktemp("startup-sources")
    target = tmp_path_factory.mktemp("startup-site")
    projects = []
    for name, changes in DISTRIBUTIONS.items():
        project = sources / f"etl-test-{name}"
        package = project / f"etl_test_{name}"
        package.mkdir(parents=True)
        (package / "__init__.py").write_text(MODULE.format(**{**GOOD, **changes}))
        (project / "pyproject.toml").write_text(
            textwrap.dedent(f"""
            [build-system]
            requires = ["setuptools>=69"]
            build-backend = "setuptools.build_meta"

            [project]
            name = "etl-test-{name}"
            version = "1.0.0"

            [project.entry-points."etl_core.plugins"]
            {name} = "etl_test_{name}"

            [tool.setuptools]
            packages = ["etl_test_{name}"]
            """)
        )
        projects.append(str(project))
    install_into(target, projects)
    return target


def etl(site: Path, *args: str, only: str) -> subprocess.CompletedProcess[str]:
    """``etl`` with every throwaway plugin but ``only`` disabled."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]),
        "ETL_DISABLED_PLUGINS": ",".join(sorted(set(DISTRIBUTIONS) - {only})),
        "ETL_PSEUDONYM_KEY": "test-key",
    }
    env.pop("ETL_LOG_LEVEL", None)
    return subprocess.run(
        [sys.executable, "-m", "etl_core", *args], capture_output=True, text=True, env=env
    )


@pytest.mark.parametrize("name", sorted(REFUSALS))
def test_a_plugin_that_cannot_work_is_refused_in_one_line(plugin_site: Path, name: str) -> None:
    result = etl(plugin_site, "plugins", only=name)
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for phrase in REFUSALS[name]:
        assert phrase in lines[0]
    assert "None" not in lines[0]


@pytest.mark.parametrize("name", ["goodoxygen", "minorapi", "crashes"])
def test_well_declared_plugins_load(plugin_site: Path, name: str) -> None:
    result = etl(plugin_site, "plugins", "--json", only=name)
    assert result.returncode == 0, result.stderr
    assert name in {p["name"] for p in json.loads(result.stdout)}


def test_the_api_version_semantic() -> None:
    assert api_problem("1") is None
    assert api_problem("1.0") is None
    assert api_problem(PLUGIN_API_VERSION) is None
    newer_minor = f"1.{int(PLUGIN_API_VERSION.split('.')[1]) + 1}"
    for refused in (None, 1, 1.0, "1.x", "v1", "", "2", "0.9", newer_minor):
        assert api_problem(refused) is not None, refused


def oxygen_file(tmp_path: Path) -> Path:
    from etl_core.testing import write_avro

    records = [
        {
            **{k: v for k, v in record.items() if k != "temperatureInCelsius"},
            "percentage": 97.0,
            "device": None,
        }
        for record in temperature_records(3)
    ]
    path = tmp_path / "in" / "OxygenSaturationRecord_1.avro"
    path.parent.mkdir(parents=True)
    path.write_bytes(write_avro(OXYGEN_SCHEMA, records))
    return path


def _mentions_reading(stderr: str, value: str) -> bool:
    """Whether a reading appears in what was logged; random ids and clock times may hold the
    same digits by chance, so log lines are read without them."""
    for line in stderr.splitlines():
        if line.startswith("{"):
            event = json.loads(line)
            for noise in ("correlation_id", "timestamp", "trace_id", "span_id"):
                event.pop(noise, None)
            line = json.dumps(event)
        if re.search(rf"(?<![\w.]){re.escape(value)}(?:\.0+)?(?![\w])", line):
            return True
    return False


def test_a_plugin_crash_is_one_line_and_debug_shows_the_traceback(
    plugin_site: Path, tmp_path: Path
) -> None:
    source = oxygen_file(tmp_path)
    plain = etl(plugin_site, "run", str(source), "--out", str(tmp_path / "a"), only="crashes")
    assert plain.returncode == 1
    assert "Traceback" not in plain.stderr
    [error] = [line for line in plain.stderr.splitlines() if line.startswith("etl: error:")]
    assert error.startswith(
        "etl: error: plugin 'crashes' raised ValueError in etl_process while processing "
        "OxygenSaturationRecord_1.avro: reading # is not a percentage"
    )
    assert "etl run --debug" in error
    assert not _mentions_reading(plain.stderr, "97")
    debug = etl(
        plugin_site, "run", str(source), "--out", str(tmp_path / "b"), "--debug", only="crashes"
    )
    assert debug.returncode == 1
    assert "plugin_traceback" in debug.stderr
    assert "Traceback (most recent call last)" in debug.stderr
    assert "etl_test_crashes" in debug.stderr


def test_a_window_crash_is_one_line_and_debug_shows_whose_traceback(
    plugin_site: Path, tmp_path: Path
) -> None:
    """``etl_process_window`` failing is reported as ``etl_process`` failing is: one line
    naming the plugin, and with ``--debug`` its traceback (never at the default level)."""
    source = oxygen_file(tmp_path)
    plain = etl(plugin_site, "run", str(source), "--out", str(tmp_path / "a"), only="windowcrash")
    assert plain.returncode == 1
    assert "Traceback" not in plain.stderr
    [error] = [line for line in plain.stderr.splitlines() if line.startswith("etl: error:")]
    assert error.startswith(
        "etl: error: plugin 'windowcrash' raised ValueError in etl_process_window while "
        "processing OxygenSaturationRecord day:"
    )
    assert not _mentions_reading(plain.stderr, "97")
    debug = etl(
        plugin_site,
        "run",
        str(source),
        "--out",
        str(tmp_path / "b"),
        "--debug",
        only="windowcrash",
    )
    assert debug.returncode == 1
    [traceback] = [
        json.loads(line)
        for line in debug.stderr.splitlines()
        if line.startswith("{") and json.loads(line)["event"] == "plugin_traceback"
    ]
    assert (traceback["plugin"], traceback["hook"]) == ("windowcrash", "etl_process_window")
    assert "Traceback (most recent call last)" in traceback["traceback"]
    assert "etl_test_windowcrash" in traceback["traceback"]
