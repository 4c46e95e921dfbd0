"""etl-core's plugin contract suite, run against the installed ``activity`` plugin: a real
export when the samples are beside the checkout, else the committed synthetic one."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from etl_activity.measures import ACTIVE_ENERGY, MEASURES, STEPS
from etl_core import UserContext
from etl_core.testing import PluginContract, Sample, export_sample, read_avro


class TestActivityContract(PluginContract):
    entry_point = "activity"
    record_types = (STEPS.record_type, ACTIVE_ENERGY.record_type)
    user = UserContext(timezone=ZoneInfo("America/Chicago"), age_years=45)

    def valid_sample(self, record_type: str) -> Sample:
        return export_sample(record_type)

    def invalid_sample(self, record_type: str) -> Sample:
        records = read_avro(export_sample(record_type))
        records[0][MEASURES[record_type].value_field] = -5
        records[-1]["metadata"]["id"] = None
        return records
