"""What this plugin declares to core about the record types it owns."""

from __future__ import annotations

from etl_activity.measures import ACTIVE_ENERGY, STEPS
from etl_activity.metrics import AGE_60_AND_OVER_RANGE, BAND_AGE_YEARS, UNDER_60_RANGE
from etl_activity.phrasing import ENERGY_INSTRUCTIONS, STEPS_INSTRUCTIONS
from etl_activity.weekly import MIN_COMPLETE_DAYS
from etl_core import RecordTypeSpec, ValueRange
from etl_core.contract.schemas import load_avsc

HEALTH_DOMAIN = "physical_activity"
_COMMON_REQUIRED = (
    "metadata.id",
    "metadata.dataOriginPackageName",
    "startTimeEpochMillis",
    "endTimeEpochMillis",
    "appRecordFetchTimeEpochMillis",
)
_TIME_FIELDS = ("startTimeEpochMillis", "endTimeEpochMillis")
_WEEK_REFERENCES = {"min_complete_days": MIN_COMPLETE_DAYS, "days_in_week": 7}

STEPS_SPEC = RecordTypeSpec(
    name=STEPS.record_type,
    health_domain=HEALTH_DOMAIN,
    reader_schema=load_avsc("etl_activity", "StepsRecord.avsc"),
    required_fields=(*_COMMON_REQUIRED, STEPS.value_field),
    # Health Connect's own limits for one StepsRecord (count 1-1,000,000); 0 is tolerated
    # because some exporters write empty intervals and they change no total.
    ranges={STEPS.value_field: ValueRange(0, 1_000_000, "steps")},
    time_fields=_TIME_FIELDS,
    instructions=(
        "Summarise this person's daily step counts for a clinician.",
        "Describe the daily steps in this Health Connect export and how they compare with the "
        "evidence on step counts.",
        "Write a clinical note on the step data below: daily totals, sources and what can and "
        "cannot be concluded.",
    ),
    instructions_by_kind=STEPS_INSTRUCTIONS,
    # The figures an output may state that are not the person's: the age-based ranges
    # (Paluch 2022), their age cut-off, and the week's rules.
    reference_values={
        "step_range_under_60_low": UNDER_60_RANGE.low,
        "step_range_under_60_high": UNDER_60_RANGE.high,
        "step_range_60_and_over_low": AGE_60_AND_OVER_RANGE.low,
        "step_range_60_and_over_high": AGE_60_AND_OVER_RANGE.high,
        "range_age_threshold_years": BAND_AGE_YEARS,
        **_WEEK_REFERENCES,
    },
)

ACTIVE_ENERGY_SPEC = RecordTypeSpec(
    name=ACTIVE_ENERGY.record_type,
    health_domain=HEALTH_DOMAIN,
    reader_schema=load_avsc("etl_activity", "ActiveCaloriesBurnedRecord.avsc"),
    required_fields=(*_COMMON_REQUIRED, ACTIVE_ENERGY.value_field),
    # Health Connect's limit for one ActiveCaloriesBurnedRecord: 0-1,000,000 kcal.
    ranges={ACTIVE_ENERGY.value_field: ValueRange(0, 1_000_000, "kcal")},
    time_fields=_TIME_FIELDS,
    instructions=(
        "Summarise this person's daily active energy expenditure for a clinician.",
        "Describe the active calories in this Health Connect export, day by day.",
        "Write a short clinical note on the active energy data below and what it can support.",
    ),
    instructions_by_kind=ENERGY_INSTRUCTIONS,
    reference_values=_WEEK_REFERENCES,
)

SPECS = {spec.name: spec for spec in (STEPS_SPEC, ACTIVE_ENERGY_SPEC)}
