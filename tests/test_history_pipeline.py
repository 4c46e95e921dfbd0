"""A person's history through ``etl run``: examples describe calendar windows built from every
record any file brought, in the person's local time, whatever the order of the files, and a
window whose records change is revised, never duplicated."""

from __future__ import annotations

import itertools
import json
import random
import shutil
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from etl_core.builtin.training_jsonl import stable_form
from etl_core.contract.model import UserContext
from etl_core.contract.windows import WindowRule, build_window, newest_versions
from etl_core.engine.job import Job, Status
from etl_core.engine.pipeline import Pipeline
from etl_core.engine.registry import load_plugins
from etl_core.engine.window_stage import record_set_fingerprint
from etl_core.settings import Settings
from etl_core.stores.dedup.sql import SqlDedupStore
from etl_core.stores.history.sql import SqlHistoryStore
from etl_core.stores.objects.local import LocalObjectStore
from etl_core.testing import (
    read_avro,
    real_samples,
    run_etl,
    synthetic_person,
    training_examples,
    write_avro,
)
from etl_core.testing.person import BACKFILL_DAY, DEFAULT_START, ZONE
from etl_core.transports.embedded import InputFile, run_embedded
from tests.support.records import BASE_MS, temperature_file, temperature_records
from tests.support.temperature_plugin import SCHEMA

CDT = timezone(timedelta(hours=-5))


def _windows_of(examples: Iterable[dict[str, Any]]) -> dict[tuple[str, str, str], list[dict]]:
    grouped: dict[tuple[str, str, str], list[dict]] = defaultdict(list)
    for example in examples:
        meta = example["metadata"]
        grouped[(meta["user"], meta["record_type"], meta["window"]["rule"])].append(meta["window"])
    return grouped


def _real_folder() -> Path:
    files = real_samples()
    if not files:
        pytest.skip(
            "the real samples (../shared/samples/health-connect) are not beside the checkout"
        )
    return files[0].parent


def test_real_exports_give_one_example_per_window_in_the_person_s_local_time(
    tmp_path: Path,
) -> None:
    run_etl([_real_folder()], tmp_path / "out")
    examples = training_examples(tmp_path / "out")
    assert examples
    assert all("window" in e["metadata"] for e in examples), "every example describes a window"
    # Windows of one person, record type and rule never overlap (several examples of one
    # window, one per kind, share it), except rules that by definition look back further than
    # they step: the consensus CGM report covers the last 14 days, once a week.
    for group, windows in _windows_of(examples).items():
        distinct = sorted({(w["start"], w["end"], w["days"]) for w in windows})
        for (start, end, days), (next_start, _, _) in itertools.pairwise(distinct):
            step = datetime.fromisoformat(next_start) - datetime.fromisoformat(start)
            if days <= 7:
                assert next_start >= end, f"{group}: windows overlap"
            else:
                assert step >= timedelta(days=7), f"{group}: reports less than a week apart"
    glucose = [e for e in examples if e["metadata"]["record_type"] == "BloodGlucoseRecord"]
    assert glucose
    for example in glucose:
        meta = example["metadata"]
        # The exports say "Z"; the person's heart-rate, sleep and step records say -05:00.
        assert meta["clock"] == "inferred from the person's other records"
        assert meta["data_start"].endswith("-05:00") and meta["data_end"].endswith("-05:00")
    # Glucose readings fall on the local days the test computes from the raw readings.
    readings = newest_versions(r for p in real_samples("BloodGlucoseRecord") for r in read_avro(p))
    local_days = {
        datetime.fromtimestamp(r["timeEpochMillis"] / 1000, CDT).date().isoformat()
        for r in readings
    }
    day_windows = {
        e["metadata"]["window"]["first_day"]
        for e in glucose
        if e["metadata"]["window"]["rule"] == "day"
    }
    assert day_windows == local_days


def _stable(examples: Iterable[dict[str, Any]]) -> list[str]:
    return sorted(json.dumps(stable_form(e), sort_keys=True) for e in examples)


def test_the_same_files_in_any_order_and_split_across_runs_give_the_same_examples(
    tmp_path: Path,
) -> None:
    folder = _real_folder()
    run_etl([folder], tmp_path / "once")
    files = sorted(folder.glob("*.avro"))
    random.Random(5).shuffle(files)
    batches = [files[0::3], files[1::3], files[2::3]]
    for number, batch in enumerate(batches):
        part = tmp_path / f"part{number}"
        part.mkdir()
        for path in batch:
            shutil.copy(path, part / path.name)
        run_etl([part], tmp_path / "split")
    once = training_examples(tmp_path / "once")
    split = training_examples(tmp_path / "split")
    assert _stable(split) == _stable(once)
    # The journals hold exactly the current examples, once.
    journals = [
        json.loads(line)
        for path in (tmp_path / "split" / "training").rglob("health_journal_*.jsonl")
        for line in path.read_text().splitlines()
    ]
    assert _stable(journals) == _stable(split)


def _run(folder: Path, out: Path, settings: Settings) -> Any:
    registry = load_plugins(
        disabled=settings.disabled_plugins, training_prefix=settings.training_data_prefix
    )
    inputs = [InputFile(path, path.name) for path in sorted(folder.glob("*.avro"))]
    return run_embedded(
        inputs,
        out,
        registry=registry,
        settings=settings,
        user_id="person",
        user=UserContext(),
    )


def test_a_month_of_daily_exports_revises_windows_and_keeps_one_current_example_each(
    tmp_path: Path,
) -> None:
    settings = Settings(_env_file=None, pseudonym_key="k")  # type: ignore[call-arg]
    exports = synthetic_person(28)
    out = tmp_path / "out"
    # The exports arrive a week at a time: days seen running at the end of a week are revised
    # when their complete version comes, and the CGM backfill revises day 11 two weeks late.
    for week in range(5):
        folder = tmp_path / f"week{week}"
        folder.mkdir()
        for export in exports:
            if (export.fetched_at.date() - DEFAULT_START).days // 7 == week:
                (folder / export.name).write_bytes(export.data)
        if any(folder.iterdir()):
            report = _run(folder, out, settings)
            assert not report.failed and not report.failed_windows
    examples = training_examples(out)
    # One current example per (window, kind): the journals never hold two revisions.
    # (A window has one example of each kind, and one per question asked.)
    kinds = Counter(
        (
            e["metadata"]["record_type"],
            e["metadata"]["window"]["key"],
            e["metadata"]["example_kind"],
            e["instruction"] if e["metadata"]["example_kind"] == "question" else "",
        )
        for e in examples
    )
    assert set(kinds.values()) == {1}
    journal_lines = [
        json.loads(line)
        for path in (out / "training").rglob("health_journal_*.jsonl")
        for line in path.read_text().splitlines()
    ]
    assert _stable(journal_lines) == _stable(examples)
    # Every window's current example is built from the newest version of every record that
    # touches it, computed here from the raw exports.
    by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for export in exports:
        by_type[export.record_type].extend(read_avro(export.data))
    registry = load_plugins(disabled=settings.disabled_plugins)
    revised = 0
    for example in examples:
        meta = example["metadata"]
        record_type, window = meta["record_type"], meta["window"]
        spec = registry.specs.get(record_type)
        fields = spec.time_fields if spec else _time_fields(by_type[record_type][0])
        rule = _rule(registry, record_type, window["rule"], spec)
        expected = build_window(
            record_type,
            rule,
            date.fromisoformat(window["first_day"]),
            by_type[record_type],
            time_fields=fields,
            user=UserContext(timezone=ZONE),
        )
        assert meta["record_count"] == len(expected.records)
        assert meta["content_fingerprint"] == record_set_fingerprint(expected)
        revised += meta["revision"] > 1
    assert revised >= 10
    # The CGM backfill completed day 11: its window holds all 288 readings of that local day.
    day11 = (DEFAULT_START + timedelta(days=BACKFILL_DAY)).isoformat()
    (backfilled,) = {
        (e["metadata"]["record_count"], e["metadata"]["revision"])
        for e in examples
        if e["metadata"]["record_type"] == "BloodGlucoseRecord"
        and e["metadata"]["window"]["key"] == f"day:{day11}"
    }
    assert backfilled[0] == 288 and backfilled[1] > 1
    # Earlier revisions stay for audit beside the current one.
    revisions = list((out / "training").rglob("r*.jsonl"))
    assert len(revisions) > len({p.parent for p in revisions})


def _time_fields(record: dict[str, Any]) -> tuple[str, ...]:
    if "timeEpochMillis" in record:
        return ("timeEpochMillis",)
    return ("startTimeEpochMillis", "endTimeEpochMillis")


def _rule(registry: Any, record_type: str, name: str, spec: Any) -> WindowRule:
    plan = registry.window_plan.get(record_type)
    if plan is not None:
        rule = plan.rule(name)
        assert rule is not None
        return rule
    assert name == "day"
    return WindowRule.day()


def test_a_record_without_an_id_is_the_same_record_in_every_file(tmp_path: Path) -> None:
    records = temperature_records(3)
    for record in records:
        record["metadata"]["id"] = ""
    folder = tmp_path / "in"
    folder.mkdir()
    # b fetched them later; c is another copy of a's fetch (other bytes: another sync marker).
    for name, fetch in (("a", 1), ("b", 2), ("c", 1)):
        stamped = [{**r, "appRecordFetchTimeEpochMillis": BASE_MS + fetch} for r in records]
        data = write_avro(SCHEMA, stamped, sync_marker=name.encode() * 16)
        (folder / f"BodyTemperatureRecord_{name}.avro").write_bytes(data)
    settings = Settings(_env_file=None, pseudonym_key="k")  # type: ignore[call-arg]
    report = _run(folder, tmp_path / "out", settings)
    statuses = [o.status.value for o in sorted(report.outcomes, key=lambda o: o.key)]
    assert statuses == ["processed", "processed", "duplicate_content"]
    (example,) = training_examples(tmp_path / "out")
    assert example["metadata"]["record_count"] == 3


def test_a_file_spanning_more_days_than_allowed_is_quarantined_with_its_reason(
    tmp_path: Path,
) -> None:
    records = [
        {**record, "timeEpochMillis": BASE_MS - i * 86_400_000}
        for i, record in enumerate(temperature_records(30, tag="long"))
    ]
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "BodyTemperatureRecord_long.avro").write_bytes(write_avro(SCHEMA, records))
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, pseudonym_key="k", max_window_days_per_file=20
    )
    report = _run(folder, tmp_path / "out", settings)
    (outcome,) = report.outcomes
    assert outcome.status.value == "quarantined"
    assert "span 30 local days" in outcome.message
    metadata = json.loads(
        (tmp_path / "out" / f"{outcome.quarantine_key}.metadata.json").read_text()
    )
    assert any("ETL_MAX_WINDOW_DAYS_PER_FILE" in reason for reason in metadata["reasons"])
    assert training_examples(tmp_path / "out") == []


def test_a_record_id_the_history_cannot_index_is_left_out_with_a_finding(tmp_path: Path) -> None:
    records = temperature_records(4, tag="ids")
    records[0]["metadata"]["id"] = "x" * 300
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "BodyTemperatureRecord_ids.avro").write_bytes(write_avro(SCHEMA, records))
    settings = Settings(_env_file=None, pseudonym_key="k")  # type: ignore[call-arg]
    report = _run(folder, tmp_path / "out", settings)
    (outcome,) = report.outcomes
    assert outcome.status.value == "processed"
    assert "record_id_too_long" in outcome.finding_codes
    (example,) = training_examples(tmp_path / "out")
    assert example["metadata"]["record_count"] == 3


def test_an_input_whose_person_is_being_built_elsewhere_leaves_its_windows_to_that_builder(
    tmp_path: Path,
) -> None:
    settings = Settings(_env_file=None, pseudonym_key="k")  # type: ignore[call-arg]
    history = SqlHistoryStore.sqlite_file(tmp_path / "history.sqlite")
    dedup = SqlDedupStore.sqlite_file(tmp_path / "dedup.sqlite")
    pipeline = Pipeline(
        load_plugins(disabled=settings.disabled_plugins),
        LocalObjectStore(tmp_path / "out"),
        dedup,
        settings,
        history=history,
    )
    person = pipeline.pseudonym("person")
    data = temperature_file(temperature_records(6, start_ms=BASE_MS, tag="held"))
    try:
        with history.rebuild_turn(person) as held:
            assert held
            outcome = pipeline.run(
                Job(data=data, bucket="local", key="BodyTemperatureRecord_1.avro", user_id="person")
            )
            assert outcome.status is Status.PROCESSED
            assert outcome.windows == [] and outcome.examples == []
            waiting = history.pending(person)
            assert waiting, "the windows wait for the builder that holds the turn"
        # The holder, done with its own windows, finds these pending and builds them.
        built = pipeline.rebuild_windows("person", UserContext(), "holder")
        assert {b.ref for b in built} == {w.ref for w in waiting}
        assert {b.status for b in built} == {"published"}
        assert history.pending(person) == []
        assert training_examples(tmp_path / "out")
    finally:
        history.close()
        dedup.close()


def test_record_set_fingerprint_is_the_digest_of_the_sorted_identities() -> None:
    """The fingerprint an example's metadata carries is the SHA-256 of every record's
    ``key\\x1fmodified\\x1e``, sorted: whatever the records' order, and whether a record has a
    Health Connect id (else its content surrogate) and an integer modification time (else 0)."""
    import hashlib
    from types import MappingProxyType

    records: list[Any] = [
        {"metadata": {"id": "b", "lastModifiedTimeEpochMillis": 20}, "time": 2},
        {"metadata": {"id": "a", "lastModifiedTimeEpochMillis": 30}, "time": 1},
        {"metadata": {"id": "c", "lastModifiedTimeEpochMillis": True}, "time": 3},
        {"metadata": {"id": "", "lastModifiedTimeEpochMillis": 5}, "time": 4},
        {"time": 5, "value": 1.5},
        MappingProxyType({"metadata": {"id": "d", "lastModifiedTimeEpochMillis": 7}, "time": 6}),
    ]
    text = ""
    surrogate_empty = (
        "sha256:"
        + hashlib.sha256(
            json.dumps(
                {"metadata": {"id": "", "lastModifiedTimeEpochMillis": 5}, "time": 4},
                sort_keys=True,
                separators=(",", ":"),
            ).encode()
        ).hexdigest()
    )
    surrogate_bare = "sha256:" + hashlib.sha256(b'{"time":5,"value":1.5}').hexdigest()
    pairs = sorted(
        [("a", 30), ("b", 20), ("c", 0), (surrogate_empty, 5), (surrogate_bare, 0), ("d", 7)]
    )
    for key, modified in pairs:
        text += f"{key}\x1f{modified}\x1e"
    expected = hashlib.sha256(text.encode()).hexdigest()
    rule = WindowRule.day()

    def window(of: list[Any]) -> Any:
        from etl_core.contract.windows import Window

        return Window("TemperatureRecord", rule, date(2025, 1, 1), records=of)

    assert record_set_fingerprint(window(records)) == expected
    assert record_set_fingerprint(window(records[::-1])) == expected
    newer = [{"metadata": {"id": "a", "lastModifiedTimeEpochMillis": 31}, "time": 1}]
    assert record_set_fingerprint(window(newer + records[:1] + records[2:])) != expected


def test_a_window_that_failed_is_built_by_the_next_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failed window is not settled: the next ``etl run`` into the same output builds it
    again, so once the plugin is fixed its examples appear (and while it is still broken, the
    failure is reported again instead of the window passing for done)."""
    import importlib.metadata

    from etl_core.engine.registry import ENTRY_POINT_GROUP
    from tests.support import flaky_window_plugin

    entry = importlib.metadata.EntryPoint(
        name="flaky", value="tests.support.flaky_window_plugin", group=ENTRY_POINT_GROUP
    )
    source = tmp_path / "BodyTemperatureRecord_1.avro"
    source.write_bytes(temperature_file(temperature_records(12)))
    out = tmp_path / "out"

    def run() -> Any:
        settings = Settings(_env_file=None, pseudonym_key="k")  # type: ignore[call-arg]
        return run_embedded(
            [InputFile(source, source.name)],
            out,
            registry=load_plugins(entry_points=[entry]),
            settings=settings,
            user_id="person",
            user=UserContext(),
        )

    monkeypatch.setattr(flaky_window_plugin, "BROKEN", True)
    first = run()
    assert [w.status for w in first.windows] == ["failed"]
    again = run()  # the file is done; the window is not
    assert [o.status for o in again.outcomes] == [Status.DUPLICATE_FILE]
    assert [w.status for w in again.windows] == ["failed"]
    assert training_examples(out) == []
    monkeypatch.setattr(flaky_window_plugin, "BROKEN", False)
    fixed = run()
    assert [w.status for w in fixed.windows] == ["published"]
    [example] = training_examples(out)
    assert "12 temperature readings." in json.dumps(example)
    assert [w.status for w in run().windows] == []  # built: nothing left to retry
