"""The synthetic person's activity exports through ``etl run`` in two halves, into one output
folder: the second run revises what the first saw in progress, and the journals end with one
current example set per window, what the hooks return for the window built from every
record of both halves."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from activity_runs import (
    RunOutput,
    assert_one_current_set_per_window,
    by_window,
    expected_results,
    read_run,
)
from activity_window_reference import newest_per_id, reference_days

from etl_activity.measures import MEASURES
from etl_activity.specs import SPECS
from etl_core.testing import SyntheticExport, records_of, run_etl, synthetic_person

AGE = 45
VOLATILE = ("processed_at", "correlation_id", "revision")


def _write(exports: list[SyntheticExport], folder: Path) -> Path:
    folder.mkdir()
    for export in exports:
        (folder / export.name).write_bytes(export.data)
    return folder


def _stable(run: RunOutput) -> list[tuple[str, str, str, str, str]]:
    """The examples without what says when and how they were built."""
    found = []
    for example in run.current:
        meta = {k: v for k, v in example["metadata"].items() if k not in VOLATILE}
        found.append(
            (
                meta["record_type"],
                meta["window"]["key"],
                example["instruction"],
                example["output"],
                repr(sorted(meta.items())) + example["input"],
            )
        )
    return sorted(found)


def _insights(examples: list[dict[str, Any]]) -> dict[str, Any]:
    """The insights every example of one window revision shares."""
    (shared,) = {json.dumps(e["metadata"]["clinical_insights"], sort_keys=True) for e in examples}
    return dict(json.loads(shared))


def test_two_runs_over_the_person_s_halves_keep_one_current_example_set_per_window(
    tmp_path: Path,
) -> None:
    exports = [e for e in synthetic_person(42) if e.record_type in SPECS]
    cut = exports[0].fetched_at + timedelta(days=21)
    first = [e for e in exports if e.fetched_at < cut]
    second = [e for e in exports if e.fetched_at >= cut]
    assert len(first) == len(second) == 42
    out = tmp_path / "out"
    run_etl([_write(first, tmp_path / "first")], out, "--age", str(AGE))
    run_etl([_write(second, tmp_path / "second")], out, "--age", str(AGE))
    run = read_run(out)

    expected = expected_results(exports, AGE)
    assert_one_current_set_per_window(run, expected)
    # The windows are the local days of the raw records and their ISO weeks: 42 days of steps
    # in 6 weeks; the ring records no active energy every ninth day.
    for record_type, measure in MEASURES.items():
        records = newest_per_id([dict(r) for r in records_of(record_type, exports)])
        days = reference_days(records, measure.value_field)
        mondays = {day - timedelta(days=day.weekday()) for day in days}
        assert {key for kind, key in expected if kind == record_type} == {
            f"day:{day}" for day in days
        } | {f"week:{monday}" for monday in mondays}
    counts = Counter(kind for kind, _ in expected)
    assert counts == {"StepsRecord": 42 + 6, "ActiveCaloriesBurnedRecord": 42 - 4 + 6}

    # The last sync of the first half caught its own day running; the second half's first sync
    # completed it: the window was revised, its earlier revision stays for audit, and the
    # current one is the complete day, as is the week holding it.
    running_day = (cut - timedelta(days=1)).date()
    assert running_day == date(2025, 6, 23)
    windows = by_window(run.current)
    for record_type in SPECS:
        revisions = run.revisions[(record_type, f"day:{running_day}")]
        assert len(revisions) >= 2
        assert _insights(revisions[min(revisions)])["partial"] is True
        assert _insights(windows[(record_type, f"day:{running_day}")])["partial"] is False
        monday = running_day - timedelta(days=running_day.weekday())
        week = _insights(windows[(record_type, f"week:{monday}")])
        assert str(running_day) not in week["partial_dates"]
    revised = [key for key, found in run.revisions.items() if len(found) > 1]
    assert len(revised) >= 4

    # The same files in one run give the same examples, up to when and in which revision.
    once = tmp_path / "once"
    run_etl([_write(exports, tmp_path / "all")], once, "--age", str(AGE))
    assert _stable(read_run(once)) == _stable(run)
