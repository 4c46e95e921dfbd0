"""The five real BloodGlucoseRecord exports through ``etl run``: every insight equals a value
computed here from the raw records, and identical record sets give one example."""

from __future__ import annotations

import itertools
import statistics
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from glucose_builders import reference_events

from etl_core.figures import unsupported_figures
from etl_core.testing import read_avro, real_samples, run_etl, training_examples

FILES = real_samples("BloodGlucoseRecord")
IDENTICAL_PAIR = {"BloodGlucoseRecord_1758407245091.avro", "BloodGlucoseRecord_1758407386729.avro"}

pytestmark = pytest.mark.skipif(len(FILES) != 5, reason="the five real glucose files are needed")


@pytest.fixture(scope="module")
def utc_examples(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    out = tmp_path_factory.mktemp("glucose-utc")
    run_etl(FILES, out)
    return training_examples(out, "metabolic_diabetes")


@pytest.fixture(scope="module")
def chicago_examples(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    out = tmp_path_factory.mktemp("glucose-chicago")
    run_etl(FILES, out, "--timezone", "America/Chicago")
    return training_examples(out, "metabolic_diabetes")


def raw(example: dict[str, Any]) -> list[dict[str, Any]]:
    source = next(f for f in FILES if f.name == example["metadata"]["source_key"])
    return sorted(read_avro(source), key=lambda r: r["timeEpochMillis"])


def pct(values: list[float], keep: Any) -> float:
    return round(100 * sum(1 for v in values if keep(v)) / len(values), 1)


def iso_in(epoch_ms: int, tz: Any) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, tz=tz).isoformat(timespec="seconds")


def test_identical_record_sets_give_one_example(utc_examples: list[dict[str, Any]]) -> None:
    keys = [e["metadata"]["source_key"] for e in utc_examples]
    assert len(keys) == 4 == len(set(keys))
    assert len(IDENTICAL_PAIR & set(keys)) == 1
    assert {f.name for f in FILES} - IDENTICAL_PAIR <= set(keys)


def test_insights_equal_values_computed_from_raw_records(
    utc_examples: list[dict[str, Any]],
) -> None:
    for example in utc_examples:
        records = raw(example)
        values = [r["levelInMilligramsPerDeciliter"] for r in records]
        stamps = [r["timeEpochMillis"] for r in records]
        ins = example["metadata"]["clinical_insights"]
        mean, sd = statistics.fmean(values), statistics.stdev(values)
        assert ins["readings"] == len(records) == example["metadata"]["record_count"]
        assert ins["span_hours"] == round((stamps[-1] - stamps[0]) / 3_600_000, 1)
        assert ins["mean_mg_dl"] == round(mean, 1)
        assert ins["sd_mg_dl"] == round(sd, 1)
        assert ins["cv_percent"] == round(100 * sd / mean, 1)
        assert ins["min_mg_dl"] == round(min(values), 1)
        assert ins["max_mg_dl"] == round(max(values), 1)
        assert ins["tir_percent"] == pct(values, lambda v: 70 <= v <= 180)
        assert ins["tbr70_percent"] == pct(values, lambda v: v < 70)
        assert ins["tbr54_percent"] == pct(values, lambda v: v < 54)
        assert ins["tar180_percent"] == pct(values, lambda v: v > 180)
        assert ins["tar250_percent"] == pct(values, lambda v: v > 250)
        assert ins["gmi_percent"] == round(3.31 + 0.02392 * mean, 2)
        assert ins["ea1c_percent"] == round((mean + 46.7) / 28.7, 2)
        gaps = [b - a for a, b in itertools.pairwise(stamps)]
        assert ins["sampling_interval_min"] == round(statistics.median(gaps) / 60_000)
        expected = round((stamps[-1] - stamps[0]) / 300_000) + 1
        assert ins["expected_readings"] == expected
        assert ins["wear_percent"] == round(min(100.0, 100 * len(values) / expected), 1)
        assert ins["data_sufficient"] is False  # under a day of data
        assert ins["hypo_events"]["below_70"]["count"] == len(reference_events(values, 70))
        assert ins["hypo_events"]["below_54"]["count"] == len(reference_events(values, 54))
        assert ins["hyper_events"]["above_180"]["count"] == len(
            reference_events(values, 180, above=True)
        )
        assert ins["hyper_events"]["above_250"]["count"] == len(
            reference_events(values, 250, above=True)
        )
        assert ins["timezone"] == "UTC (records carry no offset and no user zone is set)"
        assert ins["start"] == iso_in(stamps[0], UTC) and ins["end"] == iso_in(stamps[-1], UTC)
        night = [
            v
            for r, v in zip(records, values, strict=True)
            if datetime.fromtimestamp(r["timeEpochMillis"] / 1000, tz=UTC).hour < 6
        ]
        assert ins["time_of_day"]["overnight"]["readings"] == len(night)
        assert ins["time_of_day"]["overnight"]["mean_mg_dl"] == round(statistics.fmean(night), 1)
        assert ins["specimen_sources"] == {"INTERSTITIAL_FLUID": len(records)}
        assert ins["meal_relation"] == {}
        assert ins["data_origins"] == sorted(
            {r["metadata"]["dataOriginPackageName"] for r in records}
        )


def test_user_timezone_from_the_cli(chicago_examples: list[dict[str, Any]]) -> None:
    chicago = ZoneInfo("America/Chicago")
    assert len(chicago_examples) == 4
    for example in chicago_examples:
        records = raw(example)
        ins = example["metadata"]["clinical_insights"]
        assert ins["timezone"] == "America/Chicago (user setting; records carry no offset)"
        assert ins["start"] == iso_in(records[0]["timeEpochMillis"], chicago)
        night = [
            r
            for r in records
            if datetime.fromtimestamp(r["timeEpochMillis"] / 1000, tz=chicago).hour < 6
        ]
        assert ins["time_of_day"]["overnight"]["readings"] == len(night)
        assert "UTC clock hours" not in example["output"]


def test_every_narrative_figure_is_an_insight(
    utc_examples: list[dict[str, Any]], chicago_examples: list[dict[str, Any]]
) -> None:
    for example in utc_examples + chicago_examples:
        insights = example["metadata"]["clinical_insights"]
        assert unsupported_figures(example["output"], insights) == []
        assert unsupported_figures(example["input"], insights) == []


def test_real_narratives_are_honest_about_the_window(utc_examples: list[dict[str, Any]]) -> None:
    for example in utc_examples:
        text = example["output"]
        ins = example["metadata"]["clinical_insights"]
        assert f"These {ins['span_hours']} hours are a snapshot of this period, not a trend" in text
        assert "a full CGM report needs at least 14 days" in text
        assert "UTC clock hours" in text
        assert "clinician" not in text  # every consensus target is met in these files
        assert example["metadata"]["processor"].startswith("glucose ")


def test_example_dates_come_from_the_records(utc_examples: list[dict[str, Any]]) -> None:
    for example in utc_examples:
        stamps = [r["timeEpochMillis"] for r in raw(example)]
        assert example["metadata"]["data_start"] == iso_in(stamps[0], UTC)
        assert example["metadata"]["data_end"] == iso_in(stamps[-1], UTC)
