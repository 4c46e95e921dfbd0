"""What the heart-rate end-to-end tests share: reading what ``etl run`` wrote (the monthly
journals and the current example objects), grouping it by window, and comparing it with what the
plugin's hooks return for the windows built from every record."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from heartrate_window_support import Processed

from etl_core import ExampleKind
from etl_core.builtin.training_jsonl import stable_form
from etl_core.engine.window_stage import record_set_fingerprint
from etl_core.testing import training_examples
from etl_heartrate.specs import HEALTH_DOMAIN

Example = dict[str, Any]
WindowId = tuple[str, str]
"""(record type, window key), e.g. ``("HeartRateRecord", "day:2025-09-20")``."""


def journal_lines(out: Path) -> list[Example]:
    """Every line of the heart-rate domain's monthly journals, in journal order."""
    lines: list[Example] = []
    for journal in sorted((out / "training" / HEALTH_DOMAIN).rglob("health_journal_*.jsonl")):
        lines += [json.loads(line) for line in journal.read_text("utf-8").splitlines() if line]
    return lines


def by_window(examples: list[Example]) -> dict[WindowId, list[Example]]:
    """Examples grouped by window, each group in the order given."""
    grouped: dict[WindowId, list[Example]] = defaultdict(list)
    for example in examples:
        meta = example["metadata"]
        grouped[(meta["record_type"], meta["window"]["key"])].append(example)
    return dict(grouped)


def newest_revisions_on_disk(out: Path) -> dict[WindowId, int]:
    """Each window's highest revision object under ``examples/`` (a window whose highest
    revision is empty, withdrawn, is left out)."""
    found: dict[WindowId, int] = {}
    for folder in (out / "training" / HEALTH_DOMAIN).glob("*/*/examples/*"):
        objects = sorted(folder.glob("r*.jsonl"), key=lambda p: int(p.stem[1:]))
        newest = objects[-1].read_text("utf-8").splitlines()
        if not newest:
            continue
        meta = json.loads(newest[0])["metadata"]
        found[(meta["record_type"], meta["window"]["key"])] = int(objects[-1].stem[1:])
    return found


def one_current_set_per_window(out: Path) -> dict[WindowId, list[Example]]:
    """The journals' examples by window, after checking that they hold exactly one example set
    per window: one revision, the highest one written, and the same examples as the current
    example objects."""
    journal = journal_lines(out)
    current = training_examples(out, HEALTH_DOMAIN)
    assert len(journal) == len(current)

    def canonical(examples: list[Example]) -> list[str]:
        return sorted(json.dumps(stable_form(e), sort_keys=True) for e in examples)

    assert canonical(journal) == canonical(current)
    grouped = by_window(journal)
    newest = newest_revisions_on_disk(out)
    assert set(grouped) == set(newest)
    for window, examples in grouped.items():
        revisions = {e["metadata"]["revision"] for e in examples}
        assert revisions == {newest[window]}, (window, revisions)
    return grouped


def as_json(value: Any) -> Any:
    """``value`` as it reads back from a JSONL line."""
    return json.loads(json.dumps(value))


def assert_examples_are_the_hook_results(
    written: dict[WindowId, list[Example]], expected: dict[WindowId, Processed]
) -> None:
    """``written`` holds exactly the windows whose hook result has examples, and each window's
    examples are that result's: same kinds in the same order, outputs, questions, input,
    insights and methods, from the same record set."""
    described = {key: item for key, item in expected.items() if item.result is not None}
    assert sorted(written) == sorted(described)
    for key, examples in written.items():
        item = described[key]
        result = item.result
        assert result is not None
        assert [(e["metadata"]["example_kind"], e["output"]) for e in examples] == [
            (str(text.kind), text.output) for text in result.examples
        ], key
        for example, text in zip(examples, result.examples, strict=True):
            meta = example["metadata"]
            if text.kind is ExampleKind.QUESTION:
                assert example["instruction"] == text.question
            else:
                assert example["instruction"] in item.spec.instructions_by_kind[text.kind.value]
            assert example["input"] == result.summary, key
            assert meta["clinical_insights"] == as_json(result.insights), key
            assert meta["methods"] == as_json(result.methods)
            assert meta["record_count"] == len(item.window.records), key
            assert meta["content_fingerprint"] == record_set_fingerprint(item.window), key
            assert meta["clock"] == str(item.window.clock)
            assert meta["window"]["first_day"] == item.window.first_day.isoformat()
            assert meta["window"]["last_day"] == item.window.last_day.isoformat()
            assert meta["processor"].startswith("heartrate ")
            assert meta["health_domain"] == HEALTH_DOMAIN


def hook_results(windows: dict[tuple[str, str], list[Processed]]) -> dict[WindowId, Processed]:
    """The session fixtures' windows (by record type and rule) keyed by window instead."""
    return {
        (item.window.record_type, item.window.key): item
        for items in windows.values()
        for item in items
    }
