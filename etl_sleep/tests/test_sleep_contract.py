"""etl-core's plugin contract suite, run against the installed ``sleep`` plugin: a real export
when the samples are beside the checkout, else the committed synthetic one."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from etl_core import UserContext
from etl_core.testing import PluginContract, Sample, export_sample, read_avro

RECORD_TYPE = "SleepSessionRecord"


class TestSleepContract(PluginContract):
    entry_point = "sleep"
    record_types = (RECORD_TYPE,)
    user = UserContext(timezone=ZoneInfo("America/Chicago"), age_years=45)

    def valid_sample(self, record_type: str) -> Sample:
        return export_sample(record_type)

    def invalid_sample(self, record_type: str) -> Sample:
        records = read_avro(export_sample(record_type))
        first = records[0]
        first["startTimeEpochMillis"], first["endTimeEpochMillis"] = (
            first["endTimeEpochMillis"],
            first["startTimeEpochMillis"],
        )
        records[-1]["metadata"]["id"] = None
        return records
