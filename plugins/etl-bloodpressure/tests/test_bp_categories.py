"""AHA/ACC 2017 categories: the published bands at their edges, and any pair of values against
a plain reference that ranks systolic and diastolic separately and takes the higher."""

from __future__ import annotations

import pytest
from bp_reference import reference_category as reference
from hypothesis import given
from hypothesis import strategies as st

from etl_bloodpressure.categories import CATEGORIES, classify, severity


@pytest.mark.parametrize(
    ("systolic", "diastolic", "expected"),
    [
        (119, 79, "normal"),
        (119.9, 79.9, "normal"),
        (120, 79, "elevated"),
        (129, 79, "elevated"),
        (130, 70, "stage_1_hypertension"),
        (118, 80, "stage_1_hypertension"),
        (139, 89, "stage_1_hypertension"),
        (140, 70, "stage_2_hypertension"),
        (118, 90, "stage_2_hypertension"),
        (180, 120, "stage_2_hypertension"),
        (181, 100, "hypertensive_crisis"),
        (150, 121, "hypertensive_crisis"),
        (125, 85, "stage_1_hypertension"),  # the higher of the two categories applies
        (145, 75, "stage_2_hypertension"),
    ],
)
def test_published_bands(systolic: float, diastolic: float, expected: str) -> None:
    assert classify(systolic, diastolic) == expected


@given(st.floats(20, 200), st.floats(10, 180))
def test_matches_the_reference(systolic: float, diastolic: float) -> None:
    assert classify(systolic, diastolic) == reference(systolic, diastolic)


@given(st.floats(20, 200), st.floats(10, 180), st.floats(0, 30), st.floats(0, 30))
def test_higher_values_never_lower_the_category(
    systolic: float, diastolic: float, more_systolic: float, more_diastolic: float
) -> None:
    before = severity(classify(systolic, diastolic))
    after = severity(classify(systolic + more_systolic, diastolic + more_diastolic))
    assert after >= before
    assert CATEGORIES[before] == classify(systolic, diastolic)
