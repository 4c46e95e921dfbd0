"""What ``etl run`` wrote for the activity record types, read back, and what the plugin's hooks
return for the windows built from every record of the same files: the end-to-end tests
compare the two."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from etl_activity import plugin
from etl_activity.source_rule import ActivitySettings
from etl_activity.specs import SPECS
from etl_core import ExampleKind, ProcessResult, UserContext, Window
from etl_core.contract.figures import ungrounded_figures, unsupported_figures
from etl_core.engine.window_stage import record_set_fingerprint
from etl_core.testing import SyntheticExport, training_examples, windows_from_exports

DOMAIN = "physical_activity"
PERSON_ZONE = timezone(timedelta(hours=-5))
"""Every activity record of the real and synthetic exports carries -05:00; windows built here
read any record without an offset in it, as core's inference would."""

WindowId = tuple[str, str]
"""(record type, window key)"""


@dataclass(frozen=True)
class RunOutput:
    out: Path
    current: list[dict[str, Any]]
    """The current example objects (the highest revision of every window)."""
    journal: list[dict[str, Any]]
    """Every line of the domain's monthly journals."""
    revisions: dict[WindowId, dict[int, list[dict[str, Any]]]]
    """Every revision object written for a window, by revision number: its examples (none in
    a revision that withdraws the window)."""


def read_run(out: Path) -> RunOutput:
    training = out / "training" / DOMAIN
    journal = [
        json.loads(line)
        for path in sorted(training.rglob("health_journal_*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    folders: dict[Path, dict[int, list[dict[str, Any]]]] = defaultdict(dict)
    for path in training.rglob("examples/*/r*.jsonl"):
        lines = path.read_text(encoding="utf-8").splitlines()
        folders[path.parent][int(path.stem[1:])] = [json.loads(x) for x in lines if x.strip()]
    revisions: dict[WindowId, dict[int, list[dict[str, Any]]]] = {}
    for folder, by_revision in folders.items():
        # A folder is one window: every revision in it names the same one and its own number.
        keys = {
            (e["metadata"]["record_type"], e["metadata"]["window"]["key"])
            for examples in by_revision.values()
            for e in examples
        }
        assert len(keys) == 1, folder
        for revision, examples in by_revision.items():
            assert {e["metadata"]["revision"] for e in examples} <= {revision}
        revisions[keys.pop()] = by_revision
    return RunOutput(
        out=out,
        current=training_examples(out, DOMAIN),
        journal=journal,
        revisions=revisions,
    )


def by_window(examples: Iterable[dict[str, Any]]) -> dict[WindowId, list[dict[str, Any]]]:
    grouped: dict[WindowId, list[dict[str, Any]]] = defaultdict(list)
    for example in examples:
        meta = example["metadata"]
        grouped[(meta["record_type"], meta["window"]["key"])].append(example)
    return dict(grouped)


@dataclass(frozen=True)
class Expected:
    window: Window
    result: ProcessResult


def expected_results(
    exports: Iterable[Path | SyntheticExport],
    age: int | None,
    env: Mapping[str, str] | None = None,
) -> dict[WindowId, Expected]:
    """Every window the exports' activity records touch, built from all of them, and the
    hooks' result for it under the environment ``env`` (windows the hooks decline are left
    out: core withdraws or never publishes them)."""
    exports = list(exports)
    expected: dict[WindowId, Expected] = {}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in (env or {}).items():
            patch.setenv(name, value)
        # Read once, as core does at start-up; the defaults again afterwards.
        plugin.etl_configure(ActivitySettings())
        try:
            for spec in SPECS.values():
                for rule in plugin.etl_windows(spec) or ():
                    user = UserContext(age_years=age, timezone=PERSON_ZONE)
                    for window in windows_from_exports(spec, rule, exports, user=user):
                        result = plugin.etl_process_window(window, spec)
                        if result is not None:
                            expected[(spec.name, window.key)] = Expected(window, result)
        finally:
            plugin.etl_configure(ActivitySettings.defaults())
    return expected


def _canonical(example: Mapping[str, Any]) -> str:
    return json.dumps(example, sort_keys=True)


def as_json(value: Any) -> Any:
    """A value as it reads back from a JSONL line."""
    return json.loads(json.dumps(value))


def assert_examples_are_the_result(examples: list[dict[str, Any]], expected: Expected) -> None:
    """A window's examples as written are exactly the hooks' result for the window built from
    every record: the same texts of the same kinds, its summary as their input, its insights
    and methods, its record set."""
    window, result = expected.window, expected.result
    spec = SPECS[window.record_type]
    written = sorted(
        (e["metadata"]["example_kind"], e["output"], e["instruction"] if _is_question(e) else "")
        for e in examples
    )
    returned = sorted(
        (str(text.kind), text.output, text.question or "") for text in result.examples
    )
    assert written == returned, window.key
    insights = as_json(dict(result.insights))
    for example in examples:
        meta = example["metadata"]
        assert example["input"] == result.summary
        assert meta["clinical_insights"] == insights
        assert meta["methods"] == dict(result.methods)
        assert meta["record_count"] == len(window.records)
        assert meta["content_fingerprint"] == record_set_fingerprint(window)
        assert meta["clock"] == str(window.clock)
        assert meta["window"]["rule"] == window.rule.name
        assert meta["window"]["first_day"] == window.first_day.isoformat()
        assert meta["window"]["last_day"] == window.last_day.isoformat()
        assert meta["health_domain"] == DOMAIN
        assert meta["processor"].startswith("activity ")
        if not _is_question(example):
            kind = ExampleKind(meta["example_kind"])
            assert example["instruction"] in spec.instructions_by_kind[kind]
        # Grounded: every figure of the output is in the input or a declared reference value,
        # every figure of the input is an insight.
        assert ungrounded_figures(example["output"], example["input"], spec.reference_values) == []
        assert unsupported_figures(example["input"], meta["clinical_insights"]) == []


def _is_question(example: Mapping[str, Any]) -> bool:
    return bool(example["metadata"]["example_kind"] == str(ExampleKind.QUESTION))


def assert_one_current_set_per_window(
    run: RunOutput, expected: Mapping[WindowId, Expected]
) -> None:
    """The journals hold the current examples and nothing else, one revision per window, the
    highest one written; the windows are exactly those the records make, and each window's
    examples are what the hooks return for it built from every record."""
    assert sorted(map(_canonical, run.journal)) == sorted(map(_canonical, run.current))
    windows = by_window(run.journal)
    assert set(windows) == set(expected)
    for key, by_revision in run.revisions.items():
        latest = by_revision[max(by_revision)]
        if not latest:  # withdrawn
            assert key not in windows
            continue
        assert sorted(map(_canonical, windows[key])) == sorted(map(_canonical, latest)), key
    for key, examples in windows.items():
        assert_examples_are_the_result(examples, expected[key])
