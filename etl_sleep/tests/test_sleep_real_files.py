"""The real Health Connect exports, directly (the per-file analysis) and through ``etl run``
(the person's history and its night and week windows).

Expected values are computed here from the raw stages with plain sums, and by the window
reference (``sleep_window_reference``), not taken from the plugin. The real stage lists are
tidy (sorted, touching, inside their session), which the reference checks first, so plain
sums are the textbook definitions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sleep_run_output import (
    assert_grounded,
    assert_one_current_set_per_window,
    assert_written_as_the_hook_returns,
    current_by_window,
    revisions_on_disk,
)
from sleep_window_reference import expected_night, expected_week, night_of, periods_of

from etl_core import RecordTypeSpec, UserContext, Window
from etl_core.contract.figures import unsupported_figures
from etl_core.testing import read_avro, real_samples, run_etl, windows_from_exports
from etl_sleep import plugin
from etl_sleep.analysis import analyse
from etl_sleep.settings import SleepConfig
from etl_sleep.source_rule import parse_source_rule
from etl_sleep.windows_process import RULES

FILES = real_samples("SleepSessionRecord")
pytestmark = pytest.mark.skipif(len(FILES) != 5, reason="the 5 real sleep exports are needed")

SLEEP = {"LIGHT", "DEEP", "REM", "SLEEPING"}
WAKE = {"AWAKE", "OUT_OF_BED"}
PHONE = "com.sec.android.app.shealth"
RING = "com.ouraring.oura"
SAME_SNAPSHOT = ("1758407139312", "1758407245091", "1758407386729")


def file_named(fetch: str) -> Path:
    return next(f for f in FILES if fetch in f.name)


def plain_sums(record: Mapping[str, Any]) -> dict[str, Any]:
    """The session's figures in unrounded minutes, by plain sums over its stages."""
    start, end = record["startTimeEpochMillis"], record["endTimeEpochMillis"]
    stages = sorted(record["stages"], key=lambda s: s["startTimeEpochMillis"])
    previous_end = start
    for stage in stages:  # the precondition for plain sums
        assert previous_end <= stage["startTimeEpochMillis"] < stage["endTimeEpochMillis"] <= end
        previous_end = stage["endTimeEpochMillis"]

    def minutes_of(kinds: set[str], lo: int = start, hi: int = end) -> float:
        return sum(  # type: ignore[no-any-return]
            (s["endTimeEpochMillis"] - s["startTimeEpochMillis"]) / 60_000
            for s in stages
            if s["stage"] in kinds
            and lo <= s["startTimeEpochMillis"]
            and s["endTimeEpochMillis"] <= hi
        )

    sleep = [s for s in stages if s["stage"] in SLEEP]
    onset = sleep[0]["startTimeEpochMillis"]
    final = sleep[-1]["endTimeEpochMillis"]
    return {
        "start": local_time(start, record["startZoneOffsetId"]),
        "end": local_time(end, record["endZoneOffsetId"]),
        "source": record["metadata"]["dataOriginPackageName"],
        "tib": (end - start) / 60_000,
        "tst": minutes_of(SLEEP),
        # the real Samsung sessions start with a sleep stage: latency not recorded, not 0
        "latency": (onset - start) / 60_000 if onset > start else None,
        "waso": minutes_of(WAKE, onset, final),
        "awake": minutes_of(WAKE),
        "architecture": minutes_of({"LIGHT", "DEEP", "REM"}),
        "light": minutes_of({"LIGHT"}),
        "deep": minutes_of({"DEEP"}),
        "rem": minutes_of({"REM"}),
        "covered": sum(
            (s["endTimeEpochMillis"] - s["startTimeEpochMillis"]) / 60_000 for s in stages
        ),
    }


def local_time(epoch_ms: int, offset: str) -> datetime:
    sign = -1 if offset.startswith("-") else 1
    zone = timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6])))
    return datetime.fromtimestamp(epoch_ms / 1000, tz=UTC).astimezone(zone)


def expected_figures(record: Mapping[str, Any]) -> dict[str, Any]:
    """The per-file analysis' figures: tenths of a minute and of a percent."""
    sums = plain_sums(record)
    latency = sums["latency"]
    return {
        "date": sums["end"].date().isoformat(),
        "source": sums["source"],
        "time_in_bed_min": round(sums["tib"], 1),
        "total_sleep_min": round(sums["tst"], 1),
        "efficiency_percent": round(100 * sums["tst"] / sums["tib"], 1),
        "latency_min": None if latency is None else round(latency, 1),
        "waso_min": round(sums["waso"], 1),
        "awake_min": round(sums["awake"], 1),
        "light_percent": round(100 * sums["light"] / sums["architecture"], 1),
        "deep_percent": round(100 * sums["deep"] / sums["architecture"], 1),
        "rem_percent": round(100 * sums["rem"] / sums["architecture"], 1),
        "_covered_min": sums["covered"],
    }


def expected_window_night(record: Mapping[str, Any]) -> dict[str, Any]:
    """A night window's row for the session: whole minutes and percents, clock times
    truncated to the minute, the night named by its evening (noon to noon)."""
    sums = plain_sums(record)
    latency = sums["latency"]
    return {
        "night_of": (sums["start"] - timedelta(hours=12)).date().isoformat(),
        "source": sums["source"],
        "bedtime": sums["start"].strftime("%H:%M"),
        "out_of_bed": sums["end"].strftime("%H:%M"),
        "time_in_bed_min": round(sums["tib"]),
        "has_sleep_stages": True,
        "total_sleep_min": round(sums["tst"]),
        "total_sleep_h": round(sums["tst"] / 60, 1),
        "efficiency_percent": round(100 * sums["tst"] / sums["tib"]),
        "latency_min": None if latency is None else round(latency),
        "latency_recorded": latency is not None,
        "waso_min": round(sums["waso"]),
        "light_percent": round(100 * sums["light"] / sums["architecture"]),
        "deep_percent": round(100 * sums["deep"] / sums["architecture"]),
        "rem_percent": round(100 * sums["rem"] / sums["architecture"]),
    }


def assert_night_matches(night: Mapping[str, Any], record: Mapping[str, Any]) -> None:
    for key, value in expected_figures(record).items():
        if not key.startswith("_"):
            assert night[key] == value, key


def analysed(path: Path) -> dict[str, Any]:
    result = analyse(read_avro(path), UserContext(), parse_source_rule(None), 180)
    assert unsupported_figures(result.narrative, result.insights) == []
    return result.insights


def test_phone_and_ring_on_the_same_night_are_one_night() -> None:
    records = read_avro(file_named(SAME_SNAPSHOT[0]))
    assert {r["metadata"]["dataOriginPackageName"] for r in records} == {PHONE, RING}
    insights = analysed(file_named(SAME_SNAPSHOT[0]))
    assert insights["night_count"] == 1 and insights["nap_count"] == 0
    night = insights["nights"][0]
    # the default rule by hand: staged sessions, then the most time covered by stages
    figures = {r["metadata"]["dataOriginPackageName"]: expected_figures(r) for r in records}
    primary = max(figures, key=lambda source: figures[source]["_covered_min"])
    assert primary == PHONE
    assert_night_matches(
        night, next(r for r in records if r["metadata"]["dataOriginPackageName"] == primary)
    )
    (other,) = night["corroboration"]
    assert other["source"] == RING
    assert other["total_sleep_min"] == figures[RING]["total_sleep_min"]
    assert other["total_sleep_difference_min"] == round(
        abs(figures[RING]["total_sleep_min"] - figures[PHONE]["total_sleep_min"]), 1
    )


def test_single_phone_night() -> None:
    (record,) = read_avro(file_named("1758494067274"))
    insights = analysed(file_named("1758494067274"))
    assert insights["night_count"] == 1 and insights["nap_count"] == 0
    assert_night_matches(insights["nights"][0], record)


def test_evening_nap_plus_night() -> None:
    records = read_avro(file_named("1758554834823"))
    insights = analysed(file_named("1758554834823"))
    assert insights["night_count"] == 1 and insights["nap_count"] == 1
    by_length = sorted(records, key=lambda r: r["endTimeEpochMillis"] - r["startTimeEpochMillis"])
    nap_record, night_record = by_length
    assert_night_matches(insights["nights"][0], night_record)
    nap = insights["naps"][0]
    nap_expected = expected_figures(nap_record)
    assert nap["time_in_bed_min"] == nap_expected["time_in_bed_min"]
    assert nap["total_sleep_min"] == nap_expected["total_sleep_min"]


# -- through ``etl run``: the person's history and calendar windows --------------------------------

DEFAULTS = {"ETL_SLEEP_SOURCE_PRIORITY": "", "ETL_SLEEP_MIN_NIGHT_MINUTES": ""}
"""The plugin's settings left to their defaults in the run (empty text reads as unset)."""
CONFIGURATION = {"targets", "primary_source_rule", "night_rule"}
"""Insights that restate the configuration rather than the data (checked on their own)."""
REAL_WINDOWS = {"night:2025-09-19", "night:2025-09-20", "night:2025-09-21", "week:2025-09-15"}


def distinct_records(files: list[Path]) -> list[dict[str, Any]]:
    """Every distinct session of the files, newest version of each ``metadata.id``."""
    chosen: dict[str, dict[str, Any]] = {}
    for path in files:
        for record in read_avro(path):
            held = chosen.get(record["metadata"]["id"])
            stamp = record["metadata"]["lastModifiedTimeEpochMillis"]
            if held is None or stamp > held["metadata"]["lastModifiedTimeEpochMillis"]:
                chosen[record["metadata"]["id"]] = record
    return list(chosen.values())


def ids_in(path: Path) -> set[str]:
    return {r["metadata"]["id"] for r in read_avro(path)}


def windows_of(files: list[Path], spec: RecordTypeSpec, user: UserContext) -> dict[str, Window]:
    """The night and week windows core builds from the files' records, by key."""
    return {
        window.key: window
        for rule in RULES
        for window in windows_from_exports(spec, rule, files, user=user)
    }


def assert_window_night(row: Mapping[str, Any], record: Mapping[str, Any]) -> None:
    for key, value in expected_window_night(record).items():
        assert row[key] == value, key


@pytest.fixture
def default_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """The hooks called in this process read the same settings as the run."""
    for name in DEFAULTS:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def etl_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("etl-out")
    run_etl(FILES, out, env=DEFAULTS)
    return out


def test_etl_run_gives_one_current_example_set_per_window_from_every_record(
    etl_output: Path, spec: RecordTypeSpec, default_settings: None
) -> None:
    """Five overlapping files (three identical snapshots of the phone-and-ring night): each
    night and the week has one current example set, built once from every distinct record
    of it, exactly as the hook returns it for that window."""
    records = distinct_records(FILES)
    assert sum(len(read_avro(path)) for path in FILES) == 9 and len(records) == 5
    snapshot = [ids_in(file_named(fetch)) for fetch in SAME_SNAPSHOT]
    assert snapshot[0] == snapshot[1] == snapshot[2] and len(snapshot[0]) == 2
    current = assert_one_current_set_per_window(etl_output)
    # the windows the raw records make: each sleep period's night (by the reference's noon-
    # to-noon rule) and the ISO week of those nights
    nights = {night_of(period.first) for period in periods_of(records)}
    weeks = {night - timedelta(days=night.weekday()) for night in nights}
    assert set(current) == {f"night:{n}" for n in nights} | {f"week:{w}" for w in weeks}
    assert set(current) == REAL_WINDOWS
    # one run rebuilds each window once, after its last file: one revision each
    revisions = revisions_on_disk(etl_output)
    assert all(len(published) == 1 for published in revisions.values()), revisions.keys()
    windows = windows_of(FILES, spec, UserContext())
    assert set(windows) == set(current)
    for key, window in windows.items():
        result = plugin.etl_process_window(window, spec)
        assert result is not None, key
        ((_, lines),) = revisions[key].items()
        assert_written_as_the_hook_returns(lines, window, result, spec)
    # the three snapshots are one record set: their night holds their two sessions once
    snapshot_night = current["night:2025-09-19"]
    assert {r["metadata"]["id"] for r in windows["night:2025-09-19"].records} == snapshot[0]
    assert {e["metadata"]["record_count"] for e in snapshot_night} == {2}
    assert {e["metadata"]["clinical_insights"]["sessions"] for e in snapshot_night} == {2}
    # the week holds every distinct record once: five, not the nine the files carry
    assert {e["metadata"]["record_count"] for e in current["week:2025-09-15"]} == {5}
    for examples in current.values():
        for example in examples:
            meta = example["metadata"]
            assert meta["record_type"] == "SleepSessionRecord"
            assert meta["processor"].startswith("sleep ")
            assert example["input"] and example["instruction"] and example["output"]
            assert_grounded(example, spec)


def test_etl_run_nights_match_the_raw_stages(etl_output: Path) -> None:
    """Every insight of every window equals the reference's value from the raw records, and
    each night's figures equal the plain sums over its primary session's stages."""
    records = distinct_records(FILES)
    current = current_by_window(etl_output)
    assert set(current) == REAL_WINDOWS
    insights = {
        key: examples[0]["metadata"]["clinical_insights"] for key, examples in current.items()
    }
    for key, found in insights.items():
        first_day = date.fromisoformat(key.split(":", 1)[1])
        expected = (
            expected_week(records, first_day)
            if key.startswith("week:")
            else expected_night(records, first_day)
        )
        assert expected is not None, key
        assert set(found) == set(expected) | CONFIGURATION, key
        for name, value in expected.items():
            assert found[name] == value, f"{key}: {name}"
        assert found["timezone"] == "-05:00 (record offsets)"
        assert found["primary_source_rule"]["configured_by"] == "default"
        assert {e["metadata"]["clock"] for e in current[key]} == {"record offsets"}
    by_night: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_night.setdefault(expected_window_night(record)["night_of"], []).append(record)
    assert {f"night:{night}" for night in by_night} == REAL_WINDOWS - {"week:2025-09-15"}
    week = insights["week:2025-09-15"]
    for night, night_records in by_night.items():
        found = insights[f"night:{night}"]
        assert {e["metadata"]["record_count"] for e in current[f"night:{night}"]} == {
            len(night_records)
        }
        sources = {r["metadata"]["dataOriginPackageName"] for r in night_records}
        if sources == {PHONE, RING}:
            # one night, never two: the default rule by hand picks the session with the most
            # time covered by stages, the other corroborates
            figures = {r["metadata"]["dataOriginPackageName"]: plain_sums(r) for r in night_records}
            primary = max(figures, key=lambda source: figures[source]["covered"])
            assert primary == PHONE
            assert found["nap_count"] == 0
            main = next(r for r in night_records if r["metadata"]["dataOriginPackageName"] == PHONE)
            (other,) = found["night"]["corroboration"]
            ring_tst, phone_tst = round(figures[RING]["tst"]), round(figures[PHONE]["tst"])
            assert other["source"] == RING and other["total_sleep_min"] == ring_tst
            assert other["total_sleep_difference_min"] == abs(ring_tst - phone_tst)
        elif len(night_records) == 2:
            # an evening nap and the night: the night is the long session, the nap apart
            nap_record, main = sorted(
                night_records, key=lambda r: r["endTimeEpochMillis"] - r["startTimeEpochMillis"]
            )
            assert found["nap_count"] == 1
            (nap,) = found["naps"]
            nap_sums = plain_sums(nap_record)
            assert nap["time_in_bed_min"] == round(nap_sums["tib"])
            assert nap["total_sleep_min"] == round(nap_sums["tst"])
            assert nap in week["naps"]
        else:
            (main,) = night_records
            assert found["nap_count"] == 0 and found["night"]["corroboration"] == []
        assert_window_night(found["night"], main)
        assert found["night"] in week["nights"]
    assert week["nights_recorded"] == 3 and len(week["nights"]) == 3
    assert week["nap_count"] == 1 and week["corroborated_nights"] == 1


def test_etl_run_honours_the_source_priority_and_age(
    tmp_path: Path, spec: RecordTypeSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ring made primary by ETL_SLEEP_SOURCE_PRIORITY and --age 70 reach every window:
    the night's figures are the ring's, the phone corroborates, the NSF range is 7-8 h."""
    path = file_named(SAME_SNAPSHOT[0])
    run_etl([path], tmp_path, "--age", "70", env={**DEFAULTS, "ETL_SLEEP_SOURCE_PRIORITY": RING})
    current = assert_one_current_set_per_window(tmp_path)
    assert set(current) == {"night:2025-09-19", "week:2025-09-15"}
    ring = next(r for r in read_avro(path) if r["metadata"]["dataOriginPackageName"] == RING)
    for key, examples in current.items():
        insights = examples[0]["metadata"]["clinical_insights"]
        night = insights["night"] if key.startswith("night:") else insights["nights"][0]
        assert_window_night(night, ring)
        assert [c["source"] for c in night["corroboration"]] == [PHONE]
        assert insights["primary_source_rule"]["terms"] == [RING]
        assert insights["primary_source_rule"]["configured_by"] == "ETL_SLEEP_SOURCE_PRIORITY"
        assert insights["age_years"] == 70 and insights["adult_targets_apply"] is True
        assert insights["nsf_recommended_h"] == "7-8"
        assert "NSF range for age 70: 7-8 h" in examples[0]["input"]
        for example in examples:
            assert_grounded(example, spec)
            assert not re.search(r"\b1 nights\b", example["output"]), example["output"]
    summary = next(
        e
        for e in current["night:2025-09-19"]
        if e["metadata"]["example_kind"] == "clinician_summary"
    )
    assert "7-8 h" in summary["output"] and "Oura" in summary["output"]
    # the same settings in this process: the hook gives exactly what the run wrote
    monkeypatch.setenv("ETL_SLEEP_SOURCE_PRIORITY", RING)
    monkeypatch.delenv("ETL_SLEEP_MIN_NIGHT_MINUTES", raising=False)
    plugin.etl_configure(SleepConfig())  # as core does at start-up
    revisions = revisions_on_disk(tmp_path)
    for key, window in windows_of([path], spec, UserContext(age_years=70)).items():
        result = plugin.etl_process_window(window, spec)
        assert result is not None, key
        assert_written_as_the_hook_returns(
            revisions[key][max(revisions[key])], window, result, spec
        )
