"""The plugin contract suite (:class:`etl_core.testing.PluginContract`) catches what it
promises to catch: it runs, in a pytest subprocess, against throwaway pip-installed plugins that
each break one rule, and must fail exactly the test for that rule."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import pytest

from tests.support.install import install_into

PLUGIN = """
import logging
import statistics

from etl_core import (
    Dimension, ExampleKind, ExampleText, Finding, ProcessResult, RecordTypeSpec, Severity,
    ValueRange, WindowRule, hookimpl,
)

ETL_PLUGIN_API = {api!r}
CALLS = []
PREVIOUS = {{}}
SEEN = set()
SPEC = RecordTypeSpec(
    name="BodyTemperatureRecord",
    health_domain="vital_signs",
    reader_schema=None,
    required_fields=("metadata.id", "temperatureInCelsius"),
    ranges={ranges},
    time_fields={time_fields!r},
    instructions=("Summarise my temperatures.",),
    instructions_by_kind={note_phrasings},
)


@hookimpl
def etl_record_types():
    return [SPEC]


@hookimpl
def etl_validate(batch, spec):
{validate}


@hookimpl
def etl_process(batch, spec, validation):
    if {checks_type} and batch.record_type != SPEC.name:
        return None
    CALLS.append(1)
    values = [r["temperatureInCelsius"] for r in batch.records]
    if {declines_empty} and not values:
        return None
    mean = round(sum(values) / len(values), 1)
    insights = {{"readings": len(values), "mean_celsius": mean}}
    if {stateful}:
        insights["calls_so_far"] = len(CALLS)
    if {fragile}:
        insights["spread_celsius"] = round(statistics.stdev(values), 2)
    narrative = f"{{len(values)}} readings averaged {{mean}} °C." + {extra_sentence!r}
    return ProcessResult(narrative=narrative, insights=insights, summary="temperatures")

{charts}

{window_hooks}
"""

CHARTS = """
@hookimpl
def etl_review_charts(window, insights, spec):
    if window.record_type != SPEC.name:
        return None
    import dataclasses
    from etl_core.review.svg import Plot
    plot = Plot((0, len(window.records)), (30, 45))
    for i, record in enumerate(window.records):
        plot.point(i + 0.5, record["temperatureInCelsius"], "t", "a reading", "#000")
    chart = plot.chart("Temperatures", "Each reading of the window.")
    return [dataclasses.replace(chart, marks=chart.marks + EXTRA_MARKS)]
"""

WINDOWS = """
if {declares_windows}:
    @hookimpl
    def etl_windows(spec):
        if spec.name != SPEC.name:
            return None
        return [WindowRule.day()]


if {processes_windows}:
    @hookimpl
    def etl_process_window(window, spec):
        if window.record_type != SPEC.name:
            return None
        records = window.records
        if {counts_once}:
            # The mistake: "each record is counted once" across calls, by its id.
            records = [r for r in records if r["metadata"]["id"] not in SEEN]
            SEEN.update(r["metadata"]["id"] for r in records)
        if {rounds_in_place}:
            # The mistake: "tidying" the records it was handed, for everyone who shares them.
            for record in records:
                record["temperatureInCelsius"] = round(record["temperatureInCelsius"])
        values = [r["temperatureInCelsius"] for r in records]
        if not values:
            return None
        mean = round(sum(values) / len(values), 1)
        insights = {{"readings": len(values), "mean_celsius": mean}}
        if {fragile_window}:
            insights["spread_celsius"] = round(statistics.stdev(values), 2)
        if {remembers_previous}:
            # The mistake: "the previous window" is whichever was processed last.
            insights["previous_mean_celsius"] = PREVIOUS.get("mean", mean)
            PREVIOUS["mean"] = mean
        if {logs_values}:
            logging.getLogger(__name__).info("window highest %s", max(values))
        if {logs_spread} and len(values) > 1:
            insights["spread_celsius"] = round(statistics.stdev(values), 2)
            logging.getLogger(__name__).info("window spread %s", insights["spread_celsius"])
        summary = "; ".join(f"{{key}} {{value}}" for key, value in insights.items())
        return ProcessResult(
            narrative=f"{{len(values)}} readings averaged {{mean}} °C.",
            insights=insights,
            summary=summary,
            examples=[
                ExampleText(
                    ExampleKind.SUMMARY,
                    f"{{len(values)}} readings averaged {{mean}} °C." + {window_extra!r},
                ),
                ExampleText(ExampleKind.NOTE, f"Your temperature averaged {{mean}} °C."),
            ],
        )
"""


def _validator(body: str) -> str:
    return textwrap.indent(textwrap.dedent(body).strip(), "    ")


GUARDED = _validator("""
    if batch.record_type != SPEC.name:
        return None
    return []
""")
HOT = """
    if batch.record_type != SPEC.name:
        return None
    hot = frozenset(i for i, r in enumerate(batch.records) if r["temperatureInCelsius"] > 40)
    if not hot:
        return []
"""
VALIDATORS = {
    # No record-type guard: flags every record without its field, whatever the type.
    "unguarded": _validator("""
        missing = frozenset(
            i for i, r in enumerate(batch.records) if "temperatureInCelsius" not in r
        )
        if not missing:
            return []
        message = f"{len(missing)} of {len(batch.records)} records hold no temperature"
        return [Finding(Dimension.COMPLETENESS, Severity.ERROR, "no_temperature", message,
                        affected=len(missing), record_indices=missing)]
    """),
    "quoting": _validator(
        HOT
        + """
    highest = max(batch.records[i]["temperatureInCelsius"] for i in hot)
    return [Finding(Dimension.PHYSIOLOGICAL, Severity.WARNING, "fever",
                    f"a reading of {highest} °C is implausible", affected=len(hot))]
    """
    ),
    "noindex": _validator(
        HOT
        + """
    return [Finding(Dimension.PHYSIOLOGICAL, Severity.ERROR, "too_hot",
                    f"{len(hot)} readings are implausibly hot", affected=len(hot))]
    """
    ),
    "badindex": _validator(
        HOT
        + """
    return [Finding(Dimension.PHYSIOLOGICAL, Severity.ERROR, "too_hot",
                    f"{len(hot)} readings are implausibly hot", affected=len(hot),
                    record_indices=frozenset({-1, 10**9}))]
    """
    ),
}

RANGE = '{"temperatureInCelsius": ValueRange(30.0, 45.0, "°C")}'
NARROW = '{"temperatureInCelsius": ValueRange(36.6, 45.0, "°C")}'
TIME = ("timeEpochMillis",)
NOTE_PHRASINGS = '{ExampleKind.NOTE: ("Tell me about my temperatures.",)}'


@dataclass(frozen=True)
class Variant:
    """One throwaway plugin: the good one, or the good one with one mistake planted."""

    ranges: str = RANGE
    time_fields: tuple[str, ...] = TIME
    validate: str = GUARDED
    checks_type: bool = True
    declines_empty: bool = True
    stateful: bool = False
    fragile: bool = False
    extra_sentence: str = ""
    api: str = "1"
    charts: str = ""
    note_phrasings: str = NOTE_PHRASINGS
    declares_windows: bool = True
    processes_windows: bool = True
    remembers_previous: bool = False
    counts_once: bool = False
    fragile_window: bool = False
    logs_spread: bool = False
    logs_values: bool = False
    rounds_in_place: bool = False
    window_extra: str = ""

    def source(self) -> str:
        fields = dataclasses.asdict(self)
        fields["window_hooks"] = WINDOWS.format(**fields)
        return PLUGIN.format(**fields)


VARIANTS = {
    "good": Variant(),
    "chatty": Variant(extra_sentence=" Fever starts at 38 °C."),
    "greedy": Variant(checks_type=False),
    "stateful": Variant(stateful=True),
    "lax": Variant(ranges="{}"),
    "unguarded": Variant(validate=VALIDATORS["unguarded"]),
    "narrow": Variant(ranges=NARROW),
    "wrongtime": Variant(time_fields=("time",)),
    "quoting": Variant(validate=VALIDATORS["quoting"]),
    "noindex": Variant(validate=VALIDATORS["noindex"]),
    "badindex": Variant(validate=VALIDATORS["badindex"]),
    "fragile": Variant(fragile=True),
    "hollow": Variant(declines_empty=False),
    "drawn": Variant(api="1.2", charts=CHARTS.replace("EXTRA_MARKS", "0")),
    "miscounted": Variant(api="1.2", charts=CHARTS.replace("EXTRA_MARKS", "1")),
    "ungrounded": Variant(window_extra=" Fever starts at 38 °C."),
    "remembering": Variant(remembers_previous=True),
    "counting": Variant(counts_once=True),
    "lonely": Variant(fragile_window=True),
    "spreading": Variant(logs_spread=True),
    "unprocessed": Variant(processes_windows=False),
    "undeclared": Variant(declares_windows=False),
    "unphrased": Variant(note_phrasings="{}"),
    "logging": Variant(logs_values=True),
    "rounding": Variant(rounds_in_place=True),
}

SUITE = """
from etl_core.testing import PluginContract, make_metadata

RECORDS = [
    {{
        "metadata": make_metadata(f"t-{{i}}"),
        # Six hours apart: the readings span two local days, so two day windows.
        "timeEpochMillis": 1_758_400_000_000 + i * 21_600_000,
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
    "test_declared_fields_are_in_the_records",
    "test_valid_samples_pass_validation",
    "test_valid_samples_keep_every_record",
    "test_invalid_samples_produce_findings",
    "test_findings_are_well_formed",
    "test_findings_never_quote_record_values",
    "test_foreign_record_types_are_ignored",
    "test_small_batches_do_not_crash",
    "test_processing_returns_insights_and_a_supported_narrative",
    "test_emit_produces_a_valid_training_example",
    "test_concurrent_processing_gives_identical_results",
    "test_review_charts_are_well_formed",
    "test_window_hooks_come_together",
    "test_window_rules_are_well_formed",
    "test_windows_give_grounded_examples",
    "test_window_examples_have_phrasings_for_their_kind",
    "test_small_windows_do_not_crash",
    "test_window_results_do_not_depend_on_record_order",
    "test_window_results_do_not_depend_on_which_file_brought_a_record",
    "test_window_messages_never_quote_health_values",
    "test_windows_leave_their_records_unchanged",
}


@pytest.fixture(scope="module")
def failures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    """Failure messages of the contract tests, by test class and test, after one pytest run
    over every variant."""
    root = tmp_path_factory.mktemp("contract")
    site = root / "site"
    projects = []
    for name, variant in VARIANTS.items():
        package = root / f"etl-contract-{name}" / f"etl_contract_{name}"
        package.mkdir(parents=True)
        (package / "__init__.py").write_text(variant.source(), encoding="utf-8")
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
    results: dict[str, dict[str, str]] = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        test_class = case.get("classname", "").rsplit(".", 1)[-1]
        results.setdefault(test_class, {})
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        if problem is not None:
            results[test_class][case.get("name", "")] = " ".join(
                f"{problem.get('message', '')} {problem.text or ''}".split()
            )
    return results


def test_a_correct_plugin_passes_every_contract_test(
    failures: dict[str, dict[str, str]],
) -> None:
    assert "TestGood" in failures
    assert failures["TestGood"] == {}
    assert failures["TestDrawn"] == {}


WITHOUT_PHRASES = {"test_invalid_samples_produce_findings", "test_window_rules_are_well_formed"}
"""Rules a variant breaks as a consequence of its planted mistake: their message is checked
apart (the listed phrases are the planted rule's)."""


@pytest.mark.parametrize(
    ("variant", "broken_rules", "says"),
    [
        (
            "TestChatty",
            {"test_processing_returns_insights_and_a_supported_narrative"},
            ["narrative figures not in the insights: ['38']"],
        ),
        (
            "TestGreedy",
            {"test_foreign_record_types_are_ignored"},
            ["etl_process raised KeyError on a batch of", "record_type not in"],
        ),
        (
            "TestUnguarded",
            {"test_foreign_record_types_are_ignored"},
            ["etl_validate returned", "(no_temperature)", "record_type not in"],
        ),
        (
            "TestStateful",
            {"test_concurrent_processing_gives_identical_results"},
            ["concurrent runs differ from a sequential run"],
        ),
        ("TestLax", {"test_invalid_samples_produce_findings"}, ["produced no warning"]),
        (
            "TestNarrow",
            {"test_valid_samples_keep_every_record"},
            ["left out 1 of 5 records of the valid sample", "value_out_of_range"],
        ),
        (
            "TestWrongtime",
            {"test_declared_fields_are_in_the_records", "test_window_rules_are_well_formed"},
            ["time field 'time' holds no epoch-millisecond integer in 5 of 5 records"],
        ),
        (
            "TestQuoting",
            {"test_findings_never_quote_record_values"},
            ["finding 'fever' for the invalid sample quotes ['99.0']"],
        ),
        (
            "TestNoindex",
            {"test_findings_are_well_formed", "test_invalid_samples_produce_findings"},
            ["ERROR finding 'too_hot' names no records"],
        ),
        (
            "TestBadindex",
            {"test_findings_are_well_formed", "test_invalid_samples_produce_findings"},
            ["finding 'too_hot' names 2 record indices outside the batch's 5 records"],
        ),
        (
            "TestFragile",
            {"test_small_batches_do_not_crash"},
            ["a batch of the first 1 record(s)", "'fragile' raised StatisticsError in etl_process"],
        ),
        (
            "TestMiscounted",
            {"test_review_charts_are_well_formed"},
            [
                "BodyTemperatureRecord window day:2025-09-20 of the valid sample",
                "plugin 'miscounted' broke the plugin contract in etl_review_charts",
                # The sample's first local day holds two of its readings (six hours apart).
                "says 3 marks, its svg holds 2",
            ],
        ),
        (
            "TestHollow",
            {"test_small_batches_do_not_crash"},
            ["an empty batch", "etl_process raised ZeroDivisionError"],
        ),
        (
            "TestUngrounded",
            # Small windows are checked as core checks them too: a one-reading day is where
            # a narrative's rarely taken branch states a figure its input lacks.
            {"test_windows_give_grounded_examples", "test_small_windows_do_not_crash"},
            ["window day:2025-09-20", "states 1 figure(s) its input does not hold"],
        ),
        (
            "TestRemembering",
            {"test_window_results_do_not_depend_on_record_order"},
            ["give other results for ['BodyTemperatureRecord day:2025-09-2", "must not keep state"],
        ),
        (
            "TestCounting",
            {
                "test_window_results_do_not_depend_on_record_order",
                "test_window_results_do_not_depend_on_which_file_brought_a_record",
            },
            ["keep", "state between calls"],
        ),
        (
            "TestLonely",
            {"test_small_windows_do_not_crash"},
            [
                "window day:2025-09-20 of the first 1 record(s)",
                "'lonely' raised StatisticsError in etl_process_window",
            ],
        ),
        (
            "TestUnprocessed",
            {"test_window_hooks_come_together"},
            ["does not implement etl_process_window"],
        ),
        (
            "TestUndeclared",
            {"test_window_hooks_come_together"},
            ["etl_windows declares no windows", "core never calls it"],
        ),
        (
            "TestUnphrased",
            {"test_window_examples_have_phrasings_for_their_kind"},
            ["a personal_note example", "instructions_by_kind[ExampleKind.NOTE]"],
        ),
        (
            "TestLogging",
            {"test_window_messages_never_quote_health_values"},
            ["window day:2025-09-20: a log line quotes ['36.6']"],
        ),
        (
            "TestSpreading",
            {"test_window_messages_never_quote_health_values"},
            ["window day:2025-09-20: a log line quotes ['0.07']"],
        ),
        (
            "TestRounding",
            {"test_windows_leave_their_records_unchanged"},
            ["window day:2025-09-20", "changed 2 of its 2 records in place", "copy what you"],
        ),
    ],
)
def test_a_plugin_with_one_planted_mistake_fails_that_rule_with_a_clear_message(
    failures: dict[str, dict[str, str]], variant: str, broken_rules: set[str], says: list[str]
) -> None:
    assert broken_rules <= CONTRACT_TESTS
    assert set(failures[variant]) == broken_rules
    for rule in broken_rules - WITHOUT_PHRASES:
        for phrase in says:
            assert phrase in failures[variant][rule], failures[variant][rule]


def test_records_without_a_time_belong_to_no_window(
    failures: dict[str, dict[str, str]],
) -> None:
    message = failures["TestWrongtime"]["test_window_rules_are_well_formed"]
    assert "5 of 5 valid records have no time in ['time'], so they belong to no window" in message


def test_an_error_finding_core_cannot_apply_fails_validation_naming_plugin_and_hook(
    failures: dict[str, dict[str, str]],
) -> None:
    for variant in ("noindex", "badindex"):
        message = failures[f"Test{variant.title()}"]["test_invalid_samples_produce_findings"]
        assert f"plugin '{variant}' broke the plugin contract in etl_validate" in message


def test_the_suite_has_a_planted_mistake_for_every_rule_but_loading(
    failures: dict[str, dict[str, str]],
) -> None:
    """Rules whose mistakes stop start-up (API version, spec declarations) are planted in
    tests/test_plugin_discovery.py, through ``etl plugins``."""
    caught = {rule for failed in failures.values() for rule in failed}
    assert CONTRACT_TESTS - caught == {
        "test_entry_point_is_installed_and_loads",
        "test_valid_samples_pass_validation",
        "test_emit_produces_a_valid_training_example",
    }


def test_undeclared_record_types_fail_registration(failures: dict[str, dict[str, str]]) -> None:
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
