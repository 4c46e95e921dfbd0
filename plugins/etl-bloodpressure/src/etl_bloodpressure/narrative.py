"""The narrative and the summary of a blood pressure batch, from its insights only: every
figure printed here is a value there."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from etl_bloodpressure.categories import CATEGORIES, CRISIS, DEFINITIONS, LABELS, NORMAL

POSITION_WORDS = {
    "sitting_down": "sitting down",
    "standing_up": "standing up",
    "lying_down": "lying down",
    "reclining": "reclining",
}
LOCATION_WORDS = {
    "left_upper_arm": "the left upper arm",
    "right_upper_arm": "the right upper arm",
    "left_wrist": "the left wrist",
    "right_wrist": "the right wrist",
}


def _number(value: float) -> str:
    """``128.0`` -> ``"128"``, ``128.4`` -> ``"128.4"`` (the insight is already rounded)."""
    return f"{value:.1f}".removesuffix(".0")


def _pair(systolic: float, diastolic: float) -> str:
    return f"{_number(systolic)}/{_number(diastolic)} mmHg"


def _when(stamp: str) -> str:
    moment = datetime.fromisoformat(stamp)
    return f"{moment:%Y-%m-%d} at {moment:%H:%M}"


def _plural(count: int, singular: str, plural: str | None = None) -> str:
    return f"{count} {singular if count == 1 else (plural or singular + 's')}"


def _series(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _category_phrase(category: str) -> str:
    return f"the {LABELS[category]} range of the 2017 ACC/AHA guideline ({DEFINITIONS[category]})"


def _circumstances(insights: Mapping[str, Any]) -> str:
    def listed(counts: Mapping[str, int], words: Mapping[str, str], single: bool) -> list[str]:
        return [
            words[name] if single else f"{words[name]} ({count})"
            for name, count in counts.items()
            if name in words
        ]

    single = insights["readings"] == 1
    positions = listed(insights["body_positions"], POSITION_WORDS, single)
    locations = listed(insights["measurement_locations"], LOCATION_WORDS, single)
    if not positions and not locations:
        return "Body position and measurement site were not recorded."
    parts = []
    if positions:
        parts.append(f"taken {_series(positions)}")
    if locations:
        parts.append(f"measured at {_series(locations)}")
    return f"{'The reading was' if single else 'Readings were'} {' and '.join(parts)}."


def narrative(insights: Mapping[str, Any]) -> str:
    count = insights["readings"]
    worst = insights["most_severe_reading"]
    sentences: list[str] = []
    if count == 1:
        sentences.append(
            f"One blood pressure reading, on {_when(worst['time'])}: "
            f"{_pair(worst['systolic_mmhg'], worst['diastolic_mmhg'])}, in "
            f"{_category_phrase(worst['category'])}. A single reading cannot characterise "
            "blood pressure; the guideline relies on the average of several readings taken on "
            "separate occasions."
        )
    else:
        days = insights["days_with_readings"]
        first, last = insights["first_reading"][:10], insights["last_reading"][:10]
        span = f"all on {first}" if days == 1 else f"on {days} days, from {first} to {last}"
        sentences.append(
            f"{count} blood pressure readings, {span}. The average was "
            f"{_pair(insights['mean_systolic_mmhg'], insights['mean_diastolic_mmhg'])}"
        )
        category = insights["average_category"]
        if category is not None:
            sentences[-1] += f", in {_category_phrase(category)}."
        else:
            sentences[-1] += (
                ". With readings from a single day the average is not placed in a guideline "
                "category, which needs readings taken on separate occasions."
            )
        counts = insights["category_counts"]
        by_category = [f"{counts[c]} {LABELS[c]}" for c in CATEGORIES if counts[c] and c != CRISIS]
        if by_category:
            sentences.append(f"By reading: {_series(by_category)}.")
        if worst["category"] != NORMAL:
            sentences.append(
                f"The highest-category reading was "
                f"{_pair(worst['systolic_mmhg'], worst['diastolic_mmhg'])} "
                f"({LABELS[worst['category']]}) on {_when(worst['time'])}."
            )
    crisis = insights["category_counts"][CRISIS]
    if crisis:
        sentences.append(
            f"{_plural(crisis, 'reading')} exceeded the hypertensive crisis threshold "
            f"({DEFINITIONS[CRISIS]}); such readings call for prompt re-measurement and "
            "medical advice."
        )
    elif count > 1:
        sentences.append("No reading was in the hypertensive crisis range.")
    sentences.append(_circumstances(insights))
    excluded = insights["excluded_readings"]
    if excluded:
        verb = "was" if excluded == 1 else "were"
        sentences.append(f"{_plural(excluded, 'record')} {verb} left out after failing validation.")
    return " ".join(sentences)


def summary(insights: Mapping[str, Any]) -> str:
    counts = insights["category_counts"]
    per_category = ", ".join(f"{LABELS[c]} {counts[c]}" for c in CATEGORIES)
    return (
        f"BloodPressureRecord: {insights['readings']} readings on "
        f"{insights['days_with_readings']} local days ({insights['first_reading']} to "
        f"{insights['last_reading']}); mean "
        f"{_pair(insights['mean_systolic_mmhg'], insights['mean_diastolic_mmhg'])}; readings "
        f"per category: {per_category}; zone: {insights['timezone']}."
    )
