"""Core's plugin contract suite, run against the installed ``heartrate`` plugin."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from heartrate_builders import MIDNIGHT_MS, MINUTE_MS, hr_record, hrv_record, minute_series

from etl_core import UserContext
from etl_core.testing import PluginContract, Sample, real_samples, write_plugin_avro

HR = "HeartRateRecord"
HRV = "HeartRateVariabilityRmssdRecord"


class TestHeartRateContract(PluginContract):
    entry_point = "heartrate"
    record_types = (HR, HRV)
    user = UserContext(timezone=ZoneInfo("America/Chicago"), age_years=40)

    def valid_sample(self, record_type: str) -> Sample:
        real = real_samples(record_type)
        if real:
            return real[0].read_bytes()
        if record_type == HR:
            records = [hr_record(minute_series(0, [60 + i % 30 for i in range(600)]))]
        else:
            records = [hrv_record(MIDNIGHT_MS + i * 5 * MINUTE_MS, 30.0 + i) for i in range(40)]
        return write_plugin_avro(self.entry_point, record_type, records)

    def invalid_sample(self, record_type: str) -> Sample:
        if record_type == HR:
            return [hr_record(minute_series(0, [70, 350, 0, 72]))]
        return [hrv_record(MIDNIGHT_MS, 250.0), hrv_record(MIDNIGHT_MS + MINUTE_MS, 30.0)]
