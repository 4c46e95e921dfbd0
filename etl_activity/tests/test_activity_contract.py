"""etl-core's plugin contract suite, run against the installed ``activity`` plugin: a real
export when the samples are beside the checkout, else the committed synthetic one."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from etl_activity.measures import ACTIVE_ENERGY, MEASURES, STEPS
from etl_core import UserContext
from etl_core.testing import PluginContract, Sample, read_avro, real_samples

SYNTHETIC = Path(__file__).resolve().parents[2] / "samples" / "health-connect"


def export_bytes(record_type: str) -> bytes:
    files = real_samples(record_type) or sorted(SYNTHETIC.glob(f"{record_type}_*.avro"))
    return files[0].read_bytes()


class TestActivityContract(PluginContract):
    entry_point = "activity"
    record_types = (STEPS.record_type, ACTIVE_ENERGY.record_type)
    user = UserContext(timezone=ZoneInfo("America/Chicago"), age_years=45)

    def valid_sample(self, record_type: str) -> Sample:
        return export_bytes(record_type)

    def invalid_sample(self, record_type: str) -> Sample:
        records = read_avro(export_bytes(record_type))
        records[0][MEASURES[record_type].value_field] = -5
        records[-1]["metadata"]["id"] = None
        return records
