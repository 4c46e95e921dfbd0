"""What the plugin declares to core about the record types it owns."""

from __future__ import annotations

from etl_core import RecordTypeSpec, ValueRange
from etl_core.schemas import load_avsc
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
    )
