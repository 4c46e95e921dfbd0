"""``etl compact`` against S3 (moto's server over real HTTP) and a local folder: journals
built from the current examples, a second compaction with nothing changed writes nothing, a
change in one month rebuilds that month only, examples written during a compaction reach the
next journal, and one compaction at a time holds the lease."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from etl_core.observability.metrics import EtlMetrics
from etl_core.outputs.compaction import (
    CompactionBusyError,
    compact_changed,
    compaction_lease,
    current_example_keys,
    journal_key,
    marker_key,
)
from etl_core.stores.factory import MeteredObjectStore
from etl_core.stores.objects.base import ObjectStore
from etl_core.stores.objects.s3 import S3ObjectStore
from etl_core.testing import journal_examples, real_samples, run_etl, training_examples
from tests.services import S3_ACCESS_KEY, S3_SECRET_KEY, MotoS3Server

PREFIX = "training/"


SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "health-connect"


@pytest.fixture(scope="module")
def real_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    files = real_samples()
    if len(files) != 26:
        pytest.skip("the 26 real exports (../shared/samples/health-connect) are not here")
    out = tmp_path_factory.mktemp("real")
    run_etl(files, out)
    return out


@pytest.fixture(scope="module")
def outputs(real_output: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Two people's outputs: the real exports (September 2025) and the samples as alice
    (September and October), so the bucket holds several months of each domain."""
    samples = tmp_path_factory.mktemp("samples")
    run_etl([SAMPLES], samples, "--user-id", "alice")
    return [real_output, samples]


def expected_journals(folders: list[Path]) -> dict[str, bytes]:
    """The journal each month of the outputs merged into one bucket should have: the lines of
    its current example objects, in calendar order (the window's first day, record type, rule;
    then key)."""
    objects = {
        path.relative_to(folder).as_posix(): path
        for folder in folders
        for path in example_files(folder)
    }

    def calendar(key: str) -> tuple[str, str, str, str]:
        text = objects[key].read_text()
        if not text.strip():
            return ("", "", "", key)
        metadata = json.loads(text.splitlines()[0])["metadata"]
        window = metadata.get("window") or {}
        day = window.get("first_day") or metadata["data_start"][:10]
        return (day, metadata["record_type"], window.get("rule", ""), key)

    journals: dict[str, bytes] = {}
    for key in sorted(current_example_keys(objects), key=calendar):
        month = key.split("/examples/")[0]
        yyyy, mm = month.rsplit("/", 2)[-2:]
        lines = [line for line in objects[key].read_bytes().splitlines() if line.strip()]
        journal = journal_key(month, yyyy, mm)
        journals[journal] = journals.get(journal, b"") + b"".join(line + b"\n" for line in lines)
    return dict(sorted(journals.items()))


def example_files(out: Path) -> list[Path]:
    """Every example object of an output (every revision), not its journals."""
    return sorted(p for p in (out / "training").rglob("examples/**/*.json*") if p.is_file())


def s3_store(server: MotoS3Server, bucket: str) -> S3ObjectStore:
    return S3ObjectStore(
        bucket,
        endpoint_url=server.endpoint_url,
        access_key=S3_ACCESS_KEY,
        secret_key=S3_SECRET_KEY,
    )


@pytest.fixture
def worker_bucket(moto_server: MotoS3Server, s3_bucket: str, outputs: list[Path]) -> str:
    """The bucket as the workers leave it: example objects under training/, no journal."""
    client = moto_server.client()
    for folder in outputs:
        for path in example_files(folder):
            key = path.relative_to(folder).as_posix()
            client.put_object(Bucket=s3_bucket, Key=key, Body=path.read_bytes())
    return s3_bucket


def journal_lines(store: ObjectStore, key: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in store.get(key).splitlines() if line.strip()]


def put_count(metrics: EtlMetrics) -> float:
    return float(metrics.s3_requests.labels("put", "success")._value.get())


def etl(*arguments: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    merged = {**os.environ, "ETL_PSEUDONYM_KEY": "test-pseudonym-key", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "etl_core", *arguments],
        capture_output=True,
        text=True,
        env=merged,
        check=False,
    )


def s3_env(server: MotoS3Server, bucket: str) -> dict[str, str]:
    return {
        "ETL_S3_ENDPOINT_URL": server.endpoint_url,
        "ETL_S3_ACCESS_KEY": S3_ACCESS_KEY,
        "ETL_S3_SECRET_KEY": S3_SECRET_KEY,
        "ETL_S3_BUCKET_NAME": bucket,
    }


@pytest.mark.services
def test_compact_s3_builds_journals_then_rewrites_nothing(
    moto_server: MotoS3Server, worker_bucket: str, outputs: list[Path]
) -> None:
    result = etl("compact", "--s3", env=s3_env(moto_server, worker_bucket))
    assert result.returncode == 0, result.stderr
    store = s3_store(moto_server, worker_bucket)
    expected = expected_journals(outputs)
    months = len(expected)
    # September and October; four domains with the clinical plugins, one with core alone.
    assert months in (2, 8), sorted(expected)
    assert f"{months} of {months} months rebuilt" in result.stdout
    s3_journals = [k for k in store.list(PREFIX) if "/health_journal_" in k]
    assert s3_journals == list(expected)
    for key, data in expected.items():
        assert store.get(key) == data, key
    lines = sum(len(journal_lines(store, key)) for key in s3_journals)
    assert lines == sum(len(training_examples(folder)) for folder in outputs)
    for key in s3_journals:
        month = key.rsplit("/", 1)[0]
        marker = json.loads(store.get(marker_key(month)))
        assert marker["journal"] == key and marker["lines"] == len(journal_lines(store, key))
    assert not store.exists(f"{PREFIX}.compaction-lease.json"), "the lease is given back"

    # Nothing changed: nothing is written.
    metrics = EtlMetrics()
    metered = MeteredObjectStore(store, metrics)
    results = compact_changed(metered, PREFIX)
    assert [r.rebuilt for r in results] == [False] * months
    assert put_count(metrics) == 0
    again = etl(
        "compact", "--from", f"s3://{worker_bucket}", env=s3_env(moto_server, worker_bucket)
    )
    assert again.returncode == 0, again.stderr
    assert f"0 of {months} months rebuilt" in again.stdout
    assert again.stdout.count("(unchanged)") == months


@pytest.mark.services
def test_a_change_in_one_month_rebuilds_only_that_month(
    moto_server: MotoS3Server, worker_bucket: str
) -> None:
    store = s3_store(moto_server, worker_bucket)
    compact_changed(store, PREFIX)
    before = {key: store.get(key) for key in store.list(PREFIX) if "/health_journal_" in key}
    # A worker rebuilds one window of one month: a new revision beside the old.
    current = current_example_keys(store.list(PREFIX))
    old_key = next(k for k in current if "/2025/10/" in k)
    month = old_key.split("/examples/")[0]
    window, revision = old_key.rsplit("/r", 1)
    new_key = f"{window}/r{int(revision.removesuffix('.jsonl')) + 1:08d}.jsonl"
    rebuilt_examples = [
        {**example, "output": example["output"] + " Rebuilt with a late record."}
        for example in journal_lines(store, old_key)
    ]
    store.put(new_key, "".join(json.dumps(e) + "\n" for e in rebuilt_examples).encode())

    metrics = EtlMetrics()
    results = compact_changed(MeteredObjectStore(store, metrics), PREFIX)
    changed = [r.month for r in results if r.rebuilt]
    assert changed == [month] and len(results) > 1
    assert put_count(metrics) == 2, "the month's journal, then its marker"
    journal = journal_key(month, "2025", "10")
    lines = journal_lines(store, journal)
    outputs = [line["output"] for line in lines]
    assert all(e["output"] in outputs for e in rebuilt_examples)
    assert not [e for e in journal_lines(store, old_key) if e["output"] in outputs]
    assert len(lines) == len(before[journal].splitlines()), "a revision replaces, never adds"
    for key, data in before.items():
        if key != journal:
            assert store.get(key) == data, key
    assert store.exists(old_key), "earlier revisions stay"


class WriterDuringListing:
    """The bucket, with a worker that writes one more example just after the compaction's
    listing: the interleaving a concurrent worker can produce, made certain."""

    def __init__(self, store: ObjectStore, key: str, data: bytes) -> None:
        self.store = store
        self.key = key
        self.data = data
        self.pending = True

    def get(self, key: str) -> bytes:
        return self.store.get(key)

    def put(self, key: str, data: bytes, *, if_absent: bool = False) -> bool:
        return self.store.put(key, data, if_absent=if_absent)

    def exists(self, key: str) -> bool:
        return self.store.exists(key)

    def list(self, prefix: str) -> Iterator[str]:
        keys = list(self.store.list(prefix))
        if self.pending:
            self.pending = False
            self.store.put(self.key, self.data, if_absent=True)
        return iter(keys)

    def delete(self, key: str) -> None:
        self.store.delete(key)

    def describe(self) -> str:
        return self.store.describe()


@pytest.mark.services
def test_an_example_written_during_a_compaction_reaches_the_next_journal(
    moto_server: MotoS3Server, worker_bucket: str
) -> None:
    store = s3_store(moto_server, worker_bucket)
    examples_before = [k for k in store.list(PREFIX) if "/examples/" in k]
    month = next(k for k in examples_before if "/2025/10/" in k).split("/examples/")[0]
    template = journal_lines(store, next(k for k in examples_before if k.startswith(month)))[0]
    late = {**template, "output": "A late window's summary."}
    late_key = f"{month}/examples/{'ab' * 20}/r00000001.jsonl"
    racing = WriterDuringListing(store, late_key, (json.dumps(late) + "\n").encode())

    compact_changed(racing, PREFIX)
    journal = journal_key(month, "2025", "10")
    assert late["output"] not in [e["output"] for e in journal_lines(store, journal)]

    results = compact_changed(store, PREFIX)
    assert [r.month for r in results if r.rebuilt] == [month] and len(results) > 1
    assert late["output"] in [e["output"] for e in journal_lines(store, journal)]
    examples_after = [k for k in store.list(PREFIX) if "/examples/" in k]
    assert set(examples_before) | {late_key} == set(examples_after), "no example is deleted"
    # Every current example is in its month's journal.
    for key in current_example_keys(examples_after):
        month_of_key = key.split("/examples/")[0]
        yyyy, mm = month_of_key.rsplit("/", 2)[-2:]
        lines = store.get(journal_key(month_of_key, yyyy, mm)).splitlines()
        for line in store.get(key).splitlines():
            assert line in lines, key


@pytest.mark.services
def test_one_compaction_at_a_time(moto_server: MotoS3Server, worker_bucket: str) -> None:
    store = s3_store(moto_server, worker_bucket)
    with compaction_lease(store, PREFIX):
        with pytest.raises(CompactionBusyError), compaction_lease(store, PREFIX):
            pass
        result = etl("compact", "--s3", env=s3_env(moto_server, worker_bucket))
        assert result.returncode == 1
        assert result.stderr.startswith("etl: error: another compaction holds")
        assert len(result.stderr.strip().splitlines()) == 1
    # A lease whose holder died is taken over once it expires.
    lease = f"{PREFIX}.compaction-lease.json"
    dead = compaction_lease(store, PREFIX, seconds=-1)
    dead.__enter__()
    dead_token = json.loads(store.get(lease))["token"]
    taker = compaction_lease(store, PREFIX)
    taker.__enter__()
    held = json.loads(store.get(lease))
    assert held["token"] != dead_token and held["expires"] > time.time()
    # The dead holder, waking up, does not release the lease it lost.
    dead.__exit__(None, None, None)
    assert json.loads(store.get(lease))["token"] == held["token"]
    taker.__exit__(None, None, None)
    assert not store.exists(lease)


def test_compact_local_folder_rebuilds_only_what_changed(
    outputs: list[Path], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    for folder in outputs:
        for path in example_files(folder):
            target = out / path.relative_to(folder)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    expected = expected_journals(outputs)
    months = len(expected)
    first = etl("compact", "--out", str(out))
    assert first.returncode == 0, first.stderr
    assert f"{months} of {months} months rebuilt" in first.stdout
    for key, data in expected.items():
        assert (out / key).read_bytes() == data, key
    assert len(journal_examples(out)) == sum(len(training_examples(f)) for f in outputs)
    second = etl("compact", "--out", str(out))
    assert f"0 of {months} months rebuilt" in second.stdout
    forced = etl("compact", "--out", str(out), "--all")
    assert f"{months} of {months} months rebuilt" in forced.stdout


def test_compact_refuses_two_targets() -> None:
    result = etl("compact", "--s3", "--from", "s3://bucket")
    assert result.returncode == 2
    assert result.stderr.strip() == "etl: error: give --s3 or --from, not both"
