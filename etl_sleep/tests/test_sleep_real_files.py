"""The real Health Connect exports, directly and through ``etl run``.

Expected values are computed here from the raw stages with plain sums, not taken from the
plugin. The real stage lists are tidy (sorted, touching, inside their session), which the
reference checks first, so plain sums are the textbook definitions.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from etl_core import UserContext
from etl_core.figures import unsupported_figures
from etl_core.testing import read_avro, real_samples, run_etl, training_examples
from etl_sleep.analysis import analyse
from etl_sleep.source_rule import parse_source_rule

FILES = real_samples("SleepSessionRecord")
pytestmark = pytest.mark.skipif(len(FILES) != 5, reason="the 5 real sleep exports are needed")

SLEEP = {"LIGHT", "DEEP", "REM", "SLEEPING"}
WAKE = {"AWAKE", "OUT_OF_BED"}
PHONE = "com.sec.android.app.shealth"
RING = "com.ouraring.oura"
SAME_SNAPSHOT = ("1758407139312", "1758407245091", "1758407386729")


def file_named(fetch: str) -> Path:
    return next(f for f in FILES if fetch in f.name)


def expected_figures(record: Mapping[str, Any]) -> dict[str, Any]:
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
    tib = (end - start) / 60_000
    tst = minutes_of(SLEEP)
    architecture = minutes_of({"LIGHT", "DEEP", "REM"})
    offset = record["endZoneOffsetId"]
    sign = -1 if offset.startswith("-") else 1
    zone = timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6])))
    wake = datetime.fromtimestamp(end / 1000, tz=UTC).astimezone(zone)
    return {
        "date": wake.date().isoformat(),
        "source": record["metadata"]["dataOriginPackageName"],
        "time_in_bed_min": round(tib, 1),
        "total_sleep_min": round(tst, 1),
        "efficiency_percent": round(100 * tst / tib, 1),
        # the real Samsung sessions start with a sleep stage: latency not recorded, not 0
        "latency_min": round((onset - start) / 60_000, 1) if onset > start else None,
        "waso_min": round(minutes_of(WAKE, onset, final), 1),
        "awake_min": round(minutes_of(WAKE), 1),
        "light_percent": round(100 * minutes_of({"LIGHT"}) / architecture, 1),
        "deep_percent": round(100 * minutes_of({"DEEP"}) / architecture, 1),
        "rem_percent": round(100 * minutes_of({"REM"}) / architecture, 1),
        "_covered_min": sum(
            (s["endTimeEpochMillis"] - s["startTimeEpochMillis"]) / 60_000 for s in stages
        ),
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


@pytest.fixture(scope="module")
def etl_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("etl-out")
    run_etl(FILES, out, env={"ETL_SLEEP_SOURCE_PRIORITY": ""})
    return out


def test_etl_run_writes_one_example_per_distinct_record_set(etl_output: Path) -> None:
    examples = training_examples(etl_output, "sleep_wellness")
    keys = [e["metadata"]["source_key"] for e in examples]
    assert len(examples) == 3  # the three identical snapshots give one example
    assert sum(1 for k in keys if any(fetch in k for fetch in SAME_SNAPSHOT)) == 1
    for example in examples:
        meta = example["metadata"]
        insights = meta["clinical_insights"]
        assert unsupported_figures(example["output"], insights) == []
        assert meta["record_type"] == "SleepSessionRecord"
        assert meta["processor"].startswith("sleep ")
        assert example["input"] and example["instruction"]


def test_etl_run_nights_match_the_raw_stages(etl_output: Path) -> None:
    examples = {
        e["metadata"]["source_key"]: e for e in training_examples(etl_output, "sleep_wellness")
    }
    for key, example in examples.items():
        records = read_avro(next(f for f in FILES if f.name == key))
        insights = example["metadata"]["clinical_insights"]
        assert example["metadata"]["record_count"] == len(records)
        sources = {r["metadata"]["dataOriginPackageName"] for r in records}
        if sources == {PHONE, RING}:
            assert insights["night_count"] == 1 and insights["nap_count"] == 0
            primary = next(r for r in records if r["metadata"]["dataOriginPackageName"] == PHONE)
            assert_night_matches(insights["nights"][0], primary)
        elif len(records) == 2:
            assert insights["night_count"] == 1 and insights["nap_count"] == 1
            night_record = max(
                records, key=lambda r: r["endTimeEpochMillis"] - r["startTimeEpochMillis"]
            )
            assert_night_matches(insights["nights"][0], night_record)
        else:
            assert_night_matches(insights["nights"][0], records[0])
        assert insights["timezone"] == "-05:00 (record offsets)"
        assert insights["primary_source_rule"]["configured_by"] == "default"


def test_etl_run_honours_the_source_priority_and_age(tmp_path: Path) -> None:
    path = file_named(SAME_SNAPSHOT[0])
    run_etl([path], tmp_path, "--age", "70", env={"ETL_SLEEP_SOURCE_PRIORITY": RING})
    (example,) = training_examples(tmp_path, "sleep_wellness")
    insights = example["metadata"]["clinical_insights"]
    ring = next(r for r in read_avro(path) if r["metadata"]["dataOriginPackageName"] == RING)
    assert_night_matches(insights["nights"][0], ring)
    assert insights["nights"][0]["corroboration"][0]["source"] == PHONE
    assert insights["primary_source_rule"]["terms"] == [RING]
    assert insights["targets"]["nsf_recommended_h"] == "7-8"
    assert unsupported_figures(example["output"], insights) == []
