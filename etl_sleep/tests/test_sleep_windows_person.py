"""The synthetic person (six weeks of overlapping daily exports): every insight of every
night and week window equals what the reference computes from the raw records itself."""

from __future__ import annotations

import random
import re
from datetime import date
from typing import Any

import pytest
from sleep_window_reference import (
    expected_night,
    expected_week,
    newest_sessions,
    night_of,
    session_facts,
)

from etl_core import ExampleKind, ProcessResult, RecordTypeSpec, Window
from etl_core.testing import SyntheticExport, windows_from_exports, write_health_connect
from etl_sleep import plugin
from etl_sleep.window_insights import REFERENCE_VALUES
from etl_sleep.windows_process import NIGHT_RULE, WEEK_RULE

CONFIGURATION = {"targets", "primary_source_rule", "night_rule"}
"""Insights that restate the configuration rather than the data (checked separately)."""


def processed(window: Window, spec: RecordTypeSpec) -> ProcessResult:
    result = plugin.etl_process_window(window, spec)
    assert result is not None, window.key
    return result


def assert_insights(result: ProcessResult, expected: dict[str, Any], key: str) -> None:
    insights = dict(result.insights)
    assert set(insights) == set(expected) | CONFIGURATION, key
    for name, value in expected.items():
        assert insights[name] == value, f"{key}: {name}"
    assert insights["targets"] == REFERENCE_VALUES
    assert insights["primary_source_rule"]["configured_by"] == "default"


def test_the_windows_cover_every_night_and_week(
    night_windows: list[Window], week_windows: list[Window], person: list[SyntheticExport]
) -> None:
    records = newest_sessions(person)
    assert len(records) == 73  # 37 phone nights, 30 ring nights, 6 Saturday naps
    # 41 nights less night 12 and three nights of week 5; night 12 and the fifth Saturday
    # keep only their naps
    assert len(night_windows) == 39
    assert [w.key for w in week_windows] == [
        f"week:2025-{day}" for day in ("06-02", "06-09", "06-16", "06-23", "06-30", "07-07")
    ]


def test_every_night_window_insight_matches_the_reference(
    night_windows: list[Window], spec: RecordTypeSpec, person: list[SyntheticExport]
) -> None:
    records = newest_sessions(person)
    for window in night_windows:
        expected = expected_night(records, window.first_day)
        assert expected is not None, window.key
        assert_insights(processed(window, spec), expected, window.key)


def test_every_week_window_insight_matches_the_reference(
    week_windows: list[Window], spec: RecordTypeSpec, person: list[SyntheticExport]
) -> None:
    records = newest_sessions(person)
    for window in week_windows:
        expected = expected_week(records, window.first_day)
        assert expected is not None, window.key
        assert_insights(processed(window, spec), expected, window.key)


def test_what_the_person_was_built_with(
    night_windows: list[Window], week_windows: list[Window], spec: RecordTypeSpec
) -> None:
    nights = {w.key: processed(w, spec).insights for w in night_windows}
    # night 12 (Saturday 2025-06-14) is missing from both devices; its Saturday nap is not
    missing = nights["night:2025-06-14"]
    assert missing["night"] is None and len(missing["naps"]) == 1
    assert "no night-length session" in missing["missing"][0]
    # the phone is primary and the ring corroborates; they are one night, never two
    friday = nights["night:2025-06-06"]["night"]
    assert friday["source_name"] == "Samsung Health"
    assert [c["source_name"] for c in friday["corroboration"]] == ["Oura"]
    # Saturday naps are reported apart, in the window of Saturday's night
    saturday = nights["night:2025-06-07"]
    assert saturday["naps"][0]["start"] == "14:30" and saturday["night"] is not None
    weeks = {w.key: processed(w, spec).insights for w in week_windows}
    # week 5 keeps four nights: below the weekly minimum, nothing weekly, the gap named
    short = weeks["week:2025-06-30"]
    assert short["nights_recorded"] == 4 and short["sufficient"] is False
    assert short["weekly"] is None and short["sleep_regularity_index"] is None
    assert short["social_jet_lag"] is None
    assert "4 of 7" in short["missing"][0]
    # week 2 misses night 12: six nights, the SRI from the four consecutive pairs left
    second = weeks["week:2025-06-09"]
    assert second["nights_recorded"] == 6
    assert second["sleep_regularity_index"]["day_pairs"] == 4
    # later weekend nights: mid-sleep later on free nights in every full week
    for key in ("week:2025-06-02", "week:2025-06-16", "week:2025-06-23"):
        lag = weeks[key]["social_jet_lag"]
        assert lag["direction"] == "later" and lag["minutes"] > 60
        assert weeks[key]["naps"] and all(n["weekday"] == "Saturday" for n in weeks[key]["naps"])
    # comparisons only between sufficient weeks: none after the short week, none from it
    assert weeks["week:2025-06-30"]["change_from_previous_week"] is None
    assert weeks["week:2025-07-07"]["change_from_previous_week"] is None
    assert weeks["week:2025-06-09"]["change_from_previous_week"] is not None


def test_each_period_belongs_to_exactly_one_night_window(
    night_windows: list[Window], spec: RecordTypeSpec, person: list[SyntheticExport]
) -> None:
    sessions = sum(processed(w, spec).insights["sessions"] for w in night_windows)
    assert sessions == len(newest_sessions(person))


def test_examples_have_the_kinds_the_contract_asks_for(
    night_windows: list[Window], week_windows: list[Window], spec: RecordTypeSpec
) -> None:
    for window in [*night_windows, *week_windows]:
        result = processed(window, spec)
        kinds = [e.kind for e in result.examples]
        assert kinds[:2] == [ExampleKind.SUMMARY, ExampleKind.NOTE], window.key
        questions = [e for e in result.examples if e.kind is ExampleKind.QUESTION]
        assert 1 <= len(questions) <= 3 and all(q.question for q in questions)
        comparisons = kinds.count(ExampleKind.COMPARISON)
        previous = (
            result.insights.get("change_from_previous_week")
            if window.rule.name == "week"
            else result.insights.get("change_from_previous_night")
        )
        assert comparisons == (previous is not None), window.key
        assert result.methods and result.narrative == result.examples[0].output


def _shuffled(person: list[SyntheticExport], seed: int) -> list[SyntheticExport]:
    exports = list(person)
    random.Random(seed).shuffle(exports)
    return exports


@pytest.mark.parametrize("seed", [1, 2])
def test_the_same_windows_from_files_in_any_order_give_the_same_results(
    person: list[SyntheticExport], spec: RecordTypeSpec, seed: int
) -> None:
    for rule in (NIGHT_RULE, WEEK_RULE):
        ordered = windows_from_exports(spec, rule, person)
        shuffled = windows_from_exports(spec, rule, _shuffled(person, seed))
        assert [w.key for w in shuffled] == [w.key for w in ordered]
        for a, b in zip(ordered, shuffled, strict=True):
            assert processed(a, spec) == processed(b, spec), a.key


def test_a_night_that_starts_asleep_has_no_recorded_latency(
    person: list[SyntheticExport], spec: RecordTypeSpec
) -> None:
    """Night 9 (Wednesday 2025-06-11) as the generator describes it: the phone's session
    begins with its first sleep stage, no in-bed-awake period. Built here from the person's
    own records so the test does not depend on how the generator draws night 9."""
    records = newest_sessions(person)
    night9 = next(
        r
        for r in records
        if r["metadata"]["dataOriginPackageName"] == "com.sec.android.app.shealth"
        and night_of(session_facts(r)) == date(2025, 6, 11)
        and r["endTimeEpochMillis"] - r["startTimeEpochMillis"] > 3 * 3_600_000
    )
    stages = sorted(night9["stages"], key=lambda s: s["startTimeEpochMillis"])
    while stages[0]["stage"] not in {"LIGHT", "DEEP", "REM", "SLEEPING"}:
        stages = stages[1:]
    night9["stages"] = stages
    night9["startTimeEpochMillis"] = stages[0]["startTimeEpochMillis"]
    export = write_health_connect("SleepSessionRecord", records)
    (window,) = [
        w for w in windows_from_exports(spec, NIGHT_RULE, [export]) if w.key == "night:2025-06-11"
    ]
    result = processed(window, spec)
    assert_insights(result, expected_night(records, window.first_day) or {}, window.key)
    night = result.insights["night"]
    assert night["latency_min"] is None and night["latency_recorded"] is False
    assert night["meets"]["latency"] is None
    assert "onset latency: not recorded" in result.summary
    for example in result.examples:
        assert not re.search(r"(?<![\d.])0(\.0)? ?min", example.output), example.output
    assert any("latency" in e.output.lower() for e in result.examples)
    week = next(
        w for w in windows_from_exports(spec, WEEK_RULE, [export]) if w.key == "week:2025-06-09"
    )
    week_result = processed(week, spec)
    assert_insights(week_result, expected_week(records, week.first_day) or {}, week.key)
    assert "onset latency not recorded" in week_result.summary
