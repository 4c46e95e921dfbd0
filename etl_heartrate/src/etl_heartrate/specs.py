"""What the plugin declares to core about the record types it owns."""

from __future__ import annotations

from etl_core import ExampleKind, RecordTypeSpec, ValueRange
from etl_core.contract.schemas import load_avsc
from etl_heartrate.rules import DEFAULT_HEART_RATE_RULES, DEFAULT_HRV_RULES

HEALTH_DOMAIN = "cardiovascular_fitness"
HEART_RATE = "HeartRateRecord"
HRV_RMSSD = "HeartRateVariabilityRmssdRecord"

HEART_RATE_INSTRUCTIONS = (
    "Summarise this person's heart-rate recording for a clinician.",
    "Interpret these heart-rate samples: overall level, resting heart rate and any sustained "
    "high or low periods.",
    "Write a clinical note on the heart-rate data below, stating what the data can and cannot "
    "support.",
    "Describe the heart-rate data from this wearable export in plain clinical language.",
)

HRV_INSTRUCTIONS = (
    "Summarise these heart-rate variability (RMSSD) measurements for a clinician.",
    "Interpret this overnight RMSSD data, stating whether it supports a baseline or a trend.",
    "Write a clinical note on the heart-rate variability measurements below.",
)


# Window examples: the instruction is picked per example by core from these phrasings (a
# QUESTION example's instruction is its own question). Each fits a day and a week alike.
HEART_RATE_INSTRUCTIONS_BY_KIND: dict[str, tuple[str, ...]] = {
    ExampleKind.SUMMARY.value: (
        "Summarise this heart-rate data for a clinician.",
        "Write a brief clinical summary of the heart-rate findings below.",
        "As a clinician, what do these heart-rate figures show, and what are their limits?",
        "Give a clinician's reading of this person's heart rate over the period below.",
        "Review the resting heart rate and heart-rate findings below for a clinical note.",
        "Summarise the findings, their meaning and their limits from this heart-rate record.",
        "Draft a short clinical interpretation of the heart-rate data below.",
        "What should a clinician take from these heart-rate findings?",
    ),
    ExampleKind.NOTE.value: (
        "Write a short note to this person about their heart rate.",
        "Explain these heart-rate results to the person in plain language.",
        "As a health coach, tell this person what their heart-rate data show.",
        "Write a friendly message summarising this heart-rate data for its owner.",
        "In everyday words, what does this heart-rate data mean for me?",
        "Send the person a brief, plain-language update on their resting heart rate.",
        "Coach this person on what their heart-rate figures below mean.",
        "Put these heart-rate findings into a short personal note.",
    ),
    ExampleKind.COMPARISON.value: (
        "Compare this period's resting heart rate with the previous one.",
        "How does the resting heart rate below compare with the period before?",
        "Describe the change in resting heart rate from the previous period.",
        "Set this period's heart-rate findings against the previous period.",
        "Has resting heart rate changed since the previous period? Explain.",
        "Write a short comparison of resting heart rate with the period before.",
        "Compare the resting heart rate figures below with the preceding period and say what "
        "the difference means.",
        "What changed in resting heart rate compared with the previous period?",
    ),
}

HRV_INSTRUCTIONS_BY_KIND: dict[str, tuple[str, ...]] = {
    ExampleKind.SUMMARY.value: (
        "Summarise this heart-rate variability data for a clinician.",
        "Write a brief clinical summary of the HRV (RMSSD) findings below.",
        "As a clinician, what do these HRV figures show, and what are their limits?",
        "Interpret this person's overnight RMSSD against their personal band.",
        "Give a clinician's reading of the heart-rate variability below.",
        "Summarise the HRV findings, their meaning and their limits.",
        "Draft a short clinical interpretation of this RMSSD data.",
        "What should a clinician take from these HRV findings?",
    ),
    ExampleKind.NOTE.value: (
        "Write a short note to this person about their HRV.",
        "Explain these heart-rate variability results in plain language.",
        "As a health coach, tell this person what their HRV data show about recovery.",
        "Write a friendly message about this HRV data for its owner.",
        "In everyday words, what does my heart-rate variability say here?",
        "Send the person a brief, plain-language update on their HRV.",
        "Coach this person on what their overnight HRV means for recovery.",
        "Put these HRV findings into a short personal note.",
    ),
    ExampleKind.COMPARISON.value: (
        "Compare this period's HRV with the previous one.",
        "How does the heart-rate variability below compare with the period before?",
        "Describe the change in ln RMSSD from the previous period.",
        "Set this period's HRV findings against the previous period.",
        "Has HRV changed since the previous period? Explain.",
        "Write a short comparison of overnight HRV with the period before.",
        "Compare the RMSSD figures below with the preceding period and say what the "
        "difference means.",
        "What changed in heart-rate variability compared with the previous period?",
    ),
}


def heart_rate_reference_values() -> dict[str, float]:
    """Fixed figures an output may state that are not the person's data."""
    rules = DEFAULT_HEART_RATE_RULES
    return {
        "resting_normal_low_bpm": rules.resting_normal_low_bpm,
        "resting_normal_high_bpm": rules.resting_normal_high_bpm,
        "tachycardia_above_bpm": rules.tachycardia_above_bpm,
        "bradycardia_below_bpm": rules.bradycardia_below_bpm,
        "bradycardia_guideline_year": 2018,
        "notable_rise_bpm": rules.trend.notable_rise_bpm,
        "baseline_days": rules.trend.baseline_days,
        "baseline_min_days": rules.trend.min_baseline_days,
        "week_min_days": rules.trend.min_week_days,
    }


def hrv_reference_values() -> dict[str, float]:
    rules = DEFAULT_HRV_RULES
    return {
        "rolling_window_nights": rules.baseline_window_nights,
        "rolling_min_nights": rules.min_nights_for_baseline,
        "band_period_nights": rules.band_nights,
        "band_min_nights": rules.min_band_nights,
        "band_sd_fraction": rules.normal_band_sd_fraction,
    }


def heart_rate_spec() -> RecordTypeSpec:
    rules = DEFAULT_HEART_RATE_RULES
    return RecordTypeSpec(
        name=HEART_RATE,
        health_domain=HEALTH_DOMAIN,
        reader_schema=load_avsc("etl_heartrate", f"{HEART_RATE}.avsc"),
        required_fields=(
            "metadata.id",
            "metadata.dataOriginPackageName",
            "startTimeEpochMillis",
            "endTimeEpochMillis",
        ),
        ranges={
            "samples[].beatsPerMinute": ValueRange(
                rules.valid_low_bpm, rules.valid_high_bpm, "bpm"
            ),
        },
        time_fields=("startTimeEpochMillis", "endTimeEpochMillis"),
        instructions=HEART_RATE_INSTRUCTIONS,
        instructions_by_kind=HEART_RATE_INSTRUCTIONS_BY_KIND,
        reference_values=heart_rate_reference_values(),
    )


def hrv_spec() -> RecordTypeSpec:
    rules = DEFAULT_HRV_RULES
    return RecordTypeSpec(
        name=HRV_RMSSD,
        health_domain=HEALTH_DOMAIN,
        reader_schema=load_avsc("etl_heartrate", f"{HRV_RMSSD}.avsc"),
        required_fields=(
            "metadata.id",
            "metadata.dataOriginPackageName",
            "timeEpochMillis",
            "heartRateVariabilityRmssd",
        ),
        ranges={
            "heartRateVariabilityRmssd": ValueRange(rules.valid_low_ms, rules.valid_high_ms, "ms"),
        },
        time_fields=("timeEpochMillis",),
        instructions=HRV_INSTRUCTIONS,
        instructions_by_kind=HRV_INSTRUCTIONS_BY_KIND,
        reference_values=hrv_reference_values(),
    )
