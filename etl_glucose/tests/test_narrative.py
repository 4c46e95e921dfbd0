"""Narrative and input summary: every figure is an insight value, labels agree, the window is
described honestly and suggestions appear only where a consensus target is missed."""

from __future__ import annotations

import re
from typing import Any

from glucose_builders import FIVE_MIN_MS, START_MS, glucose_record, trace
from hypothesis import given, settings
from hypothesis import strategies as st

from etl_core.contract.figures import ungrounded_figures, unsupported_figures
from etl_glucose.analysis import analyse
from etl_glucose.narrative import narrative, summary
from etl_glucose.plugin import reference_values
from etl_glucose.readings import series_from_records

FORBIDDEN = re.compile(
    r"excellent|poor control|good control|prediabet|diabetic|you have|diagnos|trend(?:s|ing)? "
    r"(?:up|down)|level [12]|improv|worsen",
    re.IGNORECASE,
)

segments = st.lists(
    st.tuples(
        st.sampled_from([40.0, 50.0, 60.0, 68.0, 75.0, 110.0, 150.0, 179.0, 200.0, 300.0]),
        st.integers(min_value=1, max_value=40),
    ),
    min_size=1,
    max_size=12,
)


@st.composite
def scenarios(draw: st.DrawFn) -> list[dict[str, Any]]:
    values = [level for level, length in draw(segments) for _ in range(length)]
    step_ms = draw(st.sampled_from([60_000, FIVE_MIN_MS, 15 * 60_000, 4 * 3_600_000]))
    offset = draw(st.sampled_from(["Z", None, "-05:00", "+05:30"]))
    relations = draw(
        st.lists(
            st.sampled_from(
                ["UNKNOWN", "UNKNOWN", "FASTING", "BEFORE_MEAL", "AFTER_MEAL", "GENERAL"]
            ),
            min_size=len(values),
            max_size=len(values),
        )
    )
    specimen = draw(st.sampled_from(["INTERSTITIAL_FLUID", "CAPILLARY_BLOOD"]))
    jitter = draw(st.lists(st.integers(-3_000, 3_000), min_size=len(values), max_size=len(values)))
    return [
        glucose_record(
            START_MS + i * step_ms + jitter[i],
            v,
            offset=offset,
            relation=relation,
            specimen=specimen,
        )
        for i, (v, relation) in enumerate(zip(values, relations, strict=True))
    ]


def write(records: list[dict[str, Any]], excluded: int = 0) -> tuple[dict[str, Any], str, str]:
    ins = analyse(series_from_records(records), excluded=excluded).insights
    return ins, narrative(ins), summary(ins)


@settings(max_examples=150, deadline=None)
@given(scenarios(), st.integers(min_value=0, max_value=3))
def test_every_figure_is_an_insight_and_no_forbidden_label(
    records: list[dict[str, Any]], excluded: int
) -> None:
    ins, text, facts = write(records, excluded)
    assert unsupported_figures(text, ins) == []
    assert unsupported_figures(facts, ins) == []
    assert not FORBIDDEN.search(text)
    missed = any(v is False for v in ins["targets_met"].values())
    assert ("clinician" in text) == missed
    short = ins["days_covered"] < ins["targets"]["sufficiency_days"]
    if ins["readings"] > 1 and (short or not ins["continuous"]):
        assert "not a trend" in text
    if ins["continuous"] and not ins["data_sufficient"] and ins["readings"] > 1:
        assert "a full CGM report needs" in text


def test_real_shape_snapshot_wording() -> None:
    ins, text, _ = write(trace([110.0 + (i % 7) for i in range(253)]))
    assert ins["span_hours"] == 21.0
    assert "These 21.0 hours are a snapshot of this period, not a trend" in text
    assert "a full CGM report needs at least 14 days with at least 70% of possible readings" in text
    assert "Clock times are given in UTC" in text


def test_high_in_range_readings_are_not_hyperglycaemic_events() -> None:
    ins, text, _ = write(trace([140.0, 160.0, 179.0, 180.0] * 30))
    assert ins["tir_percent"] == 100.0 and ins["tar180_percent"] == 0.0
    assert ins["hyper_events"]["above_180"]["count"] == 0
    assert "No hyperglycaemic event" in text
    assert "100.0% were in the 70-180 mg/dL range" in text


def test_brief_low_readings_are_named_readings_not_events() -> None:
    ins, text, _ = write(trace([100.0] * 10 + [65.0, 62.0] + [100.0] * 10))
    assert ins["reading_counts"]["below_70"] == 2
    assert ins["hypo_events"]["below_70"]["count"] == 0
    assert "2 readings below 70 mg/dL were too brief to count as an event" in text


def test_events_are_described_with_times_duration_and_nadir() -> None:
    values = [100.0] * 10 + [66.0, 62.0, 52.0, 50.0, 48.0, 53.0, 60.0, 65.0] + [100.0] * 10
    _ins, text, _ = write(trace(values, offset="-05:00"))
    assert "There was 1 hypoglycaemic event" in text
    assert "2025-09-19 19:50 to 20:30 (40.0 minutes, nadir 48.0 mg/dL)" in text
    assert "within it, 1 event below 54 mg/dL for at least 15 minutes" in text
    assert "time below 54 mg/dL" in text and "clinician" in text


def test_extended_hypoglycaemia_is_named() -> None:
    ins, text, _ = write(trace([100.0] * 6 + [60.0] * 30 + [100.0] * 6))
    assert ins["hypo_events"]["extended_below_70"]["count"] == 1
    assert "1 extended event lasting more than 120 minutes below 70 mg/dL" in text


def test_many_events_are_summarised_by_longest_and_lowest() -> None:
    values = ([100.0] * 4 + [60.0] * 4) * 5 + [100.0] * 4 + [55.0] * 5 + [100.0] * 4
    ins, text, _ = write(trace(values))
    group = ins["hypo_events"]["below_70"]
    assert group["count"] == 6
    assert group["longest_min"] == 25.0 and group["lowest_mg_dl"] == 55.0
    assert "the longest lasted 25.0 minutes and the lowest nadir was 55.0 mg/dL" in text


def test_all_targets_met_gives_no_suggestion() -> None:
    _, text, _ = write(trace([100.0, 120.0] * 100))
    assert "all five time-in-range targets" in text
    assert "clinician" not in text


def test_fourteen_full_days_meet_sufficiency() -> None:
    _, text, _ = write(trace([100.0, 130.0] * 7 * 288))
    assert "The data meet the consensus requirement for a full CGM report" in text
    assert "snapshot" not in text
    assert "indicative only" not in text


def test_meal_relations_only_from_recorded_relation() -> None:
    records = trace([100.0] * 24)
    records += [
        glucose_record(START_MS + (24 + i) * FIVE_MIN_MS, v, relation=rel)
        for i, (v, rel) in enumerate(
            [(90.0, "FASTING"), (150.0, "AFTER_MEAL"), (160.0, "AFTER_MEAL")]
        )
    ]
    ins, text, facts = write(records)
    assert set(ins["meal_relation"]) == {"fasting", "after_meal"}
    assert ins["meal_relation"]["after_meal"] == {
        "readings": 2,
        "mean_mg_dl": 155.0,
        "min_mg_dl": 150.0,
        "max_mg_dl": 160.0,
    }
    assert "fasting 90.0 mg/dL (1 reading)" in text
    assert "after meals mean 155.0 mg/dL (2 readings, 150.0-160.0 mg/dL)" in text
    assert "meal relation recorded for 3 readings" in facts


def test_unknown_meal_relation_is_never_guessed() -> None:
    ins, text, _ = write(trace([100.0] * 288))
    assert ins["meal_relation"] == {} and ins["meal_relation_readings"] == 0
    assert "No reading records its relation to a meal" in text


def test_excluded_records_are_mentioned() -> None:
    ins, text, _ = write(trace([100.0] * 20), excluded=2)
    assert ins["excluded_readings"] == 2
    assert "2 records failed validation and were left out of the figures." in text


def test_single_reading() -> None:
    ins, text, _ = write(trace([45.0]))
    assert ins["sd_mg_dl"] is None and ins["gmi_percent"] is None
    assert ins["hypo_events"] is None
    assert "It lies below 54 mg/dL." in text
    assert "clinician" not in text


def test_long_window_with_low_wear_blames_wear_not_days() -> None:
    records = [r for i, r in enumerate(trace([110.0] * (15 * 288))) if (i // 100) % 5 not in (1, 3)]
    ins, text, _ = write(records)
    assert ins["days_covered"] == 14.9 and ins["wear_percent"] == 60.5
    assert ins["data_sufficient"] is False
    assert "That is below the 70% of possible readings a full CGM report needs" in text
    assert "with 60.5% of possible readings captured they are indicative only" in text
    assert "snapshot" not in text and "validated on 14 days" not in text


@settings(max_examples=150, deadline=None)
@given(scenarios(), st.integers(min_value=0, max_value=3))
def test_the_input_summary_holds_every_figure_of_the_narrative(
    records: list[dict[str, Any]], excluded: int
) -> None:
    """Core rejects an example whose output states a figure its input lacks (issue 18)."""
    _, text, facts = write(records, excluded)
    assert ungrounded_figures(text, facts, reference_values()) == []
