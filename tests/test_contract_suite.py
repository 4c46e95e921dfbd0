"""The plugin contract suite (:class:`etl_core.testing.PluginContract`) catches what it
promises to catch: it runs, in a pytest subprocess, against throwaway pip-installed plugins that
each break one rule, and must fail exactly the test for that rule."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET

import pytest

from tests.support.install import install_into

PLUGIN = """
from etl_core import ProcessResult, RecordTypeSpec, ValueRange, hookimpl

ETL_PLUGIN_API = "1"
CALLS = []
SPEC = RecordTypeSpec(
    name="BodyTemperatureRecord",
    health_domain="vital_signs",
    reader_schema=None,
    required_fields=("metadata.id", "temperatureInCelsius"),
    ranges={ranges},
    time_fields=("timeEpochMillis",),
    instructions=("Summarise my temperatures.",),
)


@hookimpl
def etl_record_types():
    return [SPEC]


@hookimpl
def etl_process(batch, spec, validation):
    if {checks_type} and batch.record_type != SPEC.name:
        return None
    CALLS.append(1)
    values = [r["temperatureInCelsius"] for r in batch.records]
    mean = round(sum(values) / len(values), 1)
    insights = {{"readings": len(values), "mean_celsius": mean}}
    if {stateful}:
        insights["calls_so_far"] = len(CALLS)
    narrative = f"{{len(values)}} readings averaged {{mean}} °C." + {extra_sentence!r}
    return ProcessResult(narrative=narrative, insights=insights, summary="temperatures")
"""

RANGE = '{"temperatureInCelsius": ValueRange(30.0, 45.0, "°C")}'
VARIANTS = {
    # name: (ranges, checks record type, keeps state, extra narrative sentence)
    "good": (RANGE, True, False, ""),
    "chatty": (RANGE, True, False, " Fever starts at 38 °C."),
    "greedy": (RANGE, False, False, ""),
    "stateful": (RANGE, True, True, ""),
    "lax": ("{}", True, False, ""),
}

SUITE = """
from etl_core.testing import PluginContract, make_metadata

RECORDS = [
    {{
        "metadata": make_metadata(f"t-{{i}}"),
        "timeEpochMillis": 1_758_400_000_000 + i * 600_000,
        "zoneOffsetId": "-05:00",
        "temperatureInCelsius": 36.5 + i / 10,
    }}
    for i in range(5)
]
OUT_OF_RANGE = [*RECORDS[:4], {{**RECORDS[4], "temperatureInCelsius": 99.0}}]


class Base(PluginContract):
    record_types = ("BodyTemperatureRecord",)

    def valid_sample(self, record_type):
        return RECORDS

    def invalid_sample(self, record_type):
        return OUT_OF_RANGE

{classes}

class TestUndeclaredType(Base):
    entry_point = "good"
    record_types = ("BodyTemperatureRecord", "RespiratoryRateRecord")
"""

CONTRACT_TESTS = {
    "test_entry_point_is_installed_and_loads",
    "test_registration_matches_the_declared_record_types",
    "test_valid_samples_pass_validation",
    "test_invalid_samples_produce_findings",
    "test_foreign_record_types_are_ignored",
    "test_processing_returns_insights_and_a_supported_narrative",
    "test_emit_produces_a_valid_training_example",
    "test_concurrent_processing_gives_identical_results",
}


@pytest.fixture(scope="module")
def failures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, set[str]]:
    """Failed contract tests by test class, after one pytest run over every variant."""
    root = tmp_path_factory.mktemp("contract")
    site = root / "site"
    projects = []
    for name, (ranges, checks_type, stateful, extra) in VARIANTS.items():
        package = root / f"etl-contract-{name}" / f"etl_contract_{name}"
        package.mkdir(parents=True)
        (package / "__init__.py").write_text(
            PLUGIN.format(
                ranges=ranges, checks_type=checks_type, stateful=stateful, extra_sentence=extra
            ),
            encoding="utf-8",
        )
        (package.parent / "pyproject.toml").write_text(
            textwrap.dedent(f"""
                [build-system]
                requires = ["setuptools>=69"]
                build-backend = "setuptools.build_meta"

                [project]
                name = "etl-contract-{name}"
                version = "0.0.1"

                [project.entry-points."etl_core.plugins"]
                {name} = "etl_contract_{name}"

                [tool.setuptools]
                packages = ["etl_contract_{name}"]
            """),
            encoding="utf-8",
        )
        projects.append(str(package.parent))
    install_into(site, projects)
    classes = "\n".join(
        f"class Test{name.title()}(Base):\n    entry_point = {name!r}\n" for name in VARIANTS
    )
    suite = root / "test_variants.py"
    suite.write_text(SUITE.format(classes=classes), encoding="utf-8")
    report = root / "report.xml"
    path = os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": path}
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            f"--rootdir={root}",
            f"--junitxml={report}",
            str(suite),
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    results: dict[str, set[str]] = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        test_class = case.get("classname", "").rsplit(".", 1)[-1]
        results.setdefault(test_class, set())
        if case.find("failure") is not None or case.find("error") is not None:
            results[test_class].add(case.get("name", ""))
    return results


def test_a_correct_plugin_passes_every_contract_test(failures: dict[str, set[str]]) -> None:
    assert "TestGood" in failures
    assert failures["TestGood"] == set()


@pytest.mark.parametrize(
    ("variant", "broken_rule"),
    [
        ("TestChatty", "test_processing_returns_insights_and_a_supported_narrative"),
        ("TestGreedy", "test_foreign_record_types_are_ignored"),
        ("TestStateful", "test_concurrent_processing_gives_identical_results"),
        ("TestLax", "test_invalid_samples_produce_findings"),
    ],
)
def test_a_plugin_breaking_one_rule_fails_that_test_only(
    failures: dict[str, set[str]], variant: str, broken_rule: str
) -> None:
    assert broken_rule in CONTRACT_TESTS
    assert failures[variant] == {broken_rule}


def test_undeclared_record_types_fail_registration(failures: dict[str, set[str]]) -> None:
    assert "test_registration_matches_the_declared_record_types" in failures["TestUndeclaredType"]


def test_export_sample_prefers_real_exports_and_falls_back_to_the_synthetic_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from etl_core.testing import export_sample, real_samples, synthetic_samples

    synthetic = synthetic_samples("StepsRecord")
    assert [p.parent.name for p in synthetic] == ["health-connect"]
    if real_samples("StepsRecord"):
        assert export_sample("StepsRecord") == real_samples("StepsRecord")[0].read_bytes()
    monkeypatch.setenv("ETL_SAMPLES_DIR", "/nonexistent")
    assert export_sample("StepsRecord") == synthetic[0].read_bytes()
