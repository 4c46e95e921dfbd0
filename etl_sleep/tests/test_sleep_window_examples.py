"""The examples of every window: grounded in their input, backed by the insights, varied in
wording, with the instruction and question phrasings the contract asks for."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

import pytest

from etl_core import ExampleKind, ProcessResult, RecordTypeSpec, Window
from etl_core.contract.figures import ungrounded_figures, unsupported_figures
from etl_core.contract.wording import mask_digits
from etl_core.testing import real_samples, windows_from_exports
from etl_sleep import night_text, plugin, week_text
from etl_sleep.windows_process import NIGHT_RULE, WEEK_RULE

SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def results(windows: Iterable[Window], spec: RecordTypeSpec) -> list[ProcessResult]:
    found = []
    for window in windows:
        result = plugin.etl_process_window(window, spec)
        assert result is not None, window.key
        found.append(result)
    return found


def assert_grounded(result: ProcessResult, spec: RecordTypeSpec) -> None:
    assert unsupported_figures(result.summary, result.insights) == []
    for example in result.examples:
        assert ungrounded_figures(example.output, result.summary, spec.reference_values) == [], (
            example.output
        )
        assert unsupported_figures(example.output, result.insights) == []
        assert example.output.strip()


def test_every_example_of_the_person_is_grounded(
    night_windows: list[Window], week_windows: list[Window], spec: RecordTypeSpec
) -> None:
    for result in results([*night_windows, *week_windows], spec):
        assert_grounded(result, spec)


@pytest.mark.skipif(len(real_samples()) != 26, reason="the 26 real exports are needed")
def test_every_example_of_the_real_files_is_grounded(spec: RecordTypeSpec) -> None:
    files = real_samples()
    windows = [
        *windows_from_exports(spec, NIGHT_RULE, files),
        *windows_from_exports(spec, WEEK_RULE, files),
    ]
    assert windows
    for result in results(windows, spec):
        assert_grounded(result, spec)


def sentences(text: str) -> list[str]:
    return [s for s in SENTENCE_END.split(text) if s]


def widely_shared_share(outputs: list[str]) -> float:
    """Share of output sentences (digits masked) that more than half of the outputs contain."""
    holders: Counter[str] = Counter()
    for output in outputs:
        holders.update({mask_digits(s) for s in sentences(output)})
    common = {s for s, n in holders.items() if n > len(outputs) / 2}
    every = [mask_digits(s) for output in outputs for s in sentences(output)]
    return sum(1 for s in every if s in common) / len(every)


def test_wording_varies_across_the_persons_windows(
    night_windows: list[Window], week_windows: list[Window], spec: RecordTypeSpec
) -> None:
    examples = [e for r in results([*night_windows, *week_windows], spec) for e in r.examples]
    by_kind: dict[ExampleKind, list[str]] = {}
    for example in examples:
        by_kind.setdefault(example.kind, []).append(example.output)
    for kind, outputs in by_kind.items():
        masked = Counter(mask_digits(o) for o in outputs)
        repeated = {text: n for text, n in masked.items() if n > 1}
        assert not repeated, f"{kind}: identical outputs once digits are masked: {repeated}"
    share = widely_shared_share([e.output for e in examples])
    per_kind = {k.value: round(widely_shared_share(o), 3) for k, o in by_kind.items()}
    print(
        f"\nsleep examples: {len(examples)}; sentences shared by more than half of them: "
        f"{share:.3f}; within each kind: {per_kind}"
    )
    assert share < 0.05
    questions = {e.question for e in examples if e.kind is ExampleKind.QUESTION}
    assert len(questions) > 20


def test_phrasings_per_kind_and_question() -> None:
    (spec,) = plugin.etl_record_types()
    for kind in (ExampleKind.SUMMARY, ExampleKind.NOTE, ExampleKind.COMPARISON):
        phrasings = spec.instructions_by_kind[kind]
        assert len(set(phrasings)) >= 8, kind
    for catalogue in (night_text.QUESTIONS, week_text.QUESTIONS):
        for question, asked in catalogue.items():
            assert len(set(asked)) >= 8, question
