"""Extraction of readings from records: order, unusable values, unreadable offsets."""

from __future__ import annotations

import random

from glucose_builders import START_MS, glucose_record, trace
from hypothesis import given, settings
from hypothesis import strategies as st

from etl_glucose.analysis import analyse
from etl_glucose.readings import series_from_records


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(min_value=40, max_value=400), min_size=2, max_size=60), st.randoms())
def test_record_order_does_not_change_the_insights(values: list[float], rng: random.Random) -> None:
    records = trace(values)
    shuffled = records[:]
    rng.shuffle(shuffled)
    series = series_from_records(shuffled)
    assert series.epoch_ms == sorted(series.epoch_ms)
    assert analyse(series).insights == analyse(series_from_records(records)).insights


def test_unusable_records_are_skipped() -> None:
    good = glucose_record(START_MS, 100.0)
    nan = glucose_record(START_MS + 1, float("nan"))
    flag = glucose_record(START_MS + 2, 100.0) | {"levelInMilligramsPerDeciliter": True}
    no_time = glucose_record(START_MS + 3, 100.0) | {"timeEpochMillis": None}
    series = series_from_records([good, nan, flag, no_time])
    assert series.mg_dl == [100.0]


def test_columns_keep_specimen_meal_and_relation() -> None:
    record = glucose_record(
        START_MS,
        95.0,
        offset="-05:00",
        relation="FASTING",
        meal="BREAKFAST",
        specimen="CAPILLARY_BLOOD",
    )
    series = series_from_records([record])
    assert series.offset_ids == ["-05:00"]
    assert series.relations_to_meal == ["FASTING"]
    assert series.meal_types == ["BREAKFAST"]
    assert series.specimen_sources == ["CAPILLARY_BLOOD"]
    assert series.origins == ["com.example.cgm"]


def test_unreadable_offsets_become_none() -> None:
    series = series_from_records([glucose_record(START_MS, 95.0, offset="somewhere")])
    assert series.offset_ids == [None]
