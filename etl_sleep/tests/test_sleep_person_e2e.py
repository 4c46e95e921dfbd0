"""The synthetic person through ``etl run`` in two runs into one output folder: the journals
hold exactly one current example set per night and week window, equal to what the hook
returns for that window built from all of the person's records."""

from __future__ import annotations

from pathlib import Path

import pytest
from sleep_run_output import (
    assert_one_current_set_per_window,
    assert_written_as_the_hook_returns,
    revisions_on_disk,
)

from etl_core import ProcessResult, RecordTypeSpec, Window
from etl_core.testing import SyntheticExport, run_etl, windows_from_exports
from etl_sleep import plugin
from etl_sleep.windows_process import NIGHT_RULE, WEEK_RULE

SETTINGS = ("ETL_SLEEP_SOURCE_PRIORITY", "ETL_SLEEP_MIN_NIGHT_MINUTES")


def write_exports(folder: Path, exports: list[SyntheticExport]) -> Path:
    folder.mkdir()
    for export in exports:
        (folder / export.name).write_bytes(export.data)
    return folder


def hook_results(
    windows: list[Window], spec: RecordTypeSpec
) -> dict[str, tuple[Window, ProcessResult]]:
    """What the hook returns for each window, by key; windows without sleep of their own (a
    night that only sees the end of the one before) return nothing and write nothing."""
    found = {}
    for window in windows:
        result = plugin.etl_process_window(window, spec)
        if result is not None:
            found[window.key] = (window, result)
    return found


def assert_current_is_what_the_hook_returns(
    out: Path, expected: dict[str, tuple[Window, ProcessResult]], spec: RecordTypeSpec
) -> dict[str, int]:
    """The journals hold one current example set per window, each the hook's result for that
    window; returns each window's current revision."""
    current = assert_one_current_set_per_window(out)
    assert set(current) == set(expected)
    revisions = revisions_on_disk(out)
    for key, (window, result) in expected.items():
        assert_written_as_the_hook_returns(
            revisions[key][max(revisions[key])], window, result, spec
        )
    return {key: max(found) for key, found in revisions.items()}


@pytest.mark.slow
def test_two_runs_of_the_person_s_halves_leave_one_current_set_per_window(
    tmp_path: Path,
    person: list[SyntheticExport],
    night_windows: list[Window],
    week_windows: list[Window],
    spec: RecordTypeSpec,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    defaults = dict.fromkeys(SETTINGS, "")  # empty text reads as unset
    # The sleep exports in the order the phone uploaded them, split in two halves. The
    # person's sessions carry their own offsets, so the other record types change no sleep
    # window; they are left out to keep the two runs short.
    exports = sorted(
        (e for e in person if e.record_type == "SleepSessionRecord"), key=lambda e: e.fetched_at
    )
    assert len(exports) == 41
    first_half, second_half = exports[: len(exports) // 2], exports[len(exports) // 2 :]
    out = tmp_path / "out"

    run_etl([write_exports(tmp_path / "first", first_half)], out, env=defaults)
    first_windows = [
        window
        for rule in (NIGHT_RULE, WEEK_RULE)
        for window in windows_from_exports(spec, rule, first_half)
    ]
    after_first = assert_current_is_what_the_hook_returns(
        out, hook_results(first_windows, spec), spec
    )

    run_etl([write_exports(tmp_path / "second", second_half)], out, env=defaults)
    expected = hook_results([*night_windows, *week_windows], spec)
    assert len(expected) == 45  # 39 nights and 6 weeks
    after_second = assert_current_is_what_the_hook_returns(out, expected, spec)

    # The halves meet inside windows: the last night of the first half was uploaded while it
    # was still running and completes in the second, and its week gains nights. Every window
    # the second half changed has a newer revision; the earlier ones stay for audit.
    before = hook_results(first_windows, spec)
    changed = {key for key in before if before[key][1] != expected[key][1]}
    assert {"night:2025-06-21", "week:2025-06-16"} <= changed
    revisions = revisions_on_disk(out)
    for key in changed:
        assert after_second[key] > after_first[key], key
        assert after_first[key] in revisions[key], key
