"""The real Health Connect exports, through the plugin directly and through ``etl run``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import fastavro
import pytest
from activity_reference import reference_for_file

from etl_activity.measures import ACTIVE_ENERGY, STEPS, Measure
from etl_activity.report import process_records
from etl_activity.source_rule import SourceRule
from etl_activity.specs import SPECS
from etl_core import UserContext
from etl_core.figures import unsupported_figures
from etl_core.testing import read_avro, real_samples, run_etl, training_examples

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


@pytest.fixture(scope="module")
def run_with_age(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    out = tmp_path_factory.mktemp("etl-age")
    run_etl([*STEPS_FILES, *ENERGY_FILES], out, "--age", "45")
    return training_examples(out, "physical_activity")


@pytest.fixture(scope="module")
def run_ring_first_no_age(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    out = tmp_path_factory.mktemp("etl-ring-first")
    run_etl(
        STEPS_FILES,
        out,
        env={"ETL_ACTIVITY_SOURCE_RULE": "priority-first", "ETL_ACTIVITY_SOURCE_PRIORITY": RING},
    )
    return training_examples(out, "physical_activity")


def examples_of(examples: list[dict[str, Any]], record_type: str) -> list[dict[str, Any]]:
    return [e for e in examples if e["metadata"]["source_key"].startswith(record_type + "_")]


def test_identical_record_sets_give_one_example(run_with_age: list[dict[str, Any]]) -> None:
    steps_keys = [e["metadata"]["source_key"] for e in examples_of(run_with_age, "StepsRecord")]
    energy = examples_of(run_with_age, "ActiveCaloriesBurnedRecord")
    assert len(steps_keys) == 3
    assert sum(key.split("_")[1][:-5] in SNAPSHOT_FETCHES for key in steps_keys) == 1
    assert {"StepsRecord_1758494067274.avro", "StepsRecord_1758554834823.avro"} <= set(steps_keys)
    assert len(energy) == 1


def test_every_example_matches_the_raw_records(run_with_age: list[dict[str, Any]]) -> None:
    assert len(run_with_age) == 4
    for example in run_with_age:
        metadata = example["metadata"]
        measure = STEPS if metadata["source_key"].startswith("Steps") else ACTIVE_ENERGY
        insights = metadata["clinical_insights"]
        assert metadata["health_domain"] == "physical_activity"
        assert metadata["processor"].startswith("activity ")
        assert_days_match_reference(insights, by_name(metadata["source_key"]), measure)
        assert unsupported_figures(example["output"], insights) == []
        assert example["instruction"] in SPECS[measure.record_type].instructions


def test_the_day_running_at_fetch_time_is_reported_partial(
    run_with_age: list[dict[str, Any]],
) -> None:
    # Every sample was fetched before its day ended (e.g. 10:27 on 22 September).
    (late_morning,) = [
        e for e in run_with_age if e["metadata"]["source_key"] == "StepsRecord_1758554834823.avro"
    ]
    insights = late_morning["metadata"]["clinical_insights"]
    (day,) = insights["days"]
    assert day["partial"] is True and day["category"] is None
    assert insights["mean_daily_steps"] is None
    assert "fetched at 10:27" in late_morning["output"]
    assert "sedentary" not in late_morning["output"]


def test_age_selects_the_range_and_unknown_age_is_stated(
    run_with_age: list[dict[str, Any]], run_ring_first_no_age: list[dict[str, Any]]
) -> None:
    for example in examples_of(run_with_age, "StepsRecord"):
        insights = example["metadata"]["clinical_insights"]
        assert insights["step_range"]["low"] == 8000 and insights["age_years"] == 45
        assert "At 45 years" in example["output"]
    for example in run_ring_first_no_age:
        assert example["metadata"]["clinical_insights"]["step_range"] is None
        assert "Age is not known" in example["output"]


def test_configured_priority_first_rule_picks_the_ring(
    run_ring_first_no_age: list[dict[str, Any]],
) -> None:
    (shared_day,) = [
        e
        for e in run_ring_first_no_age
        if e["metadata"]["source_key"].split("_")[1][:-5] in SNAPSHOT_FETCHES
    ]
    insights = shared_day["metadata"]["clinical_insights"]
    (day,) = insights["days"]
    raw = {
        r["metadata"]["dataOriginPackageName"]: r["count"]
        for r in read_avro(by_name(shared_day["metadata"]["source_key"]))
    }
    assert (day["source"], day["steps"]) == (RING, raw[RING])
    assert day["selected_by"] == "priority"
    assert insights["source_rule"]["order"][0] == "priority"
    assert unsupported_figures(shared_day["output"], insights) == []
