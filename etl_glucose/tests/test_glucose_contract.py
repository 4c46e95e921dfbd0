"""etl-core's plugin contract suite, run against the installed ``glucose`` plugin: a real
export when the samples are beside the checkout, else the committed synthetic one."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from etl_core import UserContext
from etl_core.testing import PluginContract, Sample, export_sample, read_avro

RECORD_TYPE = "BloodGlucoseRecord"


class TestGlucoseContract(PluginContract):
    entry_point = "glucose"
    record_types = (RECORD_TYPE,)
    user = UserContext(timezone=ZoneInfo("America/Chicago"), age_years=45)

    def valid_sample(self, record_type: str) -> Sample:
        return export_sample(record_type)

    def invalid_sample(self, record_type: str) -> Sample:
        records = read_avro(export_sample(record_type))
        records[0]["levelInMilligramsPerDeciliter"] = 9999.0
        records[-1]["metadata"]["id"] = None
        return records
