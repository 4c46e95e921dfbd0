"""Blood pressure categories of the 2017 ACC/AHA guideline (Whelton et al., Hypertension
2018;71:e13-e115, table 6; hypertensive crisis from its section 11.2).

A reading whose systolic and diastolic values fall in different categories takes the higher
one, as the guideline directs. Health Connect stores mmHg as decimals, so the published
integer bands are read as half-open intervals: "120-129" means 120 <= value < 130.
"""

from __future__ import annotations

from typing import Final

NORMAL: Final = "normal"
ELEVATED: Final = "elevated"
STAGE_1: Final = "stage_1_hypertension"
STAGE_2: Final = "stage_2_hypertension"
CRISIS: Final = "hypertensive_crisis"

CATEGORIES: Final = (NORMAL, ELEVATED, STAGE_1, STAGE_2, CRISIS)
"""From least to most severe."""

LABELS: Final = {
    NORMAL: "normal",
    ELEVATED: "elevated",
    STAGE_1: "stage 1 hypertension",
    STAGE_2: "stage 2 hypertension",
    CRISIS: "hypertensive crisis",
}

DEFINITIONS: Final = {
    NORMAL: "systolic < 120 and diastolic < 80 mmHg",
    ELEVATED: "systolic 120-129 and diastolic < 80 mmHg",
    STAGE_1: "systolic 130-139 or diastolic 80-89 mmHg",
    STAGE_2: "systolic >= 140 or diastolic >= 90 mmHg",
    CRISIS: "systolic > 180 and/or diastolic > 120 mmHg",
}
"""Reported in the insights so that every threshold a narrative cites is a value there."""

ELEVATED_SYSTOLIC: Final = 120.0
STAGE_1_SYSTOLIC: Final = 130.0
STAGE_1_DIASTOLIC: Final = 80.0
STAGE_2_SYSTOLIC: Final = 140.0
STAGE_2_DIASTOLIC: Final = 90.0
CRISIS_SYSTOLIC: Final = 180.0
CRISIS_DIASTOLIC: Final = 120.0


def classify(systolic: float, diastolic: float) -> str:
    """The category of one reading (or of an average) in mmHg."""
    if systolic > CRISIS_SYSTOLIC or diastolic > CRISIS_DIASTOLIC:
        return CRISIS
    if systolic >= STAGE_2_SYSTOLIC or diastolic >= STAGE_2_DIASTOLIC:
        return STAGE_2
    if systolic >= STAGE_1_SYSTOLIC or diastolic >= STAGE_1_DIASTOLIC:
        return STAGE_1
    if systolic >= ELEVATED_SYSTOLIC:
        return ELEVATED
    return NORMAL


def severity(category: str) -> int:
    """0 for normal up to 4 for hypertensive crisis."""
    return CATEGORIES.index(category)
