"""What this plugin declares to core about the record types it owns."""

from __future__ import annotations

from etl_activity.measures import ACTIVE_ENERGY, STEPS
from etl_core import RecordTypeSpec, ValueRange
from etl_core.schemas import load_avsc

HEALTH_DOMAIN = "physical_activity"
_COMMON_REQUIRED = (
    "metadata.id",
    "metadata.dataOriginPackageName",
    "startTimeEpochMillis",
    "endTimeEpochMillis",
    "appRecordFetchTimeEpochMillis",
)
_TIME_FIELDS = ("startTimeEpochMillis", "endTimeEpochMillis")

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
)

SPECS = {spec.name: spec for spec in (STEPS_SPEC, ACTIVE_ENERGY_SPEC)}
