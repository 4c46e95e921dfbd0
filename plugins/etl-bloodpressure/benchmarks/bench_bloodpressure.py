"""Print how long validation and processing take for a year of readings (four a day)."""

from __future__ import annotations

import time
from datetime import timedelta

from etl_core.engine.validate import score
from etl_core.testing import build_batch

from etl_bloodpressure import plugin
from etl_bloodpressure.samples import FIRST_DAY, record


def main() -> None:
    records = [
        record(FIRST_DAY + timedelta(hours=6 * i), 110.0 + i % 40, 70.0 + i % 25)
        for i in range(4 * 365)
    ]
    [spec] = plugin.etl_record_types()
    batch = build_batch("BloodPressureRecord", records)
    started = time.perf_counter()
    findings = plugin.etl_validate(batch, spec) or []
    validated = time.perf_counter()
    result = plugin.etl_process(batch, spec, score(findings, len(records), 0.7))
    processed = time.perf_counter()
    assert result is not None
    print(
        f"{len(records)} readings: validate {validated - started:.4f} s, "
        f"process {processed - validated:.4f} s"
    )


if __name__ == "__main__":
    main()
