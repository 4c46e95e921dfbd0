"""Eight ``etl run`` processes writing the same month and domain into one output folder."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

from tests.support.records import BASE_MS, temperature_file, temperature_records

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
    examples = [json.loads(p.read_text()) for p in sorted((month / "examples").glob("*.json"))]
    keys = [e["metadata"]["source_key"] for e in examples]
    assert sorted(keys) == sorted(p.name for p in inputs.glob("*.avro"))
    journal = (month / "health_journal_2025_09.jsonl").read_text().splitlines()
    journal_keys = [json.loads(line)["metadata"]["source_key"] for line in journal]
    assert sorted(journal_keys) == sorted(keys)
    assert not list(month.glob("**/.tmp-*"))
