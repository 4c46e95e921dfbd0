"""What ``etl run`` wrote for sleep, read back for the end-to-end tests: the current examples
per window, every published revision, the monthly journals, and the checks that a window's
current examples are exactly what the plugin's hook returns for that window built from all
of the person's records."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from etl_core import ExampleKind, ProcessResult, RecordTypeSpec, Window
from etl_core.builtin.training_jsonl import stable_form
from etl_core.contract.figures import ungrounded_figures, unsupported_figures
from etl_core.engine.window_stage import record_set_fingerprint
from etl_core.testing import training_examples

DOMAIN = "sleep_wellness"
Example = dict[str, Any]


def _lines(path: Path) -> list[Example]:
    text = path.read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def current_by_window(out: Path) -> dict[str, list[Example]]:
    """The current examples of every sleep window, by window key."""
    found: dict[str, list[Example]] = defaultdict(list)
    for example in training_examples(out, DOMAIN):
        found[example["metadata"]["window"]["key"]].append(example)
    return dict(found)


def journal_lines(out: Path) -> list[Example]:
    """Every line of the sleep journals, all months."""
    return [
        example
        for path in sorted((out / "training" / DOMAIN).rglob("health_journal_*.jsonl"))
        for example in _lines(path)
    ]


def revisions_on_disk(out: Path) -> dict[str, dict[int, list[Example]]]:
    """Every published revision object of every window: key -> revision -> its lines, in the
    order they were written. Each window's objects must live in one folder of their own."""
    found: dict[str, dict[int, list[Example]]] = defaultdict(dict)
    folders: dict[str, set[Path]] = defaultdict(set)
    for path in sorted((out / "training" / DOMAIN).glob("*/*/examples/*/r*.jsonl")):
        lines = _lines(path)
        keys = {e["metadata"]["window"]["key"] for e in lines}
        revisions = {e["metadata"]["revision"] for e in lines}
        assert len(keys) <= 1 and revisions <= {int(path.stem[1:])}, path
        if not keys:  # an empty revision withdraws its window; none are expected here
            raise AssertionError(f"{path}: empty revision")
        (key,) = keys
        found[key][int(path.stem[1:])] = lines
        folders[key].add(path.parent)
    assert all(len(places) == 1 for places in folders.values()), folders
    return dict(found)


def stable(examples: list[Example]) -> list[str]:
    return sorted(json.dumps(stable_form(e), sort_keys=True) for e in examples)


def assert_one_current_set_per_window(out: Path) -> dict[str, list[Example]]:
    """The journals hold, once each, exactly the examples of every window's highest revision;
    every window's set is whole (one clinician summary, one note, 1-3 questions, at most one
    comparison) and its examples share one revision, input and record set. Returns the
    current examples by window key."""
    current = current_by_window(out)
    revisions = revisions_on_disk(out)
    assert set(revisions) == set(current)
    journals = journal_lines(out)
    assert stable(journals) == stable([e for items in current.values() for e in items])
    journal_keys = Counter(e["metadata"]["window"]["key"] for e in journals)
    for key, examples in current.items():
        newest = max(revisions[key])
        assert [e["metadata"]["revision"] for e in examples] == [newest] * len(examples), key
        assert stable(examples) == stable(revisions[key][newest]), key
        assert journal_keys[key] == len(examples), key
        kinds = Counter(e["metadata"]["example_kind"] for e in examples)
        assert kinds[ExampleKind.SUMMARY] == 1 and kinds[ExampleKind.NOTE] == 1, key
        assert 1 <= kinds[ExampleKind.QUESTION] <= 3 and kinds[ExampleKind.COMPARISON] <= 1, key
        assert set(kinds) <= set(ExampleKind), key
        for shared in ("input",):
            assert len({e[shared] for e in examples}) == 1, key
        for shared in ("record_count", "content_fingerprint", "data_start", "data_end", "user"):
            assert len({e["metadata"][shared] for e in examples}) == 1, (key, shared)
        assert len({json.dumps(e["metadata"]["clinical_insights"]) for e in examples}) == 1
    return current


def assert_grounded(example: Example, spec: RecordTypeSpec) -> None:
    """Every figure of the output is in the input or a declared reference value, and every
    figure of the input and the output is an insight."""
    insights = example["metadata"]["clinical_insights"]
    assert ungrounded_figures(example["output"], example["input"], spec.reference_values) == []
    assert unsupported_figures(example["output"], insights) == []
    assert unsupported_figures(example["input"], insights) == []


def as_json(value: Any) -> Any:
    """A value as it reads back from a JSONL line (tuples become lists)."""
    return json.loads(json.dumps(value))


def assert_written_as_the_hook_returns(
    revision_lines: list[Example], window: Window, result: ProcessResult, spec: RecordTypeSpec
) -> None:
    """One window's revision object holds, in order, one example per ``ExampleText`` of the
    hook's result for ``window``, with the result's summary, insights and methods and the
    window's record set."""
    assert len(revision_lines) == len(result.examples), window.key
    for line, text in zip(revision_lines, result.examples, strict=True):
        meta = line["metadata"]
        assert meta["example_kind"] == str(text.kind), window.key
        assert line["output"] == text.output, window.key
        assert line["input"] == result.summary, window.key
        if text.kind is ExampleKind.QUESTION:
            assert line["instruction"] == text.question, window.key
        else:
            assert line["instruction"] in spec.instructions_by_kind[text.kind], window.key
        assert meta["clinical_insights"] == as_json(result.insights), window.key
        assert meta["methods"] == as_json(result.methods), window.key
        assert meta["record_type"] == spec.name and meta["health_domain"] == DOMAIN
        assert meta["processor"].startswith("sleep ")
        assert meta["record_count"] == len(window.records), window.key
        assert meta["content_fingerprint"] == record_set_fingerprint(window), window.key
        assert meta["clock"] == str(window.clock), window.key
        assert meta["window"] == {
            "rule": window.rule.name,
            "key": window.key,
            "first_day": window.first_day.isoformat(),
            "last_day": window.last_day.isoformat(),
            "days": window.rule.days,
            "start": window.local_start.isoformat(timespec="minutes"),
            "end": window.local_end.isoformat(timespec="minutes"),
        }
        for bound, expected in (("data_start", result.data_start), ("data_end", result.data_end)):
            # written to the second, with the offset
            assert meta[bound] == (
                None if expected is None else expected.isoformat(timespec="seconds")
            ), window.key
        assert_grounded(line, spec)
