"""The real Health Connect exports, through the plugin directly and through ``etl run`` (its
calendar windows, each built from every record of the overlapping files)."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import fastavro
import pytest
from activity_reference import offset_minutes, reference_for_file
from activity_runs import (
    RunOutput,
    assert_one_current_set_per_window,
    by_window,
    expected_results,
    read_run,
)
from activity_window_checks import assert_window_matches_reference, touches
from activity_window_reference import newest_per_id, reference_days

from etl_activity.measures import ACTIVE_ENERGY, MEASURES, STEPS, Measure
from etl_activity.report import process_records
from etl_activity.source_rule import SourceRule
from etl_activity.specs import SPECS
from etl_core import ExampleKind, UserContext
from etl_core.contract.figures import ungrounded_figures, unsupported_figures
from etl_core.testing import read_avro, real_samples, run_etl

STEPS_FILES = real_samples("StepsRecord")
ENERGY_FILES = real_samples("ActiveCaloriesBurnedRecord")
SNAPSHOT_FETCHES = ("1758407139312", "1758407245091", "1758407386729")
RING = "com.ouraring.oura"

pytestmark = pytest.mark.skipif(
    len(STEPS_FILES) != 5 or len(ENERGY_FILES) != 3, reason="real samples not available"
)


def by_name(name: str) -> Path:
    (path,) = [p for p in [*STEPS_FILES, *ENERGY_FILES] if p.name == name]
    return path


def assert_days_match_reference(insights: dict[str, Any], path: Path, measure: Measure) -> None:
    expected = reference_for_file(path, measure.value_field)
    days = insights["days"]
    assert [d["date"] for d in days] == [e.day for e in expected]
    for day, reference in zip(days, expected, strict=True):
        assert day["source"] == reference.chosen_source
        assert day[measure.unit] == measure.rounded(reference.amount)
        assert day["partial"] is reference.partial
        others = {o["source"]: o[measure.unit] for o in day["other_sources"]}
        assert others == {s: measure.rounded(a) for s, a in reference.other_amounts.items()}
        if others:  # never the sum of the sources
            assert day[measure.unit] != measure.rounded(
                reference.amount + sum(reference.other_amounts.values())
            )


# -- in process ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", [*STEPS_FILES, *ENERGY_FILES], ids=lambda p: p.name)
def test_real_file_days_equal_one_source_computed_from_raw_records(path: Path) -> None:
    measure = STEPS if path.name.startswith("Steps") else ACTIVE_ENERGY
    result = process_records(measure, read_avro(path), UserContext(), SourceRule())
    assert_days_match_reference(dict(result.insights), path, measure)
    assert unsupported_figures(result.narrative, result.insights) == []
    assert result.insights["timezone"] == "-05:00 (record offsets)"


def test_the_phone_and_ring_day_picks_the_phone_by_coverage_and_keeps_the_ring() -> None:
    path = by_name(f"StepsRecord_{SNAPSHOT_FETCHES[0]}.avro")
    records = read_avro(path)
    result = process_records(STEPS, records, UserContext(), SourceRule())
    (day,) = result.insights["days"]
    raw = {r["metadata"]["dataOriginPackageName"]: r["count"] for r in records}
    assert len(raw) == 2
    assert day["steps"] == raw["com.sec.android.app.shealth"]
    assert day["other_sources"][0]["steps"] == raw[RING]
    assert day["selected_by"] == "coverage"


def test_reader_schemas_name_the_real_writer_schemas() -> None:
    for path in (STEPS_FILES[0], ENERGY_FILES[0]):
        with path.open("rb") as handle:
            writer = fastavro.reader(handle).writer_schema
        assert isinstance(writer, dict)
        spec = SPECS[path.name.split("_", 1)[0]]
        assert spec.reader_schema is not None
        assert spec.reader_schema["name"] == writer["name"]
        assert [f["name"] for f in spec.reader_schema["fields"]] == [
            f["name"] for f in writer["fields"]
        ]


# -- through etl run -----------------------------------------------------------------------
#
# The files overlap: the three snapshots of 20 September hold the same two step records (and
# the same energy record), refetched minutes apart. Each window's current examples must be
# built from every distinct record of its days, once.

AGE = 45
RING_FIRST = {"ETL_ACTIVITY_SOURCE_RULE": "priority-first", "ETL_ACTIVITY_SOURCE_PRIORITY": RING}
PHONE = "com.sec.android.app.shealth"
RANGE_STATED = re.compile(r"\d,000-\d")


@pytest.fixture(scope="module")
def run_with_age(tmp_path_factory: pytest.TempPathFactory) -> RunOutput:
    out = tmp_path_factory.mktemp("etl-age")
    run_etl([*STEPS_FILES, *ENERGY_FILES], out, "--age", str(AGE))
    return read_run(out)


@pytest.fixture(scope="module")
def run_ring_first_no_age(tmp_path_factory: pytest.TempPathFactory) -> RunOutput:
    out = tmp_path_factory.mktemp("etl-ring-first")
    run_etl(STEPS_FILES, out, env=RING_FIRST)
    return read_run(out)


def newest_records(record_type: str) -> list[dict[str, Any]]:
    return newest_per_id([r for path in real_samples(record_type) for r in read_avro(path)])


def local_iso(epoch_ms: int, offset_id: str) -> str:
    zone = timezone(timedelta(minutes=offset_minutes(offset_id)))
    return datetime.fromtimestamp(epoch_ms / 1000, tz=zone).isoformat(timespec="seconds")


def window_days(meta: dict[str, Any]) -> list[date]:
    first = date.fromisoformat(meta["window"]["first_day"])
    return [first + timedelta(days=i) for i in range(meta["window"]["days"])]


def test_overlapping_files_give_one_current_example_set_per_window_built_from_every_record(
    run_with_age: RunOutput,
) -> None:
    assert_one_current_set_per_window(
        run_with_age, expected_results([*STEPS_FILES, *ENERGY_FILES], AGE)
    )
    windows = by_window(run_with_age.current)
    # The windows are the local days of the raw records and their ISO weeks.
    for record_type, measure in MEASURES.items():
        days = reference_days(newest_records(record_type), measure.value_field)
        mondays = {day - timedelta(days=day.weekday()) for day in days}
        assert {key for kind, key in windows if kind == record_type} == {
            f"day:{day}" for day in days
        } | {f"week:{monday}" for monday in mondays}
    # Steps: 20, 21 and 22 September in two ISO weeks; energy: 20 September.
    assert Counter(kind for kind, _ in windows) == {
        "StepsRecord": 5,
        "ActiveCaloriesBurnedRecord": 2,
    }
    # Six copies of two step records (and three of one energy record) in the snapshots: their
    # day is one window of the distinct records, read at the latest of the three fetches.
    latest_snapshot = max(map(int, SNAPSHOT_FETCHES))
    for record_type, distinct in (("StepsRecord", 2), ("ActiveCaloriesBurnedRecord", 1)):
        copies = [
            r
            for fetch in SNAPSHOT_FETCHES
            for r in read_avro(by_name(f"{record_type}_{fetch}.avro"))
        ]
        assert len(copies) == 3 * distinct
        assert len({r["metadata"]["id"] for r in copies}) == distinct
        shared_day = windows[(record_type, "day:2025-09-20")]
        for example in shared_day:
            meta = example["metadata"]
            assert meta["record_count"] == distinct
            assert meta["clinical_insights"]["fetched_at"] == local_iso(latest_snapshot, "-05:00")


def test_every_window_matches_the_raw_records(run_with_age: RunOutput) -> None:
    windows = by_window(run_with_age.current)
    assert len(windows) == 7
    for (record_type, _), examples in windows.items():
        measure = MEASURES[record_type]
        spec = SPECS[record_type]
        records = newest_records(record_type)
        days = reference_days(records, measure.value_field)
        for example in examples:
            meta = example["metadata"]
            insights = meta["clinical_insights"]
            first_day = date.fromisoformat(meta["window"]["first_day"])
            assert_window_matches_reference(
                measure.unit, meta["window"]["rule"], first_day, insights, records, days, AGE
            )
            touching = [r for r in records if touches(r, window_days(meta))]
            latest = max(touching, key=lambda r: r["appRecordFetchTimeEpochMillis"])
            assert insights["fetched_at"] == local_iso(
                latest["appRecordFetchTimeEpochMillis"], latest["startZoneOffsetId"]
            )
            # Local time is the records' own offset, and no output says otherwise.
            assert meta["clock"] == "record offsets"
            assert insights["local_offset"] == "-05:00"
            last_day = window_days(meta)[-1] + timedelta(days=1)
            assert (meta["window"]["start"], meta["window"]["end"]) == (
                f"{first_day}T00:00",
                f"{last_day}T00:00",
            )
            assert meta["data_start"].endswith("-05:00") and meta["data_end"].endswith("-05:00")
            assert "-05:00" not in example["output"]
            assert meta["health_domain"] == "physical_activity"
            assert meta["processor"].startswith("activity ")
            assert unsupported_figures(example["output"], insights) == []
            assert (
                ungrounded_figures(example["output"], example["input"], spec.reference_values) == []
            )
            kind = ExampleKind(meta["example_kind"])
            if kind is ExampleKind.QUESTION:
                assert example["instruction"].endswith("?")
            else:
                assert example["instruction"] in spec.instructions_by_kind[kind]


def _fetch_clock(path: Path) -> str:
    (record,) = read_avro(path)
    fetched = local_iso(record["appRecordFetchTimeEpochMillis"], record["startZoneOffsetId"])
    return fetched[11:16]


def test_the_day_running_at_fetch_time_is_reported_partial(run_with_age: RunOutput) -> None:
    # Every sample was fetched before its day ended (e.g. 10:27 on 22 September).
    late_morning = by_name("StepsRecord_1758554834823.avro")
    (record,) = read_avro(late_morning)
    clock = _fetch_clock(late_morning)
    assert clock == "10:27"
    windows = by_window(run_with_age.current)
    for example in windows[("StepsRecord", "day:2025-09-22")]:
        insights = example["metadata"]["clinical_insights"]
        assert insights["partial"] is True and insights["range_position"] is None
        assert insights["steps"] == record["count"]
        assert "so far" in example["input"] and "in progress" in example["input"]
        assert "sedentary" not in example["output"]
        assert not RANGE_STATED.search(example["output"])
        if example["metadata"]["example_kind"] in ("clinician_summary", "personal_note"):
            assert clock in example["output"]
    for example in windows[("StepsRecord", "week:2025-09-22")]:
        insights = example["metadata"]["clinical_insights"]
        assert insights["partial_dates"] == ["2025-09-22"] and insights["complete_days"] == 0
        assert insights["mean_daily_steps"] is None
        assert insights["data_sufficient"] is False
        assert insights["mean_range_position"] is None and insights["days_within_range"] == 0
        assert "sedentary" not in example["output"]
        if example["metadata"]["example_kind"] == "clinician_summary":
            assert "Monday" in example["output"] and clock in example["output"]


def test_age_selects_the_range_and_unknown_age_is_stated(
    run_with_age: RunOutput, run_ring_first_no_age: RunOutput
) -> None:
    steps = [e for e in run_with_age.current if e["metadata"]["record_type"] == "StepsRecord"]
    assert steps
    for example in steps:
        insights = example["metadata"]["clinical_insights"]
        assert insights["step_range"] == {"low": 8000, "high": 10000, "age_group": "under 60"}
        assert insights["age_years"] == AGE
        assert f"age: {AGE}; step range for this age: 8,000-10,000" in example["input"]
        # No day is complete: nothing is judged against the range, nor the other age group's.
        assert "6,000-8,000" not in example["output"]
        lowered = example["output"].lower()
        assert "age is" not in lowered and "your age" not in lowered
    for key, examples in by_window(run_ring_first_no_age.current).items():
        for example in examples:
            insights = example["metadata"]["clinical_insights"]
            assert insights["step_range"] is None and insights["age_years"] is None
            assert "age: unknown; no personal step range" in example["input"]
            assert not RANGE_STATED.search(example["output"])
            kind = example["metadata"]["example_kind"]
            if key[1].startswith("week:") and kind in ("clinician_summary", "personal_note"):
                assert re.search(r"\bage\b", example["output"], re.IGNORECASE), example["output"]


def test_configured_priority_first_rule_picks_the_ring(
    run_with_age: RunOutput, run_ring_first_no_age: RunOutput
) -> None:
    assert_one_current_set_per_window(
        run_ring_first_no_age, expected_results(STEPS_FILES, None, RING_FIRST)
    )
    raw = {
        r["metadata"]["dataOriginPackageName"]: r["count"]
        for r in read_avro(by_name(f"StepsRecord_{SNAPSHOT_FETCHES[0]}.avro"))
    }
    windows = by_window(run_ring_first_no_age.current)
    for example in windows[("StepsRecord", "day:2025-09-20")]:
        insights = example["metadata"]["clinical_insights"]
        assert (insights["source"], insights["steps"]) == (RING, raw[RING])
        assert insights["selected_by"] == "priority"
        assert [(o["source"], o["steps"]) for o in insights["other_sources"]] == [
            (PHONE, raw[PHONE])
        ]
        assert insights["source_rule"]["order"][0] == "priority"
        assert insights["source_rule"]["priority"] == [RING]
        assert unsupported_figures(example["output"], insights) == []
        if example["metadata"]["example_kind"] == "clinician_summary":
            assert "Oura" in example["output"] and f"{raw[RING]:,}" in example["output"]
    for example in windows[("StepsRecord", "week:2025-09-15")]:
        (saturday,) = [
            d for d in example["metadata"]["clinical_insights"]["days"] if d["date"] == "2025-09-20"
        ]
        assert (saturday["source"], saturday["steps"]) == (RING, raw[RING])
    # With the default rule the same day is the phone's, which covers more of it.
    for example in by_window(run_with_age.current)[("StepsRecord", "day:2025-09-20")]:
        insights = example["metadata"]["clinical_insights"]
        assert (insights["source"], insights["steps"]) == (PHONE, raw[PHONE])
        assert insights["selected_by"] == "coverage"
