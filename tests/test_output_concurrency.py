"""Eight ``etl run`` processes writing the same month and domain into one output folder: the
same person's overlapping windows, rebuilt by whichever process gets there, end with every
window exactly once and every record in it."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from etl_core.testing import training_examples
from tests.support.records import BASE_MS, temperature_file, temperature_records

CDT = timezone(timedelta(hours=-5))

FILES = 40
PROCESSES = 8


def test_eight_processes_write_every_example_exactly_once(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    for n in range(FILES):
        records = temperature_records(5, start_ms=BASE_MS + n * 3_600_000, tag=f"f{n}")
        (inputs / f"BodyTemperatureRecord_{n:03d}.avro").write_bytes(temperature_file(records))
    out = tmp_path / "out"
    env = {**os.environ, "ETL_PSEUDONYM_KEY": "k", "ETL_DISABLED_PLUGINS": ""}
    workers = []
    for worker in range(PROCESSES):
        files = sorted(inputs.glob("*.avro"))
        random.Random(worker).shuffle(files)  # every process races for every file
        workers.append(
            subprocess.Popen(
                [sys.executable, "-m", "etl_core", "run", *map(str, files), "--out", str(out)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
            )
        )
    for process in workers:
        _, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, stderr
        assert "Traceback" not in stderr
    month = out / "training" / "unclassified" / "2025" / "09"
    examples = training_examples(out, "unclassified")
    # The records' local days (-05:00), computed here: one window, so one example, each.
    days = {
        datetime.fromtimestamp(r["timeEpochMillis"] / 1000, CDT).date().isoformat()
        for n in range(FILES)
        for r in temperature_records(5, start_ms=BASE_MS + n * 3_600_000, tag=f"f{n}")
    }
    assert sorted(e["metadata"]["window"]["first_day"] for e in examples) == sorted(days)
    assert sum(e["metadata"]["record_count"] for e in examples) == FILES * 5
    journal = (month / "health_journal_2025_09.jsonl").read_text().splitlines()
    assert sorted(json.loads(line)["metadata"]["window"]["key"] for line in journal) == sorted(
        e["metadata"]["window"]["key"] for e in examples
    )
    assert not list(month.glob("**/.tmp-*"))
