"""The synthetic person's six weeks through the window hooks: every insight of every window of
both rules equals what ``glucose_window_reference`` computes from the raw records, the built-in
features are found, outputs are grounded and varied, and file order changes nothing."""

from __future__ import annotations

import random
import re
from collections import Counter
from datetime import date, timedelta, timezone
from functools import cache

import glucose_window_reference as ref
import pytest

from etl_core import ExampleKind, ProcessResult, UserContext, Window
from etl_core.contract.figures import ungrounded_figures, unsupported_figures
from etl_core.contract.windows import build_window
from etl_core.contract.wording import mask_digits
from etl_core.testing import SyntheticExport, records_of, synthetic_person, windows_from_exports
from etl_glucose.plugin import etl_process_window, etl_windows, glucose_spec

ZONE = timezone(timedelta(hours=-5))
USER = UserContext(timezone=ZONE)
SPEC = glucose_spec()
RULES = {rule.name: rule for rule in etl_windows(SPEC) or ()}
START = date(2025, 6, 2)


@cache
def exports() -> tuple[SyntheticExport, ...]:
    return tuple(synthetic_person(42))


@cache
def windows(rule_name: str) -> tuple[tuple[Window, ProcessResult], ...]:
    found = []
    for window in windows_from_exports(SPEC, RULES[rule_name], exports(), user=USER):
        result = etl_process_window(window, SPEC)
        assert result is not None
        found.append((window, result))
    return tuple(found)


@cache
def all_readings() -> tuple[ref.Reading, ...]:
    return tuple(ref.readings(ref.newest(ref.decode(exports())), ZONE))


def all_results() -> list[tuple[Window, ProcessResult]]:
    return [pair for name in sorted(RULES) for pair in windows(name)]


def by_key(rule_name: str) -> dict[str, ProcessResult]:
    return {window.key: result for window, result in windows(rule_name)}


def test_rules_are_a_day_and_the_14_days_ending_each_sunday() -> None:
    assert sorted(RULES) == ["cgm_14d", "day"]
    report = RULES["cgm_14d"]
    assert (report.days, report.ends_on, report.lookback_days) == (14, 6, 14)
    assert RULES["day"].days == 1
    keys = [window.key for window, _ in windows("cgm_14d")]
    assert keys == [f"cgm_14d:{START + timedelta(days=7 * k - 7)}" for k in range(7)]
    assert len(windows("day")) == 42


@pytest.mark.parametrize("rule_name", ["day", "cgm_14d"])
def test_every_window_insight_equals_the_reference(rule_name: str) -> None:
    for window, result in windows(rule_name):
        ins = dict(result.insights)
        try:
            ref.check_insights(
                ins, ref.expected_insights(all_readings(), window.first_day, window.rule.days)
            )
        except AssertionError as error:
            raise AssertionError(f"{window.key}: {error}") from error


def test_gmi_targets_and_profile_only_for_sufficient_windows() -> None:
    sufficient = {k for k, r in by_key("cgm_14d").items() if r.insights["data_sufficient"]}
    assert sufficient == {f"cgm_14d:{START + timedelta(days=7 * k)}" for k in range(5)}
    for _, result in all_results():
        ins = result.insights
        has = ins["data_sufficient"]
        assert (ins["gmi_percent"] is not None) is has
        assert (ins["targets_met"] is not None) is has
        assert (ins["agp"] is not None) is has
        assert (ins["variability"] is not None) is has
    assert not any(r.insights["data_sufficient"] for _, r in windows("day"))


def test_the_first_and_last_report_windows_say_what_is_missing() -> None:
    results = by_key("cgm_14d")
    first, last = results["cgm_14d:2025-05-26"], results["cgm_14d:2025-07-07"]
    assert first.insights["days_worn"] == 7 and last.insights["days_worn"] == 7
    for result in (first, last):
        assert "7 of 14 days worn" in result.summary
        assert re.search(r"\b7 of (the )?14 days\b", result.examples[0].output)


def test_the_built_in_lows_gap_backfill_and_peaks_are_found() -> None:
    days = by_key("day")
    low_days = {k for k, r in days.items() if r.insights["events"]["below_70"]["count"]}
    assert low_days == {f"day:{START + timedelta(days=d)}" for d in (3, 16, 30)}
    for key in low_days:
        event = days[key].insights["events"]["below_70"]["events"][0]
        assert event["start"][11:16] == "02:30" and not event["open"]
    gap_days = {k for k, r in days.items() if r.insights["sensor_gaps"]["count"]}
    assert gap_days == {"day:2025-06-21"}
    gap = days["day:2025-06-21"].insights["sensor_gaps"]["gaps"][0]
    assert (gap["start"][11:16], gap["end"][11:16], gap["duration_hours"]) == (
        "02:00",
        "05:30",
        3.5,
    )
    for example in days["day:2025-06-21"].examples[:2]:  # the summary and the note say so
        assert "02:00" in example.output and "05:30" in example.output
    high_days = {k for k, r in days.items() if r.insights["events"]["above_180"]["count"]}
    fridays = {f"day:{START + timedelta(days=d)}" for d in range(4, 42, 7)}
    assert fridays <= high_days
    very_high = {k for k, r in days.items() if r.insights["events"]["above_250"]["count"]}
    assert very_high == {f"day:{START + timedelta(days=27)}"}
    # day 11's late backfill file completes the day
    assert days["day:2025-06-13"].insights["readings"] == 288


def test_a_late_backfill_changes_the_windows_it_touches() -> None:
    without = [e for e in exports() if "backfill" not in e.name]
    rule = RULES["day"]
    window = next(
        w for w in windows_from_exports(SPEC, rule, without, user=USER) if w.key == "day:2025-06-13"
    )
    partial = etl_process_window(window, SPEC)
    assert partial is not None
    assert partial.insights["readings"] == 288 - 72
    assert partial.insights["sensor_gaps"]["count"] == 1
    assert by_key("day")["day:2025-06-13"].insights["sensor_gaps"]["count"] == 0


def test_comparison_only_between_two_sufficient_windows() -> None:
    results = by_key("cgm_14d")
    compared = {k for k, r in results.items() if r.insights["comparison"] is not None}
    assert compared == {"cgm_14d:2025-06-16", "cgm_14d:2025-06-23", "cgm_14d:2025-06-30"}
    for key, result in results.items():
        kinds = [e.kind for e in result.examples]
        assert (ExampleKind.COMPARISON in kinds) is (key in compared)
    # the first sufficient window has an insufficient predecessor and says so
    note = results["cgm_14d:2025-06-09"].examples[0].output
    assert "2025-05-26" in note and "7 of 14" in note


def test_every_example_is_grounded() -> None:
    for window, result in all_results():
        assert unsupported_figures(result.summary, result.insights) == [], window.key
        for example in result.examples:
            assert (
                ungrounded_figures(example.output, result.summary, SPEC.reference_values) == []
            ), (
                window.key,
                example.kind,
            )


def test_example_kinds_and_questions() -> None:
    for kind in (ExampleKind.SUMMARY, ExampleKind.NOTE, ExampleKind.COMPARISON):
        phrasings = SPEC.instructions_by_kind[kind.value]
        assert len(set(phrasings)) >= 8
    for window, result in all_results():
        kinds = Counter(e.kind for e in result.examples)
        assert kinds[ExampleKind.SUMMARY] == kinds[ExampleKind.NOTE] == 1
        assert 1 <= kinds[ExampleKind.QUESTION] <= 3, window.key
        for example in result.examples:
            assert (example.question is not None) is (example.kind is ExampleKind.QUESTION)
            assert "(record offsets)" not in example.output
            assert "configured time zone" in result.summary


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text) if s]


def test_outputs_vary_between_windows() -> None:
    examples = [e for _, r in all_results() for e in r.examples]
    by_kind: dict[ExampleKind, list[str]] = {}
    for example in examples:
        by_kind.setdefault(example.kind, []).append(mask_digits(example.output))
    for kind, outputs in by_kind.items():
        repeated = [text for text, n in Counter(outputs).items() if n > 1]
        assert repeated == [], kind
    seen_in = Counter(
        sentence for e in examples for sentence in {mask_digits(s) for s in _sentences(e.output)}
    )
    common = {s for s, n in seen_in.items() if n > len(examples) / 2}
    total = sum(len(_sentences(e.output)) for e in examples)
    shared = sum(1 for e in examples for s in _sentences(e.output) if mask_digits(s) in common)
    print(f"\n{len(examples)} examples, {total} sentences, {shared} shared by more than half")
    assert shared / total < 0.05


def test_the_same_records_in_any_file_order_give_the_same_results() -> None:
    shuffled = list(exports())
    random.Random(3).shuffle(shuffled)
    records = records_of(SPEC.name, shuffled)
    random.Random(5).shuffle(records)
    chosen = {"2025-06-05", "2025-06-13", "2025-06-21", "2025-06-29", "2025-07-13"}
    for name in sorted(RULES):
        for window, result in windows(name):
            if name == "day" and str(window.first_day) not in chosen:
                continue
            again = build_window(
                SPEC.name,
                RULES[name],
                window.first_day,
                records,
                time_fields=SPEC.time_fields,
                user=USER,
            )
            other = etl_process_window(again, SPEC)
            assert other is not None
            assert other.insights == result.insights, window.key
            assert other.summary == result.summary
            assert other.examples == result.examples
