"""Insights and narrative against plain computations over the raw records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bp_reference import plain_insights, reference_category
from etl_core.contract.figures import unsupported_figures
from hypothesis import given, settings
from hypothesis import strategies as st

from etl_bloodpressure.analysis import analyse
from etl_bloodpressure.narrative import narrative, summary
from etl_bloodpressure.readings import readings_from_records
from etl_bloodpressure.samples import FIRST_DAY, record, week_of_readings


def test_week_of_readings_matches_a_plain_computation() -> None:
    records = week_of_readings()
    expected = plain_insights(records)
    insights = analyse(readings_from_records(records), None).insights
    assert insights["readings"] == expected["readings"] == 14
    assert insights["days_with_readings"] == expected["days"] == 7
    assert insights["mean_systolic_mmhg"] == expected["mean_systolic"]
    assert insights["mean_diastolic_mmhg"] == expected["mean_diastolic"]
    assert {k: v for k, v in insights["category_counts"].items() if v} == dict(expected["counts"])
    assert insights["average_category"] == reference_category(
        expected["mean_systolic"], expected["mean_diastolic"]
    )
    worst = insights["most_severe_reading"]
    assert (worst["systolic_mmhg"], worst["diastolic_mmhg"]) == (146.0, 92.0)
    assert worst["time"] == "2025-10-08T07:30:00-04:00"
    assert insights["first_reading"] == "2025-10-06T07:30:00-04:00"
    assert insights["body_positions"] == {"sitting_down": 13, "standing_up": 1}
    assert insights["timezone"] == "-04:00 (record offsets)"


def test_narrative_of_the_week_reads_as_expected() -> None:
    insights = analyse(readings_from_records(week_of_readings()), None).insights
    text = narrative(insights)
    assert text.startswith("14 blood pressure readings, on 7 days, from 2025-10-06 to 2025-10-12.")
    assert "in the elevated range of the 2017 ACC/AHA guideline" in text
    assert "146/92 mmHg (stage 2 hypertension) on 2025-10-08 at 07:30" in text
    assert "No reading was in the hypertensive crisis range." in text
    assert unsupported_figures(text, insights) == []
    assert "14 readings on 7 local days" in summary(insights)


def test_single_reading_and_single_day_give_no_average_category() -> None:
    one = analyse(readings_from_records(week_of_readings()[:1]), None).insights
    assert one["average_category"] is None
    assert "A single reading cannot characterise blood pressure" in narrative(one)
    same_day = analyse(readings_from_records(week_of_readings()[:2]), None).insights
    assert same_day["average_category"] is None
    assert "With readings from a single day" in narrative(same_day)


def test_crisis_reading_is_counted_and_advised_on() -> None:
    records = [*week_of_readings()[:4], record(FIRST_DAY + timedelta(days=3), 188.0, 110.0)]
    result = analyse(readings_from_records(records), None)
    assert result.crisis_readings == 1
    text = narrative(result.insights)
    assert "1 reading exceeded the hypertensive crisis threshold" in text
    assert "systolic > 180 and/or diastolic > 120 mmHg" in text
    assert unsupported_figures(text, result.insights) == []


def test_records_without_offset_use_the_user_zone() -> None:
    late = record(datetime(2025, 10, 7, 2, 30, tzinfo=UTC), 118.0, 76.0, offset=None)
    insights = analyse(readings_from_records([late]), ZoneInfo("America/Chicago")).insights
    assert insights["first_reading"] == "2025-10-06T21:30:00-05:00"
    assert insights["timezone"] == "America/Chicago (user setting; records carry no offset)"


def test_inverted_and_non_finite_readings_are_skipped() -> None:
    records = week_of_readings()[:3]
    records[0] = {**records[0], "diastolicInMillimetersOfMercury": 140.0}
    records[1] = {**records[1], "systolicInMillimetersOfMercury": float("nan")}
    assert len(readings_from_records(records)) == 1


pairs = st.tuples(st.integers(70, 200), st.integers(40, 130)).filter(lambda p: p[1] < p[0])


@settings(max_examples=60, deadline=None)
@given(st.lists(pairs, min_size=1, max_size=40), st.sampled_from(["SITTING_DOWN", "UNKNOWN"]))
def test_any_batch_matches_the_reference_and_states_only_its_insights(
    values: list[tuple[int, int]], position: str
) -> None:
    records = [
        record(FIRST_DAY + timedelta(hours=9 * i), float(s), float(d), position=position)
        for i, (s, d) in enumerate(values)
    ]
    expected = plain_insights(records)
    insights = analyse(readings_from_records(records), None).insights
    assert insights["mean_systolic_mmhg"] == expected["mean_systolic"]
    assert insights["days_with_readings"] == expected["days"]
    assert {k: v for k, v in insights["category_counts"].items() if v} == dict(expected["counts"])
    assert unsupported_figures(narrative(insights), insights) == []
