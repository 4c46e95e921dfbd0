"""The etl-core plugin contract, run against the installed bloodpressure plugin."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from etl_core import UserContext
from etl_core.testing import PluginContract, Sample

from etl_bloodpressure.samples import export_file, invalid_readings, week_of_readings


class TestContract(PluginContract):
    entry_point = "bloodpressure"
    record_types = ("BloodPressureRecord",)
    user = UserContext(timezone=ZoneInfo("America/New_York"), age_years=52)

    def valid_sample(self, record_type: str) -> Sample:
        return export_file(week_of_readings())

    def invalid_sample(self, record_type: str) -> Sample:
        return invalid_readings()
