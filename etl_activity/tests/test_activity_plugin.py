"""The hook module: discovery, validation specifics, process dispatch and configuration."""

from __future__ import annotations

import statistics
from datetime import date, datetime, timedelta, timezone
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest
from activity_builders import PHONE, RING, activity_record, local_ms, whole_day_steps
from activity_runs import assert_one_current_set_per_window, by_window, expected_results, read_run
from activity_window_checks import assert_window_matches_reference
from activity_window_reference import newest_per_id, reference_days

from etl_activity import plugin
from etl_activity.source_rule import ActivitySettings
from etl_activity.specs import SPECS
from etl_core import Severity, UserContext, ValidationReport, WindowRule
from etl_core.contract.figures import ungrounded_figures, unsupported_figures
from etl_core.contract.windows import ClockSource, build_window
from etl_core.testing import (
    allowed_in_messages,
    build_batch,
    quoted_values,
    run_etl,
    training_examples,
    write_avro,
)

PASSED = ValidationReport(findings=[], scores={}, quality_score=1.0, threshold=0.5)


def test_entry_point_names_the_hook_module() -> None:
    (entry,) = [e for e in entry_points(group="etl_core.plugins") if e.name == "activity"]
    assert entry.value == "etl_activity.plugin"
    assert plugin.ETL_PLUGIN_API == "1.6"


def test_record_types_and_domain() -> None:
    specs = {spec.name: spec for spec in plugin.etl_record_types()}
    assert set(specs) == {"StepsRecord", "ActiveCaloriesBurnedRecord"}
    for spec in specs.values():
        assert spec.health_domain == "physical_activity"
        assert spec.time_fields == ("startTimeEpochMillis", "endTimeEpochMillis")
        assert "appRecordFetchTimeEpochMillis" in spec.required_fields
        assert len(spec.instructions) >= 2
    assert "energyInKilocalories" in specs["ActiveCaloriesBurnedRecord"].ranges


def test_other_record_types_are_left_alone() -> None:
    batch = build_batch("HeartRateRecord", [{"samples": []}])
    spec = SPECS["StepsRecord"]
    assert plugin.etl_validate(batch, spec) is None
    assert plugin.etl_process(batch, spec, PASSED) is None


def test_zero_length_intervals_are_excluded_and_fast_cadence_is_flagged() -> None:
    start = local_ms(2025, 9, 20, 8)
    fetch = local_ms(2025, 9, 21)
    records = [
        activity_record("ok", PHONE, start, start + 3_600_000, count=4000, fetch_ms=fetch),
        activity_record("empty", PHONE, start, start, count=5, fetch_ms=fetch),
        activity_record("fast", PHONE, start, start + 600_000, count=9000, fetch_ms=fetch),
    ]
    findings = plugin.etl_validate(build_batch("StepsRecord", records), SPECS["StepsRecord"])
    assert findings is not None
    codes = {f.code: f for f in findings}
    assert codes["zero_length_interval"].severity is Severity.ERROR
    assert codes["zero_length_interval"].record_indices == frozenset({1})
    assert codes["implausible_cadence"].severity is Severity.WARNING
    assert codes["implausible_cadence"].affected == 1
    assert all("9000" not in f.message for f in findings)  # no health values in messages


def test_the_cadence_message_states_no_figure_a_step_count_could_equal() -> None:
    """Core redacts a message figure equal to a value of the records: the cadence limit in the
    message would read as a quoted step count whenever a record counted exactly that many."""
    start = local_ms(2025, 9, 20, 8)
    fetch = local_ms(2025, 9, 21)
    records = [
        activity_record("limit", PHONE, start, start + 3_600_000, count=300, fetch_ms=fetch),
        activity_record("fast", PHONE, start, start + 600_000, count=9000, fetch_ms=fetch),
    ]
    batch = build_batch("StepsRecord", records)
    spec = SPECS["StepsRecord"]
    findings = plugin.etl_validate(batch, spec) or []
    [cadence] = [f for f in findings if f.code == "implausible_cadence"]
    allowed = allowed_in_messages(findings, len(records), spec)
    assert quoted_values(cadence.message, records, allowed) == []


def test_process_reads_the_source_rule_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fetch = local_ms(2025, 9, 22)
    records = [
        whole_day_steps("p", PHONE, datetime(2025, 9, 20), 3933, fetch),
        activity_record(
            "r",
            RING,
            local_ms(2025, 9, 20, 4),
            local_ms(2025, 9, 21) - 1,
            count=2517,
            fetch_ms=fetch,
        ),
    ]
    batch = build_batch("StepsRecord", records)
    result = plugin.etl_process(batch, SPECS["StepsRecord"], PASSED)
    assert result is not None and result.insights["days"][0]["steps"] == 3933
    monkeypatch.setenv("ETL_ACTIVITY_SOURCE_RULE", "priority-first")
    monkeypatch.setenv("ETL_ACTIVITY_SOURCE_PRIORITY", RING)
    plugin.etl_configure(ActivitySettings())  # as core does at start-up
    result = plugin.etl_process(batch, SPECS["StepsRecord"], PASSED)
    assert result is not None and result.insights["days"][0]["steps"] == 2517
    assert result.insights["source_rule"]["priority"] == [RING]


def test_a_crafted_rising_week_through_etl_run_is_compared_with_the_week_before(
    tmp_path: Path,
) -> None:
    """A week of rising steps from a phone and a ring, after a quieter week from the phone
    alone, and today's running total, in one file: each day and week window against the raw
    values, the age-67 range, and the rise stated as a week-to-week change, never a trend."""
    previous = [3000, 3400, 3800, 4300, 4700, 5200, 5600]
    steps = [3500, 4200, 5100, 6000, 6600, 7400, 8200]
    fetch = local_ms(2025, 9, 8, 7, 45)
    records = [
        whole_day_steps(f"p{i}", PHONE, datetime(2025, 8, 25) + timedelta(days=i), n, fetch)
        for i, n in enumerate(previous)
    ]
    records += [
        whole_day_steps(f"d{i}", PHONE, datetime(2025, 9, 1) + timedelta(days=i), n, fetch)
        for i, n in enumerate(steps)
    ]
    # Today's running total and a ring that covers less of each day.
    records.append(whole_day_steps("today", PHONE, datetime(2025, 9, 8), 600, fetch))
    records += [
        activity_record(
            f"r{i}",
            RING,
            local_ms(2025, 9, 1 + i, 4),
            local_ms(2025, 9, 2 + i) - 1,
            count=n - 700,
            fetch_ms=fetch,
        )
        for i, n in enumerate(steps)
    ]
    records.sort(key=lambda r: r["startTimeEpochMillis"])
    source = tmp_path / "in" / f"StepsRecord_{fetch}.avro"
    source.parent.mkdir()
    source.write_bytes(write_avro(SPECS["StepsRecord"].reader_schema or {}, records))
    run_etl([source], tmp_path / "out", "--age", "67")
    run = read_run(tmp_path / "out")
    assert_one_current_set_per_window(run, expected_results([source], 67))
    windows = by_window(run.current)
    newest = newest_per_id(records)
    days = reference_days(newest, "count")
    for (_, key), examples in windows.items():
        for example in examples:
            insights = example["metadata"]["clinical_insights"]
            first_day = date.fromisoformat(example["metadata"]["window"]["first_day"])
            rule = key.split(":")[0]
            assert_window_matches_reference("steps", rule, first_day, insights, newest, days, 67)
            assert unsupported_figures(example["output"], insights) == []
            assert "rising" not in example["output"]  # two weeks are not a trend
    assert {key for _, key in windows} == {
        *(f"day:{date(2025, 8, 25) + timedelta(days=i)}" for i in range(15)),
        "week:2025-08-25",
        "week:2025-09-01",
        "week:2025-09-08",
    }

    week = windows[("StepsRecord", "week:2025-09-01")]
    insights = week[0]["metadata"]["clinical_insights"]
    assert [d["steps"] for d in insights["days"]] == steps
    assert [d["source"] for d in insights["days"]] == [PHONE] * 7
    assert [o["steps"] for d in insights["days"] for o in d["other_sources"]] == [
        n - 700 for n in steps
    ]
    assert insights["partial_days"] == 0 and insights["complete_days"] == 7
    mean, previous_mean = round(statistics.fmean(steps)), round(statistics.fmean(previous))
    assert insights["mean_daily_steps"] == mean
    assert insights["step_range"] == {"low": 6000, "high": 8000, "age_group": "60 and over"}
    assert (
        insights["days_below_range"],
        insights["days_within_range"],
        insights["days_above_range"],
    ) == (3, 3, 1)
    assert insights["mean_range_position"] == "below"
    assert insights["days_with_several_sources"] == 7
    assert (insights["lowest_day"]["steps"], insights["highest_day"]["steps"]) == (3500, 8200)
    # The rise, as the change from the quieter week before.
    assert insights["previous_week"]["mean_daily_steps"] == previous_mean
    percent = round(100 * (mean - previous_mean) / previous_mean)
    assert insights["comparable"] is True
    assert insights["change"] == {
        "steps": mean - previous_mean,
        "percent": percent,
        "direction": "higher",
        "same_sources": True,
    }
    texts = {e["metadata"]["example_kind"]: e["output"] for e in week}
    comparison = texts["comparison"]
    assert f"{mean - previous_mean:,}" in comparison and f"{percent}%" in comparison
    assert "higher" in comparison or "more" in comparison
    assert "lower" not in comparison and "fewer" not in comparison
    trend_sentences = [s for s in comparison.split(". ") if "trend" in s]
    assert trend_sentences and all(" not " in f" {s} " or "nothing" in s for s in trend_sentences)
    # The range of the age: 6,000-8,000 at 67, never the under-60 range.
    assert "6,000-8,000" in texts["clinician_summary"]
    assert all("8,000-10,000" not in e["output"] for e in week)

    (today,) = windows[("StepsRecord", "week:2025-09-08")][0]["metadata"]["clinical_insights"][
        "days"
    ]
    assert (today["steps"], today["partial"]) == (600, True)
    for example in windows[("StepsRecord", "week:2025-09-08")]:
        insights = example["metadata"]["clinical_insights"]
        assert insights["complete_days"] == 0 and insights["comparable"] is False
        assert insights["previous_week"]["complete_days"] == 7
        assert example["metadata"]["example_kind"] != "comparison"


def test_a_misconfigured_source_rule_fails_the_file_loudly(tmp_path: Path) -> None:
    fetch = local_ms(2025, 9, 22)
    source = tmp_path / f"StepsRecord_{fetch}.avro"
    record = whole_day_steps("p", PHONE, datetime(2025, 9, 20), 3933, fetch)
    source.write_bytes(write_avro(SPECS["StepsRecord"].reader_schema or {}, [record]))
    result = run_etl(
        [source], tmp_path / "out", env={"ETL_ACTIVITY_SOURCE_RULE": "sum"}, check=False
    )
    refusal = result.stdout + result.stderr
    assert (
        "ETL_ACTIVITY_SOURCE_RULE" in refusal and "'coverage-first' or 'priority-first'" in refusal
    )
    assert result.returncode == 3
    assert training_examples(tmp_path / "out") == []


# -- calendar windows ------------------------------------------------------------------------


def _ring_and_phone_day() -> list[dict[str, Any]]:
    fetch = local_ms(2025, 9, 22)
    return [
        whole_day_steps("p", PHONE, datetime(2025, 9, 20), 3933, fetch),
        activity_record(
            "r",
            RING,
            local_ms(2025, 9, 20, 4),
            local_ms(2025, 9, 21) - 1,
            count=2517,
            fetch_ms=fetch,
        ),
    ]


def test_windows_read_the_source_rule_from_the_environment_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spec = SPECS["StepsRecord"]
    window = build_window(
        "StepsRecord",
        WindowRule.day(),
        date(2025, 9, 20),
        _ring_and_phone_day(),
        time_fields=spec.time_fields,
    )
    result = plugin.etl_process_window(window, spec)
    assert result is not None and result.insights["steps"] == 3933
    monkeypatch.setenv("ETL_ACTIVITY_SOURCE_RULE", "priority-first")
    monkeypatch.setenv("ETL_ACTIVITY_SOURCE_PRIORITY", RING)
    plugin.etl_configure(ActivitySettings())  # as core does at start-up
    result = plugin.etl_process_window(window, spec)
    assert result is not None and result.insights["steps"] == 2517
    assert result.insights["source_rule"]["priority"] == [RING]
    assert "Samsung Health (3,933 steps)" in result.examples[0].output
    monkeypatch.setenv("ETL_ACTIVITY_SOURCE_RULE", "sum")
    # Refused when the settings are read, at start-up, no longer by each window.
    with pytest.raises(ValueError, match="ETL_ACTIVITY_SOURCE_RULE"):
        plugin.etl_configure(ActivitySettings())


def test_windows_of_other_types_and_rules_are_declined() -> None:
    spec = SPECS["StepsRecord"]
    records = _ring_and_phone_day()
    foreign = build_window(
        "HeartRateRecord", WindowRule.day(), date(2025, 9, 20), [], time_fields=spec.time_fields
    )
    assert plugin.etl_process_window(foreign, spec) is None
    night = build_window(
        "StepsRecord", WindowRule.night(), date(2025, 9, 20), records, time_fields=spec.time_fields
    )
    assert plugin.etl_process_window(night, spec) is None
    empty_week = build_window(
        "StepsRecord",
        WindowRule.iso_week(),
        date(2025, 9, 1),
        records,
        time_fields=spec.time_fields,
    )
    assert plugin.etl_process_window(empty_week, spec) is None


def test_a_window_read_in_a_zone_not_carried_by_the_records_says_so() -> None:
    spec = SPECS["StepsRecord"]
    records = [
        {**r, "startZoneOffsetId": None, "endZoneOffsetId": None} for r in _ring_and_phone_day()
    ]
    zone = timezone(timedelta(hours=-5))
    window = build_window(
        "StepsRecord",
        WindowRule.day(),
        date(2025, 9, 20),
        records,
        time_fields=spec.time_fields,
        user=UserContext(timezone=zone),
    )
    assert window.clock is ClockSource.CONFIGURED
    result = plugin.etl_process_window(window, spec)
    assert result is not None and result.insights["steps"] == 3933
    summary = result.examples[0].output
    assert "-05:00" in summary and "time zone set for the person" in summary
    assert ungrounded_figures(summary, result.summary, spec.reference_values) == []
    with_offsets = build_window(
        "StepsRecord",
        WindowRule.day(),
        date(2025, 9, 20),
        _ring_and_phone_day(),
        time_fields=spec.time_fields,
    )
    result = plugin.etl_process_window(with_offsets, spec)
    assert result is not None
    assert all("-05:00" not in example.output for example in result.examples)


def test_an_unknown_source_rule_stops_start_up_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from etl_core.engine.registry import PluginLoadError, load_plugins
    from etl_core.testing import installed_entry_point

    monkeypatch.setenv("ETL_ACTIVITY_SOURCE_RULE", "sum")
    with pytest.raises(PluginLoadError, match=r"'activity' .* ETL_ACTIVITY_SOURCE_RULE"):
        load_plugins(entry_points=[installed_entry_point("activity")])
    monkeypatch.setenv("ETL_ACTIVITY_SOURCE_RULE", " Priority-First ")
    monkeypatch.setenv("ETL_ACTIVITY_SOURCE_PRIORITY", RING)
    load_plugins(entry_points=[installed_entry_point("activity")])
    assert plugin.configured_source_rule().priority_first
    assert plugin.configured_source_rule().priority == (RING,)
