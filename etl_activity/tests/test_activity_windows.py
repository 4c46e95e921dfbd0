"""Calendar windows (a local day, an ISO week) on the synthetic person and the real exports:
every insight against a reference computed from the raw records, partial days, grounding,
wording variety, determinism."""

from __future__ import annotations

import random
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from functools import cache
from typing import Any

import pytest
from activity_reference import local_date
from activity_window_checks import assert_window_matches_reference
from activity_window_reference import newest_per_id, reference_days

from etl_activity import plugin
from etl_activity.measures import MEASURES
from etl_activity.specs import SPECS
from etl_core import ExampleKind, ProcessResult, RecordTypeSpec, UserContext, Window, WindowRule
from etl_core.contract.figures import ungrounded_figures, unsupported_figures
from etl_core.contract.wording import mask_digits
from etl_core.testing import (
    SyntheticExport,
    real_samples,
    records_of,
    synthetic_person,
    windows_from_exports,
)

AGES = (45, 67, None)
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@cache
def person() -> tuple[SyntheticExport, ...]:
    return tuple(synthetic_person(42))


def exports_until(syncs: int) -> list[SyntheticExport]:
    """The person's exports of the first ``syncs`` morning syncs."""
    first = person()[0].fetched_at
    last = first + timedelta(days=syncs - 1)
    return [export for export in person() if export.fetched_at <= last]


def rules(spec: RecordTypeSpec) -> list[WindowRule]:
    found = plugin.etl_windows(spec)
    assert found is not None
    return list(found)


@cache
def processed(
    record_type: str, age: int | None, upto: int | None = None
) -> list[tuple[Window, ProcessResult]]:
    spec = SPECS[record_type]
    exports = list(person()) if upto is None else exports_until(upto)
    results = []
    for rule in rules(spec):
        for window in windows_from_exports(spec, rule, exports, user=UserContext(age_years=age)):
            result = plugin.etl_process_window(window, spec)
            assert result is not None, window.key
            results.append((window, result))
    return results


def raw_records(record_type: str, exports: Sequence[SyntheticExport]) -> list[dict[str, Any]]:
    return newest_per_id([dict(r) for r in records_of(record_type, exports)])


# -- discovery ------------------------------------------------------------------------------


def test_each_type_declares_a_local_day_and_an_iso_week_with_a_week_of_lookback() -> None:
    for spec in SPECS.values():
        by_name = {rule.name: rule for rule in rules(spec)}
        assert set(by_name) == {"day", "week"}
        assert by_name["day"] == WindowRule.day()
        assert by_name["week"] == WindowRule.iso_week(lookback_days=7)
    foreign = RecordTypeSpec("HeartRateRecord", "cardio", None)
    assert plugin.etl_windows(foreign) is None


# -- the synthetic person against the reference ---------------------------------------------


@pytest.mark.parametrize("upto", [None, 10, 26], ids=["all", "10-syncs", "26-syncs"])
@pytest.mark.parametrize("age", AGES, ids=lambda a: f"age-{a}")
@pytest.mark.parametrize("record_type", sorted(SPECS))
def test_every_window_insight_equals_the_reference(
    record_type: str, age: int | None, upto: int | None
) -> None:
    unit = MEASURES[record_type].unit
    exports = list(person()) if upto is None else exports_until(upto)
    records = raw_records(record_type, exports)
    days = reference_days(records, MEASURES[record_type].value_field)
    results = processed(record_type, age, upto)
    keys = {window.key for window, _ in results}
    mondays = {day - timedelta(days=day.weekday()) for day in days}
    assert keys == {f"day:{d.isoformat()}" for d in days} | {f"week:{m}" for m in mondays}
    for window, result in results:
        assert_window_matches_reference(
            unit, window.rule.name, window.first_day, result.insights, records, days, age
        )


def test_the_synthetic_month_gives_sufficient_weeks_and_comparisons() -> None:
    weeks = [r for w, r in processed("StepsRecord", 45) if w.rule.name == "week"]
    assert len(weeks) == 6
    assert all(r.insights["data_sufficient"] for r in weeks)
    assert sum(1 for r in weeks if r.insights["comparable"]) == 5
    energy = [r for w, r in processed("ActiveCaloriesBurnedRecord", 45) if w.rule.name == "week"]
    # The ring skips active energy every ninth day: those weeks have 6 complete days.
    assert {r.insights["complete_days"] for r in energy} == {6, 7}


def test_a_day_seen_in_progress_is_partial_and_counts_once_its_complete_version_arrives() -> None:
    day = date(2025, 6, 12)  # first exported, running, by the tenth morning sync
    key = "week:2025-06-09"
    while_running = processed("StepsRecord", 45, 10)
    later = processed("StepsRecord", 45, 11)

    def result(results: list[tuple[Window, ProcessResult]], wanted: str) -> ProcessResult:
        return next(r for w, r in results if w.key == wanted)

    records = records_of("StepsRecord", exports_until(11))
    versions = [r for r in records if _starts_on(r, day)]
    assert len({r["metadata"]["id"] for r in versions}) == 1  # the phone's total, twice
    assert len(versions) == 2

    running = result(while_running, key)
    assert running.insights["partial_dates"] == [day.isoformat()]
    assert running.insights["complete_days"] == 3
    summary = next(e for e in running.examples if e.kind is ExampleKind.SUMMARY).output
    assert "Thursday" in summary and "07:30" in summary
    assert "in progress" in running.summary
    day_running = result(while_running, f"day:{day}")
    assert day_running.insights["partial"] is True
    assert "so far" in day_running.summary

    rebuilt = result(later, key)
    assert rebuilt.insights["partial_dates"] == ["2025-06-13"]
    assert rebuilt.insights["complete_days"] == 4
    assert day.isoformat() in [d["date"] for d in rebuilt.insights["days"] if not d["partial"]]
    day_done = result(later, f"day:{day}")
    assert day_done.insights["partial"] is False
    assert day_done.insights["steps"] > day_running.insights["steps"]


def _starts_on(record: Any, day: date) -> bool:
    return local_date(record["startTimeEpochMillis"], record["startZoneOffsetId"]) == day


# -- examples ---------------------------------------------------------------------------------


def _all_results() -> list[tuple[str, Window, ProcessResult]]:
    found = []
    for record_type in sorted(SPECS):
        for age in AGES:
            for upto in (None, 10):
                found += [(record_type, w, r) for w, r in processed(record_type, age, upto)]
    return found


def test_every_example_is_grounded_and_every_summary_figure_is_an_insight() -> None:
    for record_type, window, result in _all_results():
        spec = SPECS[record_type]
        assert unsupported_figures(result.summary, result.insights) == [], window.key
        assert unsupported_figures(result.narrative, result.insights) == [], window.key
        for example in result.examples:
            missing = ungrounded_figures(example.output, result.summary, spec.reference_values)
            assert missing == [], (window.key, example.kind, missing)
            assert "(record offsets)" not in example.output


def test_each_window_has_a_summary_a_note_one_to_three_questions_and_a_fair_comparison() -> None:
    for record_type, window, result in _all_results():
        kinds = Counter(example.kind for example in result.examples)
        assert kinds[ExampleKind.SUMMARY] == 1 and kinds[ExampleKind.NOTE] == 1
        assert 1 <= kinds[ExampleKind.QUESTION] <= 3
        for example in result.examples:
            assert (example.question is not None) == (example.kind is ExampleKind.QUESTION)
            assert example.output.strip()
        comparable = window.rule.name == "week" and result.insights["comparable"]
        assert kinds[ExampleKind.COMPARISON] == (1 if comparable else 0), window.key
        assert result.narrative == result.examples[0].output
        assert "clinical.md" in " ".join(result.methods.values())
        if record_type == "StepsRecord":
            assert "Paluch" in result.methods["step_range"]


def test_ten_thousand_appears_only_as_the_top_of_the_under_60_range() -> None:
    for _, _, result in _all_results():
        step_range = result.insights.get("step_range")
        for example in result.examples:
            if "10,000" in example.output:
                assert step_range is not None and step_range["high"] == 10_000


def test_without_an_age_no_range_is_applied_and_the_outputs_say_so() -> None:
    for window, result in processed("StepsRecord", None):
        assert result.insights["step_range"] is None
        summary = next(e for e in result.examples if e.kind is ExampleKind.SUMMARY).output
        if window.rule.name == "week" or not result.insights["partial"]:
            assert "age" in summary
        assert not re.search(r"\d,000-\d", summary)


def test_instruction_phrasings_per_kind() -> None:
    for spec in SPECS.values():
        for kind in (ExampleKind.SUMMARY, ExampleKind.NOTE, ExampleKind.COMPARISON):
            phrasings = spec.instructions_by_kind[kind]
            assert len(set(phrasings)) >= 8


def _masked_outputs(record_type: str, age: int | None) -> dict[ExampleKind, list[str]]:
    by_kind: dict[ExampleKind, list[str]] = defaultdict(list)
    for _, result in processed(record_type, age):
        for example in result.examples:
            by_kind[example.kind].append(mask_digits(example.output))
    return by_kind


@pytest.mark.parametrize("age", AGES, ids=lambda a: f"age-{a}")
@pytest.mark.parametrize("record_type", sorted(SPECS))
def test_no_two_outputs_of_a_kind_are_the_same_once_digits_are_masked(
    record_type: str, age: int | None
) -> None:
    for kind, outputs in _masked_outputs(record_type, age).items():
        repeated = [text for text, n in Counter(outputs).items() if n > 1]
        assert repeated == [], (kind, repeated[:2])


@pytest.mark.parametrize("age", AGES, ids=lambda a: f"age-{a}")
@pytest.mark.parametrize("record_type", sorted(SPECS))
def test_few_sentences_are_shared_by_more_than_half_of_the_examples(
    record_type: str, age: int | None
) -> None:
    outputs = [text for texts in _masked_outputs(record_type, age).values() for text in texts]
    documents = Counter(s for text in outputs for s in set(SENTENCE_END.split(text)))
    common = {s for s, n in documents.items() if n > len(outputs) / 2}
    sentences = [s for text in outputs for s in SENTENCE_END.split(text)]
    share = sum(1 for s in sentences if s in common) / len(sentences)
    most = documents.most_common(1)[0]
    print(
        f"{record_type}, age {age}: {len(outputs)} examples, {len(sentences)} sentences, "
        f"{share:.1%} shared by more than half; most repeated in {most[1]}: {most[0]!r}"
    )
    assert share < 0.1


def test_the_same_records_in_any_file_order_give_the_same_results() -> None:
    shuffled = list(person())
    random.Random(17).shuffle(shuffled)
    for record_type, spec in SPECS.items():
        for rule in rules(spec):
            user = UserContext(age_years=45)
            ordered = windows_from_exports(spec, rule, person(), user=user)
            again = windows_from_exports(spec, rule, shuffled, user=user)
            assert [w.key for w in ordered] == [w.key for w in again]
            for first, second in zip(ordered, again, strict=True):
                assert plugin.etl_process_window(first, spec) == plugin.etl_process_window(
                    second, spec
                ), (record_type, first.key)


# -- the real exports -----------------------------------------------------------------------

REAL = {record_type: real_samples(record_type) for record_type in SPECS}


@pytest.mark.skipif(not all(REAL.values()), reason="real samples not available")
@pytest.mark.parametrize("record_type", sorted(SPECS))
def test_real_windows_claim_no_sufficiency_trend_or_band_and_say_what_is_missing(
    record_type: str,
) -> None:
    spec = SPECS[record_type]
    seen = 0
    for rule in rules(spec):
        for window in windows_from_exports(spec, rule, REAL[record_type], user=UserContext()):
            result = plugin.etl_process_window(window, spec)
            assert result is not None
            seen += 1
            insights = result.insights
            outputs = " ".join(example.output for example in result.examples)
            for example in result.examples:
                assert (
                    ungrounded_figures(example.output, result.summary, spec.reference_values) == []
                )
            assert unsupported_figures(result.summary, insights) == []
            assert not any(e.kind is ExampleKind.COMPARISON for e in result.examples)
            assert "rising" not in outputs and "falling" not in outputs
            if rule.name == "day":
                # Every real export was fetched before its day ended: a running total.
                assert insights["partial"] is True
                assert insights.get("range_position") is None
                assert "so far" in result.summary
                assert insights["fetched_at"][11:16] in outputs
            else:
                assert insights["data_sufficient"] is False
                assert insights["complete_days"] == 0
                assert insights["change"] is None and insights["comparable"] is False
                assert insights.get("mean_range_position") is None
                assert "complete days: 0 of 7" in result.summary
                summary = next(e for e in result.examples if e.kind is ExampleKind.SUMMARY)
                for missing in insights["partial_dates"] + insights["missing_dates"]:
                    weekday = date.fromisoformat(missing).strftime("%A")
                    assert weekday in summary.output
    # Steps: three local days (20-22 September 2025) in two ISO weeks; energy: one day.
    assert seen == {"StepsRecord": 5, "ActiveCaloriesBurnedRecord": 2}[record_type]
