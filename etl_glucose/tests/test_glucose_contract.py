"""etl-core's plugin contract suite, run against the installed ``glucose`` plugin: a real
export when the samples are beside the checkout, else the committed synthetic one."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from etl_core import UserContext
from etl_core.testing import PluginContract, Sample, read_avro, real_samples

RECORD_TYPE = "BloodGlucoseRecord"
SYNTHETIC = Path(__file__).resolve().parents[2] / "samples" / "health-connect"


def export_bytes(record_type: str) -> bytes:
    files = real_samples(record_type) or sorted(SYNTHETIC.glob(f"{record_type}_*.avro"))
    return files[0].read_bytes()


class TestGlucoseContract(PluginContract):
    entry_point = "glucose"
    record_types = (RECORD_TYPE,)
    user = UserContext(timezone=ZoneInfo("America/Chicago"), age_years=45)

    def valid_sample(self, record_type: str) -> Sample:
        return export_bytes(record_type)

    def invalid_sample(self, record_type: str) -> Sample:
        records = read_avro(export_bytes(record_type))
        records[0]["levelInMilligramsPerDeciliter"] = 9999.0
        records[-1]["metadata"]["id"] = None
        return records
