"""The real exports, crafted Avro files and the synthetic person through ``etl run``: what the
journals hold, window by window, checked against values this test computes itself from the raw
records and against what the plugin's hooks return for the windows built from every record."""

from __future__ import annotations

import json
import math
import re
import statistics
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from heartrate_builders import MIDNIGHT_MS, MINUTE_MS, hr_record, hrv_record, minute_series
from heartrate_e2e_support import (
    Example,
    WindowId,
    assert_examples_are_the_hook_results,
    by_window,
    hook_results,
    journal_lines,
    one_current_set_per_window,
)
from heartrate_reference import MINUTE
from heartrate_window_reference import (
    HeartRateReference,
    HrvReference,
    newest_per_id,
    records_touching,
)
from heartrate_window_support import HR, HRV, Processed, specs

from etl_core import ExampleKind
from etl_core.builtin.training_jsonl import stable_form
from etl_core.contract.figures import ungrounded_figures, unsupported_figures
from etl_core.contract.schemas import load_avsc
from etl_core.testing import SyntheticExport, real_samples, run_etl, write_avro

HR_FILES = real_samples(HR)
HRV_FILES = real_samples(HRV)
SNAPSHOT_FETCHES = ("1758407139312", "1758407245091", "1758407386729")
"""Three exports fetched minutes apart whose record sets are identical, for each type."""
needs_real_files = pytest.mark.skipif(
    len(HR_FILES) != 5 or len(HRV_FILES) != 3, reason="real Health Connect samples not found"
)
CLAIMS = re.compile(
    r"within the (personal )?band|above the (personal )?band|below the (personal )?band|"
    r"notable rise|a sustained rise|higher than|lower than|trend (is|shows)",
    re.IGNORECASE,
)


# -- helpers --------------------------------------------------------------------------------------


def first_day_of(window_key: str) -> date:
    return date.fromisoformat(window_key.split(":", 1)[1])


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def window_span(record_type: str, window_key: str) -> tuple[datetime, datetime]:
    """A window's wall-clock interval: days from midnight, nights and HRV weeks from noon."""
    rule, first = window_key.split(":", 1)[0], first_day_of(window_key)
    start = datetime.combine(first, datetime.min.time())
    if record_type == HRV:
        start += timedelta(hours=12)
    return start, start + timedelta(days=1 if rule in ("day", "night") else 7)


def insights_of(examples: list[Example]) -> dict[str, Any]:
    """The window's insights, the same in each of its examples."""
    insights = examples[0]["metadata"]["clinical_insights"]
    assert all(e["metadata"]["clinical_insights"] == insights for e in examples)
    return insights


def output_of(examples: list[Example], kind: ExampleKind) -> str:
    (found,) = [e["output"] for e in examples if e["metadata"]["example_kind"] == kind.value]
    return found


def local_iso(epoch_ms: int, zone: Any) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, tz=zone).isoformat(timespec="seconds")


def canonical(examples: list[Example]) -> list[str]:
    """Examples as comparable text, without when and in which revision they were built."""
    return sorted(json.dumps(stable_form(e), sort_keys=True) for e in examples)


def assert_grounded(examples: list[Example]) -> None:
    """Every figure an output states is in its input or a reference value, every figure of
    the input and the outputs is an insight (or a reference value), and the instruction is one
    of the kind's phrasings (a question's figures are in the input too)."""
    for example in examples:
        meta = example["metadata"]
        spec = specs()[meta["record_type"]]
        insights = meta["clinical_insights"]
        reference = dict(spec.reference_values)
        output, summary = example["output"], example["input"]
        assert ungrounded_figures(output, summary, reference) == [], output
        assert unsupported_figures(summary, insights) == [], summary
        assert unsupported_figures(output, {**insights, "reference": reference}) == [], output
        assert "record offsets" not in output
        if meta["example_kind"] != ExampleKind.QUESTION.value:
            assert example["instruction"] in spec.instructions_by_kind[meta["example_kind"]]
        else:
            question = example["instruction"]
            assert question.strip() and ungrounded_figures(question, summary, reference) == []


# -- the real exports -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("real")
    run_etl([*HR_FILES, *HRV_FILES], out)
    return out


@pytest.fixture(scope="module")
def real_written(real_run: Path) -> dict[WindowId, list[Example]]:
    return one_current_set_per_window(real_run)


@needs_real_files
def test_overlapping_real_files_give_one_current_example_set_per_window(
    real_written: dict[WindowId, list[Example]],
    real_run: Path,
    real_windows: dict[tuple[str, str], list[Processed]],
    real_records: dict[str, list[dict[str, Any]]],
    tmp_path: Path,
) -> None:
    # The windows are those holding a sample or measurement of the raw records, no other.
    heart = HeartRateReference(newest_per_id(real_records[HR]))
    hrv = HrvReference(newest_per_id(real_records[HRV]))
    expected = {
        *((HR, f"day:{day}") for day in heart.by_day),
        *((HR, f"week:{monday_of(day)}") for day in heart.by_day),
        *((HRV, f"night:{night}") for night in hrv.by_night),
        *((HRV, f"week:{monday_of(night)}") for night in hrv.by_night),
    }
    assert set(real_written) == expected
    assert sorted(expected) == [
        (HR, "day:2025-09-19"),
        (HR, "day:2025-09-20"),
        (HR, "day:2025-09-21"),
        (HR, "day:2025-09-22"),
        (HR, "week:2025-09-15"),
        (HR, "week:2025-09-22"),
        (HRV, "night:2025-09-19"),
        (HRV, "week:2025-09-15"),
    ]
    # Each window is built from every distinct record touching it, whichever file brought it.
    for (record_type, key), examples in real_written.items():
        start, end = window_span(record_type, key)
        touching = records_touching(real_records[record_type], start, end)
        assert {e["metadata"]["record_count"] for e in examples} == {touching}, key
    # ... and its examples are exactly what the hooks say for the window built from them all.
    assert_examples_are_the_hook_results(real_written, hook_results(real_windows))

    # The three identical snapshots of each type add nothing: without two of them the run
    # writes the same examples.
    fewer = [
        path
        for path in [*HR_FILES, *HRV_FILES]
        if not any(fetch in path.name for fetch in SNAPSHOT_FETCHES[1:])
    ]
    assert len(fewer) == 4
    run_etl(fewer, tmp_path / "fewer")
    assert canonical(journal_lines(tmp_path / "fewer")) == canonical(journal_lines(real_run))


@needs_real_files
def test_every_figure_is_grounded_and_an_insight(
    real_written: dict[WindowId, list[Example]],
) -> None:
    examples = [e for items in real_written.values() for e in items]
    assert len(examples) >= 3 * len(real_written)
    assert_grounded(examples)


@needs_real_files
def test_heart_rate_windows_equal_values_computed_from_the_raw_records(
    real_written: dict[WindowId, list[Example]],
    real_records: dict[str, list[dict[str, Any]]],
) -> None:
    reference = HeartRateReference(newest_per_id(real_records[HR]))
    days = {k: e for (t, k), e in real_written.items() if t == HR and k.startswith("day:")}
    assert len(days) == 4
    for key, examples in days.items():
        day = first_day_of(key)
        ins = insights_of(examples)
        want = reference.day(day)
        for field in ("samples", "monitored_minutes", "coverage_percent", "mean_bpm", "min_bpm"):
            assert ins[field] == want[field], (key, field)
        assert ins["max_bpm"] == want["max_bpm"]
        assert ins["resting_bpm"] == want["resting_bpm"], key
        if want["resting_bpm"] is not None:
            assert ins["resting_window_start"][11:16] == want["resting_from"]
            assert ins["resting_window_end"][11:16] == want["resting_to"]
        assert ins["previous_day"]["resting_bpm"] == want["previous_resting_bpm"]
        assert ins["change_from_previous_day_bpm"] == want["change"]
        for name, field in (
            ("tachycardia", "tachycardia_episodes"),
            ("bradycardia", "bradycardia_episodes"),
        ):
            got = [(e["start"], e["end"], e["samples"]) for e in ins[field]]
            zone = want["zone"]
            assert got == [
                (local_iso(start, zone), local_iso(end, zone), count)
                for start, end, count in want[name]
            ], (key, name)
        assert ins["samples_above_tachycardia_threshold"] == want["above_100"]
        assert ins["samples_below_bradycardia_threshold"] == want["below_50"]
        samples = reference.by_day[day]
        assert ins["sources"] == dict(Counter(origin for _t, _b, origin, _d in samples))
        first, last = samples[0], samples[-1]
        assert ins["first_sample"] == local_iso(first[0], reference.zone_of[first[0]])
        assert ins["last_sample"] == local_iso(last[0], reference.zone_of[last[0]])
        assert ins["first_sample"].endswith("-05:00")
        for example in examples:
            assert example["metadata"]["data_start"] == ins["first_sample"]
            assert example["metadata"]["data_end"] == ins["last_sample"]
            assert example["metadata"]["clock"] == "record offsets"
        assert ins["clock"] == {
            "source": "record offsets",
            "offset": None,
            "offsets": ["-05:00"],
            "offset_changes": [],
        }
        assert ins["thresholds"]["resting_window_minutes"] == 30
        # Without an age no zones, and the clinician's summary says why.
        assert ins["zones"] is None and ins["age_years"] is None
        assert ins["zones_unavailable_reason"] == "no age provided"
        assert "zones: none (no age on record)" in examples[0]["input"]
        summary = output_of(examples, ExampleKind.SUMMARY)
        assert re.search(r"\bage\b", summary) and "zones" in summary.lower(), summary

    weeks = {k: e for (t, k), e in real_written.items() if t == HR and k.startswith("week:")}
    assert sorted(weeks) == ["week:2025-09-15", "week:2025-09-22"]
    for key, examples in weeks.items():
        ins = insights_of(examples)
        want = reference.week(first_day_of(key))
        assert [d["resting_bpm"] for d in ins["daily"]] == want["daily"], key
        assert ins["samples"] == sum(
            len(reference.by_day.get(first_day_of(key) + timedelta(days=i), [])) for i in range(7)
        )
        assert ins["days_with_resting"] == want["days_with_resting"]
        assert ins["median_resting_bpm"] == want["median"]
        assert ins["baseline"]["days_with_resting"] == want["baseline_days"] < 14
        assert ins["baseline"]["median_bpm"] is want["baseline"] is None
        assert ins["change_from_baseline_bpm"] is None and not ins["notable_rise"]
        assert ins["previous_week"]["median_resting_bpm"] == want["previous_median"]
        assert ins["change_from_previous_week_bpm"] == want["change_from_previous"]
        summary = output_of(examples, ExampleKind.SUMMARY).lower()
        assert "personal baseline" in summary and "yet" in summary, summary
        for example in examples:
            assert not CLAIMS.search(example["output"]), example["output"]


@needs_real_files
def test_hrv_windows_equal_values_computed_from_the_raw_records(
    real_written: dict[WindowId, list[Example]],
    real_records: dict[str, list[dict[str, Any]]],
) -> None:
    reference = HrvReference(newest_per_id(real_records[HRV]))
    assert list(reference.by_night) == [date(2025, 9, 19)]
    values = reference.by_night[date(2025, 9, 19)]

    night_examples = real_written[(HRV, "night:2025-09-19")]
    ins = insights_of(night_examples)
    assert ins["measurements"] == len(values) == 74
    assert ins["mean_rmssd_ms"] == round(statistics.fmean(values), 1)
    assert ins["median_rmssd_ms"] == round(statistics.median(values), 1)
    assert ins["min_rmssd_ms"] == min(values)
    assert ins["max_rmssd_ms"] == max(values)
    want = reference.night(date(2025, 9, 19))
    assert want is not None
    assert {k: ins["night"][k] for k in want} == want
    assert ins["night"]["ln_rmssd"] == round(math.fsum(map(math.log, values)) / len(values), 2)
    # One night: no 7-night mean, no band, no verdict, and the outputs claim none.
    assert ins["night"]["rolling_ln_mean"] is None and ins["night"]["band_ln_low"] is None
    assert ins["night"]["status"] is None and ins["previous_night"] is None
    assert "1 of the 3 nights needed" in night_examples[0]["input"]
    assert "yet" in output_of(night_examples, ExampleKind.SUMMARY)

    week_examples = real_written[(HRV, "week:2025-09-15")]
    week = insights_of(week_examples)
    want_week = reference.week(date(2025, 9, 15))
    assert [n["night"] for n in week["nights"]] == ["2025-09-19"]
    assert week["nights_recorded"] == 1 and week["measurements"] == 74
    assert week["ln_mean"] is want_week["this"]["ln_mean"] is None
    assert week["nights_judged"] == 0
    assert week["nights_below_band"] == want_week["this"]["below"] == []
    assert week["nights_above_band"] == want_week["this"]["above"] == []
    assert week["change_from_previous_week_ln"] is None
    assert "nights recorded: 1 of 7" in week_examples[0]["input"]
    for example in [*night_examples, *week_examples]:
        assert not CLAIMS.search(example["output"]), example["output"]


@needs_real_files
def test_age_gives_zones_computed_from_the_minute_means_of_each_day(
    tmp_path: Path, real_records: dict[str, list[dict[str, Any]]]
) -> None:
    out = tmp_path / "out"
    run_etl(HR_FILES, out, "--age", "40")
    written = one_current_set_per_window(out)
    reference = HeartRateReference(newest_per_id(real_records[HR]))
    days = {k: e for (t, k), e in written.items() if t == HR and k.startswith("day:")}
    assert len(days) == 4 and len(written) == 6
    for key, examples in days.items():
        ins = insights_of(examples)
        assert ins["age_years"] == 40
        zones = ins["zones"]
        assert zones["hr_max_bpm"] == 180
        minutes: dict[int, list[float]] = {}
        for t, bpm, _o, _d in reference.by_day[first_day_of(key)]:
            minutes.setdefault(t // MINUTE, []).append(bpm)
        means = [statistics.mean(v) for v in minutes.values()]
        bounds = [(0, 0.64), (0.64, 0.77), (0.77, 0.96), (0.96, math.inf)]
        expected = [sum(1 for m in means if lo * 180 <= m < hi * 180) for lo, hi in bounds]
        assert [b["minutes"] for b in zones["bands"]] == expected, key
        assert zones["monitored_minutes"] == len(means) == ins["monitored_minutes"]
        assert "age 40, predicted maximum 180 bpm" in examples[0]["input"]
        summary = output_of(examples, ExampleKind.SUMMARY)
        assert "180 bpm" in summary and "40" in summary, summary
        assert_grounded(examples)


# -- crafted files --------------------------------------------------------------------------------


def test_crafted_files_out_of_range_samples_and_hrv_records(tmp_path: Path) -> None:
    hr_schema = load_avsc("etl_heartrate", f"{HR}.avsc")
    hrv_schema = load_avsc("etl_heartrate", f"{HRV}.avsc")
    bpms = [70.0] * 400
    bpms[200:230] = [55.0] * 30
    series = minute_series(0, [int(b) for b in bpms])
    series[5] = (series[5][0], 0)
    series[6] = (series[6][0], 350)
    # The evening before: one more out-of-range sample, which is that day's, not the next's.
    evening = minute_series(-60, [72] * 60)
    evening[50] = (evening[50][0], 400)
    hr_path = tmp_path / f"{HR}_1758500000000.avro"
    hr_path.write_bytes(
        write_avro(
            hr_schema,
            [hr_record(series, record_id="crafted-hr"), hr_record(evening, record_id="evening")],
        )
    )
    hrv_values = [30.0, 250.0, 35.0]
    hrv_path = tmp_path / f"{HRV}_1758500000000.avro"
    hrv_path.write_bytes(
        write_avro(
            hrv_schema,
            [hrv_record(MIDNIGHT_MS + i * 5 * MINUTE_MS, v) for i, v in enumerate(hrv_values)],
        )
    )
    out = tmp_path / "out"
    run_etl([hr_path, hrv_path], out)
    written = one_current_set_per_window(out)
    assert sorted(written) == [
        (HR, "day:2025-09-19"),
        (HR, "day:2025-09-20"),
        (HR, "week:2025-09-15"),
        (HRV, "night:2025-09-19"),
        (HRV, "week:2025-09-15"),
    ]
    day = written[(HR, "day:2025-09-20")]
    ins = insights_of(day)
    assert ins["samples"] == 398
    assert ins["data_quality"]["out_of_range_samples_dropped"] == 2
    assert ins["resting_bpm"] == 55.0
    assert "2 samples outside the 1-300 bpm range" in output_of(day, ExampleKind.SUMMARY)
    assert day[0]["metadata"]["validation_warnings"], "core reports the out-of-range array items"
    before = written[(HR, "day:2025-09-19")]
    assert insights_of(before)["samples"] == 59
    assert insights_of(before)["data_quality"]["out_of_range_samples_dropped"] == 1
    assert "1 sample outside the 1-300 bpm range" in output_of(before, ExampleKind.SUMMARY)
    assert insights_of(written[(HR, "week:2025-09-15")])["samples"] == 398 + 59
    # Core leaves the 250 ms record out; the night holds the other two.
    night = written[(HRV, "night:2025-09-19")]
    hrv_ins = insights_of(night)
    assert hrv_ins["measurements"] == 2
    assert hrv_ins["mean_rmssd_ms"] == 32.5
    assert night[0]["metadata"]["record_count"] == 2
    assert_grounded([e for items in written.values() for e in items])


def test_user_timezone_reads_records_without_offset(tmp_path: Path) -> None:
    hr_schema = load_avsc("etl_heartrate", f"{HR}.avsc")
    path = tmp_path / f"{HR}_1758600000000.avro"
    # 23:30 to 00:09 in Chicago (CDT, -05:00); in UTC all of it would fall on 2025-09-20.
    record = hr_record(minute_series(-30, [70] * 40), offset=None, record_id="no-offset")
    path.write_bytes(write_avro(hr_schema, [record]))
    out = tmp_path / "out"
    run_etl([path], out, "--timezone", "America/Chicago")
    written = one_current_set_per_window(out)
    assert sorted(written) == [
        (HR, "day:2025-09-19"),
        (HR, "day:2025-09-20"),
        (HR, "week:2025-09-15"),
    ]
    evening, morning = written[(HR, "day:2025-09-19")], written[(HR, "day:2025-09-20")]
    assert insights_of(evening)["samples"] == 30 and insights_of(morning)["samples"] == 10
    ins = insights_of(morning)
    assert ins["clock"] == {
        "source": "configured time zone",
        "offset": "-05:00",
        "offsets": ["-05:00"],
        "offset_changes": [],
    }
    assert ins["first_sample"] == "2025-09-20T00:00:00-05:00"
    assert insights_of(evening)["last_sample"] == "2025-09-19T23:59:00-05:00"
    for example in morning:
        meta = example["metadata"]
        assert meta["clock"] == "configured time zone"
        assert meta["data_start"] == "2025-09-20T00:00:00-05:00"
        # A window is a span of the person's wall-clock time (local midnight to midnight).
        assert (meta["window"]["start"], meta["window"]["end"]) == (
            "2025-09-20T00:00",
            "2025-09-21T00:00",
        )
    assert "clock: local time (-05:00), from the time zone set for you" in morning[0]["input"]
    for kind in (ExampleKind.SUMMARY, ExampleKind.NOTE):
        assert "local time (-05:00), from the time zone set for you" in output_of(morning, kind)
    assert_grounded([e for items in written.values() for e in items])


# -- the synthetic person, in two runs ------------------------------------------------------------


def test_synthetic_person_in_two_runs_gives_one_current_set_per_window_from_all_records(
    tmp_path: Path,
    person_exports: list[SyntheticExport],
    person_windows: dict[tuple[str, str], list[Processed]],
) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    paths = []
    for export in person_exports:
        if export.record_type in (HR, HRV):
            paths.append(folder / export.name)
            paths[-1].write_bytes(export.data)
    assert len(paths) == 84
    # In fetch order per type; the later half runs first, so the second run brings earlier
    # records into windows already written (a week's baseline, a night's band).
    by_fetch = sorted(paths, key=lambda p: (p.name.split("_")[1], p.name))
    earlier, later = by_fetch[: len(by_fetch) // 2], by_fetch[len(by_fetch) // 2 :]
    out = tmp_path / "out"
    run_etl(later, out)
    after_first = one_current_set_per_window(out)
    run_etl(earlier, out)
    written = one_current_set_per_window(out)

    assert_examples_are_the_hook_results(written, hook_results(person_windows))
    counts = Counter(record_type for record_type, _key in written)
    assert counts == {HR: 43 + 7, HRV: 41 + 6}
    # The second run rebuilt windows the first had written, as new revisions.
    rebuilt = [
        key
        for key, examples in after_first.items()
        if [e["output"] for e in examples] != [e["output"] for e in written[key]]
    ]
    assert (HR, "week:2025-07-07") in rebuilt and (HRV, "night:2025-07-12") in rebuilt
    for key in rebuilt:
        assert written[key][0]["metadata"]["revision"] > after_first[key][0]["metadata"]["revision"]
    assert by_window(journal_lines(out)) == written
