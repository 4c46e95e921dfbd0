"""``etl run`` and ``etl plugins`` as a user runs them, in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from etl_core.plugins import load_plugins
from etl_core.testing import run_etl, training_examples
from tests.support.records import temperature_file, temperature_records
from tests.support.windows import expected_windows, fingerprint


def installed_owners() -> dict[str, str]:
    result = subprocess.run(
        [sys.executable, "-m", "etl_core", "plugins", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    return {rt["name"]: p["name"] for p in json.loads(result.stdout) for rt in p["record_types"]}


def test_all_real_files_run_with_whatever_plugins_are_installed(
    samples_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = run_etl([samples_dir], out)
    assert "Traceback" not in result.stderr
    assert "26 files" in result.stdout
    examples = training_examples(out)
    # The 26 overlapping files make one current example set per window that holds records,
    # each built from every record of its window: nothing lost, nothing twice.
    expected = expected_windows(sorted(samples_dir.glob("*.avro")), load_plugins())
    written: dict[tuple[str, str], set[str]] = {}
    for example in examples:
        meta = example["metadata"]
        key = (meta["record_type"], meta["window"]["key"])
        assert key in expected, f"an example for a window without records: {key}"
        assert meta["content_fingerprint"] == fingerprint(expected[key])
        assert meta["record_count"] == len(expected[key].records)
        written.setdefault(key, set()).add(meta["example_kind"])
    assert set(written) == set(expected)
    owners = installed_owners()
    for example in examples:
        meta = example["metadata"]
        if meta["record_type"] in owners:
            assert meta["processor"].startswith(owners[meta["record_type"]] + " ")
        else:
            assert meta["processor"].startswith("etl-core generic")
            assert meta["health_domain"] == "unclassified"
            assert meta["clinical_insights"]["records"] <= meta["record_count"]
        assert example["instruction"] and example["input"] and example["output"]
    journals = list((out / "training").rglob("health_journal_*.jsonl"))
    assert sum(len(j.read_text().splitlines()) for j in journals) == len(examples)


def test_second_run_writes_nothing(samples_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_etl([samples_dir], out)
    before = {
        p: p.stat().st_mtime_ns
        for p in out.rglob("*")
        if p.is_file() and ".etl-state" not in p.parts
    }
    again = run_etl([samples_dir], out)
    after = {
        p: p.stat().st_mtime_ns
        for p in out.rglob("*")
        if p.is_file() and ".etl-state" not in p.parts
    }
    assert after == before
    assert "training examples written: 0" in again.stdout


def one_line_error(result: subprocess.CompletedProcess[str], code: int, *needles: str) -> None:
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    errors = [line for line in result.stderr.splitlines() if line.startswith("etl: error:")]
    assert len(errors) == 1, result.stderr
    for needle in needles:
        assert needle in errors[0]


def test_missing_path_is_a_one_line_error(tmp_path: Path) -> None:
    result = run_etl([tmp_path / "nope"], tmp_path / "out", check=False)
    one_line_error(result, 2, "nope", "no such file or directory")


def test_folder_without_avro_files_is_a_one_line_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = run_etl([tmp_path / "empty"], tmp_path / "out", check=False)
    one_line_error(result, 2, "no .avro files")


def test_bad_files_are_one_line_errors_and_the_good_ones_still_run(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    good = temperature_file(temperature_records(20))
    (inputs / "BodyTemperatureRecord_good.avro").write_bytes(good)
    (inputs / "notes.avro").write_text("these are my notes, not Avro")
    (inputs / "BodyTemperatureRecord_truncated.avro").write_bytes(good[: len(good) // 2])
    (inputs / "BodyTemperatureRecord_empty.avro").write_bytes(b"")
    result = run_etl([inputs], tmp_path / "out", check=False)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    errors = sorted(line for line in result.stderr.splitlines() if line.startswith("etl: error:"))
    assert len(errors) == 3
    assert "BodyTemperatureRecord_empty.avro: the file is empty" in errors[0]
    assert "BodyTemperatureRecord_truncated.avro: truncated or corrupt Avro data" in errors[1]
    assert "notes.avro: not an Avro object container file" in errors[2]
    assert len(training_examples(tmp_path / "out")) == 1
    quarantined = {p.name for p in (tmp_path / "out" / "quarantine").rglob("*.avro")}
    assert quarantined == {
        "notes.avro",
        "BodyTemperatureRecord_truncated.avro",
        "BodyTemperatureRecord_empty.avro",
    }


def test_oversized_file_is_refused_before_decoding(tmp_path: Path) -> None:
    source = tmp_path / "BodyTemperatureRecord_big.avro"
    source.write_bytes(temperature_file(temperature_records(2000)))
    result = run_etl([source], tmp_path / "out", env={"ETL_MAX_FILE_SIZE_MB": "0.01"}, check=False)
    one_line_error(
        result, 1, "BodyTemperatureRecord_big.avro", "over the limit", "ETL_MAX_FILE_SIZE_MB"
    )


def test_production_mode_without_pseudonym_key_refuses_to_start(tmp_path: Path) -> None:
    source = tmp_path / "BodyTemperatureRecord_1.avro"
    source.write_bytes(temperature_file(temperature_records(2)))
    env = {k: v for k, v in os.environ.items() if k != "ETL_PSEUDONYM_KEY"}
    env["ETL_DEVELOPMENT_MODE"] = "false"
    result = subprocess.run(
        [sys.executable, "-m", "etl_core", "run", str(source), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        env=env,
    )
    one_line_error(result, 3, "ETL_PSEUDONYM_KEY")
    assert not (tmp_path / "out" / "training").exists()


def test_unknown_timezone_is_a_one_line_error(tmp_path: Path) -> None:
    source = tmp_path / "BodyTemperatureRecord_1.avro"
    source.write_bytes(temperature_file(temperature_records(2)))
    result = run_etl([source], tmp_path / "out", "--timezone", "Mars/Olympus", check=False)
    one_line_error(result, 2, "Mars/Olympus")
