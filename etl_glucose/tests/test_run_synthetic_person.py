"""The synthetic person's six weeks through ``etl run`` in two halves (two runs into one output
folder, all record types, one person): after each run the journals hold exactly one current
example set per glucose window, equal to what the hooks return for the window built from every
record the runs so far brought, in the person's offset inferred from their other records."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from glucose_run_reference import assert_journals_match_hooks, hook_results, person_zone

from etl_core.testing import run_etl, synthetic_person
from etl_core.testing.person import BACKFILL_DAY, DEFAULT_START

DAYS = 42


@pytest.mark.slow
def test_two_runs_over_the_two_halves_give_one_current_example_set_per_window(
    tmp_path: Path,
) -> None:
    exports = synthetic_person(DAYS)  # in fetch order
    half = len(exports) // 2
    halves = (exports[:half], exports[half:])
    assert any(e.name.endswith("_backfill.avro") for e in halves[1])
    out = tmp_path / "out"
    for number, part in enumerate(halves):
        folder = tmp_path / f"half{number}"
        folder.mkdir()
        for export in part:
            (folder / export.name).write_bytes(export.data)
        run_etl([folder], out, "--user-id", "person-42")
        so_far = exports[: half * (number + 1)] if number == 0 else exports
        expected = hook_results(so_far, person_zone(so_far))
        by_window = assert_journals_match_hooks(out, expected)
        shutil.rmtree(folder)

    # every local day and every report window of the six weeks, read in -05:00
    assert len(by_window) == DAYS + 7
    for examples in by_window.values():
        assert {e["metadata"]["clock"] for e in examples} == {
            "inferred from the person's other records"
        }
        assert {
            o for e in examples for o in e["metadata"]["clinical_insights"]["clock"]["offsets"]
        } == {"-05:00"}
    # the late backfill (second half) revised day 11 of the first half: all 288 readings
    day11 = f"day:{DEFAULT_START + timedelta(days=BACKFILL_DAY)}"
    [revision] = {e["metadata"]["revision"] for e in by_window[day11]}
    assert revision > 1
    assert by_window[day11][0]["metadata"]["clinical_insights"]["readings"] == 288
