"""``etl run`` and ``etl plugins`` as a user runs them, in a subprocess."""

from __future__ import annotations

import io
import itertools
import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import fastavro
import pytest

from etl_core.cli.run import SUMMARY_HEADERS
from etl_core.engine.registry import load_plugins
from etl_core.testing import read_avro, real_samples, run_etl, training_examples, write_avro
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


# -- the summary, the error lines, the progress bar ------------------------------------------


def summary_totals(stdout: str) -> list[str]:
    """The figures of the summary's total row (table or block layout)."""
    lines = stdout.splitlines()
    for index, line in enumerate(lines):
        words = line.replace("│", " ").split()
        if words[:1] == ["total"] and len(words) > 1:
            return words[1:]
        if words == ["total"]:
            block = " ".join(
                itertools.takewhile(lambda line: line.startswith("  "), lines[index + 1 :])
            )
            return re.findall(r"(?<= )[\d.]+(?= |$)", " " + block + " ")
    raise AssertionError(f"no total row in:\n{stdout}")


@pytest.mark.parametrize("columns", [200, 100, 80, 50])
def test_the_summary_fits_the_terminal_width(
    samples_dir: Path, tmp_path: Path, columns: int
) -> None:
    result = run_etl([samples_dir], tmp_path / "out", env={"COLUMNS": str(columns)})
    lines = result.stdout.splitlines()
    assert max(map(len, lines)) <= columns, result.stdout
    # Every figure is there, whatever the layout: 26 files, 26 processed, 0 quarantined...
    figures = dict(zip(SUMMARY_HEADERS, summary_totals(result.stdout), strict=True))
    assert figures["files"] == figures["processed"] == "26"
    counted = ("excluded", "done before", "duplicate content", "quarantined", "failed")
    assert [figures[name] for name in counted] == ["0"] * 5
    assert "26 files" in result.stdout


@pytest.mark.parametrize("disabled", ["", "glucose"])
def test_records_validation_leaves_out_are_counted_in_the_summary(
    tmp_path: Path, disabled: str
) -> None:
    """A file validation lets through may still leave records out (here three readings of a
    real CGM export dated 1990, by core's generic checks, with or without the glucose plugin);
    they are in neither the examples nor the quarantine, so the summary counts them, by code."""
    source = real_samples("BloodGlucoseRecord")
    if not source:
        pytest.skip("the real samples are not beside the checkout")
    data = source[0].read_bytes()
    records = read_avro(data)
    for index in (3, 7, 11):
        records[index]["timeEpochMillis"] = 631_152_000_000 + index  # 1990-01-01
    inputs = tmp_path / "in"
    inputs.mkdir()
    schema = fastavro.reader(io.BytesIO(data)).writer_schema
    (inputs / source[0].name).write_bytes(write_avro(schema, records))
    env = {"COLUMNS": "200", "ETL_DISABLED_PLUGINS": disabled}
    result = run_etl([inputs], tmp_path / "out", env=env)
    figures = dict(zip(SUMMARY_HEADERS, summary_totals(result.stdout), strict=True))
    assert (figures["records"], figures["excluded"]) == (str(len(records)), "3")
    assert (figures["processed"], figures["quarantined"], figures["failed"]) == ("1", "0", "0")
    footer = [line for line in result.stdout.splitlines() if line.startswith("excluded by")]
    assert footer == ["excluded by validation: 3 records (implausible_timestamp 3)"]


def test_each_bad_file_is_one_line_on_stderr_and_nothing_else(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    good = temperature_file(temperature_records(20))
    (inputs / "BodyTemperatureRecord_good.avro").write_bytes(good)
    (inputs / "notes.avro").write_text("these are my notes, not Avro")
    (inputs / "BodyTemperatureRecord_truncated.avro").write_bytes(good[: len(good) // 2])
    env = {k: v for k, v in os.environ.items() if k != "ETL_LOG_LEVEL"}
    result = subprocess.run(
        [sys.executable, "-m", "etl_core", "run", str(inputs), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        env={**env, "ETL_PSEUDONYM_KEY": "test-pseudonym-key"},
    )
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 2, result.stderr
    assert all(line.startswith("etl: error: ") for line in lines), result.stderr
    assert "notes.avro" in result.stderr
    assert "BodyTemperatureRecord_truncated.avro" in result.stderr


def test_the_quarantined_count_agrees_with_the_footer(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    # 300 readings ten minutes apart span three local days: over a limit of one.
    (inputs / "BodyTemperatureRecord_long.avro").write_bytes(
        temperature_file(temperature_records(300))
    )
    (inputs / "BodyTemperatureRecord_good.avro").write_bytes(
        temperature_file(temperature_records(5, tag="g"))
    )
    (inputs / "notes.avro").write_text("these are my notes, not Avro")
    result = run_etl(
        [inputs],
        tmp_path / "out",
        env={"ETL_MAX_WINDOW_DAYS_PER_FILE": "1", "COLUMNS": "200"},
        check=False,
    )
    assert result.returncode == 1, result.stderr
    figures = dict(zip(SUMMARY_HEADERS, summary_totals(result.stdout), strict=True))
    assert (figures["files"], figures["quarantined"], figures["failed"]) == ("3", "1", "1")
    footer = [line for line in result.stdout.splitlines() if line.startswith("quarantined:")]
    assert len(footer) == 1, result.stdout
    assert footer[0].startswith("quarantined: 1 (and 1 unreadable file kept) -> ")
    kept = {p.name for p in (tmp_path / "out" / "quarantine").rglob("*.avro")}
    assert kept == {"BodyTemperatureRecord_long.avro", "notes.avro"}


class Screen:
    """Just enough of a terminal to see what a person sees: text, carriage returns, line
    feeds, erase-line and cursor-up; other escape sequences (colours, cursor) change nothing
    visible here."""

    def __init__(self) -> None:
        self.lines: list[str] = [""]
        self.row = 0
        self.col = 0

    def feed(self, text: str) -> None:
        for token in re.findall(r"\x1b\[[0-9;?]*[A-Za-z]|\r|\n|[^\x1b\r\n]", text):
            if token == "\r":
                self.col = 0
            elif token == "\n":
                self.row += 1
                if self.row == len(self.lines):
                    self.lines.append("")
            elif token.startswith("\x1b["):
                if token.endswith("K"):
                    self.lines[self.row] = ""
                elif token.endswith("A"):
                    self.row = max(0, self.row - int(token[2:-1] or 1))
            else:
                line = self.lines[self.row].ljust(self.col)
                self.lines[self.row] = line[: self.col] + token + line[self.col + 1 :]
                self.col += 1


def run_in_terminal(args: list[str], env: dict[str, str]) -> str:
    """``etl`` with stdin, stdout and stderr on a pseudo-terminal; everything it wrote."""
    master, slave = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "etl_core", *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        close_fds=True,
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # the other side closed
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    process.wait(timeout=120)
    return b"".join(chunks).decode("utf-8", "replace")


def test_no_log_line_is_printed_over_the_progress_bar(samples_dir: Path, tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    for path in sorted(samples_dir.glob("*.avro"))[:6]:
        (inputs / path.name).symlink_to(path)
    (inputs / "notes.avro").write_text("these are my notes, not Avro")
    env = {
        **os.environ,
        "ETL_PSEUDONYM_KEY": "test-pseudonym-key",
        # Every stage logs while the bar is shown.
        "ETL_LOG_LEVEL": "INFO",
        "COLUMNS": "120",
        "TERM": "xterm",
    }
    output = run_in_terminal(["run", str(inputs), "--out", str(tmp_path / "out")], env)
    assert "processing" in output  # the bar was drawn
    screen = Screen()
    screen.feed(output)
    events = [line for line in screen.lines if re.search(r"\[(info|warning) *\]", line)]
    assert events, output
    for line in screen.lines:
        if "processing" in line:
            assert not re.search(r"\d{4}-\d\d-\d\dT|etl: error|\[info", line), line
    errors = [line for line in screen.lines if line.startswith("etl: error:")]
    assert len(errors) == 1 and "notes.avro" in errors[0]


def test_compact_on_a_folder_without_output_says_so(tmp_path: Path) -> None:
    env = {**os.environ, "ETL_PSEUDONYM_KEY": "test-pseudonym-key"}
    typo = tmp_path / "typo"
    missing = subprocess.run(
        [sys.executable, "-m", "etl_core", "compact", "--out", str(typo)],
        capture_output=True,
        text=True,
        env=env,
    )
    one_line_error(missing, 2, str(typo), "no such folder")
    assert not typo.exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    nothing = subprocess.run(
        [sys.executable, "-m", "etl_core", "compact", "--out", str(empty)],
        capture_output=True,
        text=True,
        env=env,
    )
    one_line_error(nothing, 2, str(empty), "no training examples")
    assert list(empty.iterdir()) == []


def test_compact_rebuilds_the_journals_of_a_run(tmp_path: Path) -> None:
    source = tmp_path / "BodyTemperatureRecord_1.avro"
    source.write_bytes(temperature_file(temperature_records(20)))
    out = tmp_path / "out"
    run_etl([source], out)
    journals = sorted(out.glob("training/*/*/*/health_journal_*.jsonl"))
    assert journals
    before = [j.read_text() for j in journals]
    for journal in journals:
        journal.unlink()
    result = subprocess.run(
        [sys.executable, "-m", "etl_core", "compact", "--out", str(out)],
        capture_output=True,
        text=True,
        env={**os.environ, "ETL_PSEUDONYM_KEY": "test-pseudonym-key"},
    )
    assert result.returncode == 0, result.stderr
    assert [j.read_text() for j in journals] == before
    # A line per month, then how many were rebuilt: the journals had no marker yet, so all.
    lines = result.stdout.splitlines()
    assert len(lines) == len(journals) + 1
    assert lines[-1] == f"{len(journals)} of {len(journals)} months rebuilt"


def test_the_plugin_table_fits_the_terminal_and_cuts_no_name() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "etl_core", "plugins"],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "80"},
    )
    assert result.returncode == 0, result.stderr
    assert max(map(len, result.stdout.splitlines())) <= 80
    assert "…" not in result.stdout
    # Folded names read whole once the table's cells are joined back.
    joined = "".join(
        cell.strip() for line in result.stdout.splitlines() for cell in line.split("│")
    )
    for record_type in installed_owners():
        assert record_type in joined


def test_a_wide_terminal_gets_one_row_per_plugin_in_columns() -> None:
    environment = {**os.environ, "COLUMNS": "400", "ETL_DISABLED_PLUGINS": ""}
    listing = subprocess.run(
        [sys.executable, "-m", "etl_core", "plugins", "--json"],
        capture_output=True,
        text=True,
        env=environment,
        check=True,
    )
    plugins = json.loads(listing.stdout)
    result = subprocess.run(
        [sys.executable, "-m", "etl_core", "plugins"],
        capture_output=True,
        text=True,
        env=environment,
        check=True,
    )
    header, rule, *rows = result.stdout.splitlines()
    assert header.split() == ["plugin", "distribution", "version", "record", "types", "(domain)"]
    assert set(rule) == {"-", " "}
    assert [row.split()[:3] for row in rows] == [
        [p["name"], p["distribution"], p["version"]] for p in plugins
    ]
    for row, plugin in zip(rows, plugins, strict=True):
        owned = [f"{t['name']} ({t['health_domain']})" for t in plugin["record_types"]]
        assert row.endswith(", ".join(owned) or "(built-in hooks)")


# -- configuration errors: one line, exit 3, whichever command ---------------------------------


def etl_command(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``etl ARGS`` with no ETL_* variable of the test's environment, plus ``env``. The broker
    and S3 named here do not exist: a configuration error must stop the command before it
    reaches them."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("ETL_")}
    base |= {
        "ETL_RABBITMQ_URL": "amqp://guest:guest@127.0.0.1:1/%2F",
        "ETL_S3_ENDPOINT_URL": "http://127.0.0.1:1",
        "ETL_STARTUP_WAIT_SECONDS": "0",
    }
    return subprocess.run(
        [sys.executable, "-m", "etl_core", *args],
        capture_output=True,
        text=True,
        env=base | env,
        timeout=120,
        check=False,
    )


def commands(tmp_path: Path) -> list[tuple[str, ...]]:
    source = tmp_path / "BodyTemperatureRecord_1.avro"
    source.write_bytes(temperature_file(temperature_records(2)))
    return [
        ("run", str(source), "--out", str(tmp_path / "out")),
        ("publish", str(source)),
        ("consume", "--threads", "1"),
        ("build-windows",),
    ]


PRODUCTION = {"ETL_DEVELOPMENT_MODE": "false"}
KEY = {"ETL_PSEUDONYM_KEY": "a-key-of-twenty-chars"}


def test_configuration_errors_exit_3_with_one_line_from_every_command(tmp_path: Path) -> None:
    cases = [
        ({**KEY, "ETL_QUALITY_THRESHOLD": "abc"}, "ETL_QUALITY_THRESHOLD"),
        (PRODUCTION, "ETL_PSEUDONYM_KEY is not set"),
        (
            {**PRODUCTION, "ETL_PSEUDONYM_KEY": "short-key"},
            "ETL_PSEUDONYM_KEY is 9 characters long; outside development mode it needs at least 16",
        ),
    ]
    for command in commands(tmp_path):
        for env, needle in cases:
            result = etl_command(*command, env=env)
            one_line_error(result, 3, needle)
    assert not (tmp_path / "out" / "training").exists()


def test_a_long_enough_key_in_production_mode_runs(tmp_path: Path) -> None:
    run, *_ = commands(tmp_path)
    result = etl_command(*run, env={**PRODUCTION, **KEY})
    assert result.returncode == 0, result.stderr
    assert len(training_examples(tmp_path / "out")) == 1


def test_a_malformed_url_is_one_line_with_its_password_hidden(tmp_path: Path) -> None:
    cases = [
        (
            "ETL_RABBITMQ_URL",
            "amqp://etl:rabbit-pw-1@127.0.0.1:56x2/%2F",
            "the port is not a number",
        ),
        ("ETL_S3_ENDPOINT_URL", "http://minio:s3-pw-2@127.0.0.1:9o00", "the port is not a number"),
        (
            "ETL_DEDUPLICATION_URL",
            "postgresql://etl:pg-pw-3@127.0.0.1:99999/etl",
            "the port is out of range (0-65535)",
        ),
        ("ETL_HISTORY_URL", "postgresql://etl:pg-pw-4@[::1/etl", "not a valid URL"),
    ]
    for command in commands(tmp_path):
        for name, url, reason in cases:
            result = etl_command(*command, env={**KEY, name: url})
            password = url.split(":")[2].split("@")[0]
            assert password not in result.stderr + result.stdout
            one_line_error(result, 3, name, reason, "***@")


def test_an_s3_endpoint_botocore_refuses_hides_its_password(tmp_path: Path) -> None:
    _, publish, consume, build_windows = commands(tmp_path)
    for command in (publish, consume, build_windows):
        result = etl_command(
            *command, env={**KEY, "ETL_S3_ENDPOINT_URL": "http://minio:s3-pw-5@bad_host:9000"}
        )
        assert "s3-pw-5" not in result.stderr + result.stdout
        one_line_error(
            result,
            3,
            "ETL_S3_ENDPOINT_URL is not a usable endpoint: http://minio:***@bad_host:9000",
        )


def test_the_metrics_server_binds_loopback_unless_told() -> None:
    from etl_core.observability.health import HealthServer
    from etl_core.observability.metrics import EtlMetrics
    from etl_core.settings import Settings

    metrics = EtlMetrics()
    default = HealthServer(metrics, {}, port=0).start()
    try:
        assert default.host == "127.0.0.1"
    finally:
        default.stop()
    assert Settings(_env_file=None).metrics_host == "127.0.0.1"  # type: ignore[call-arg]
    everywhere = Settings(_env_file=None, metrics_host="0.0.0.0")  # type: ignore[call-arg]
    server = HealthServer(metrics, {}, host=everywhere.metrics_host, port=0).start()
    try:
        assert server.host == "0.0.0.0"
    finally:
        server.stop()
