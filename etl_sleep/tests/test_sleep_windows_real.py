"""The 26 real exports (about four days): no window claims sufficiency, a trend or a band, and
each says what is missing. Expected values come from the reference, not from the plugin."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sleep_window_reference import expected_night, expected_week

from etl_core import ExampleKind, RecordTypeSpec
from etl_core.testing import read_avro, real_samples, windows_from_exports
from etl_sleep import plugin
from etl_sleep.windows_process import NIGHT_RULE, WEEK_RULE

FILES = real_samples()
pytestmark = pytest.mark.skipif(len(FILES) != 26, reason="the 26 real exports are needed")
CLAIMS = re.compile(r"\b(improv|worsen|declin|deteriorat|baseline|band|sufficient)", re.I)


def newest(files: list[Path]) -> list[dict[str, Any]]:
    chosen: dict[str, dict[str, Any]] = {}
    for path in files:
        if not path.name.startswith("SleepSessionRecord_"):
            continue
        for record in read_avro(path):
            rid = record["metadata"]["id"]
            held = chosen.get(rid)
            stamp = record["metadata"]["lastModifiedTimeEpochMillis"]
            if held is None or stamp > held["metadata"]["lastModifiedTimeEpochMillis"]:
                chosen[rid] = record
    return list(chosen.values())


def assert_no_claims(text: str) -> None:
    assert not CLAIMS.search(text), text
    for sentence in re.split(r"(?<=[.!?])\s+", text):
        if "trend" in sentence.lower() or "pattern" in sentence.lower():
            assert re.search(r"\b(not|no|cannot|nothing)\b", sentence), sentence


def test_the_real_week_has_three_of_seven_nights_and_nothing_weekly(spec: RecordTypeSpec) -> None:
    (window,) = windows_from_exports(spec, WEEK_RULE, FILES)
    result = plugin.etl_process_window(window, spec)
    assert result is not None
    insights = result.insights
    expected = expected_week(newest(FILES), window.first_day)
    assert expected is not None
    for name, value in expected.items():
        assert insights[name] == value, name
    assert window.key == "week:2025-09-15"
    assert insights["nights_recorded"] == 3 and insights["sufficient"] is False
    assert insights["weekly"] is None and insights["sleep_regularity_index"] is None
    assert insights["social_jet_lag"] is None and insights["change_from_previous_week"] is None
    assert "nights: 3 of 7 recorded" in result.summary
    for example in result.examples:
        assert_no_claims(example.output)
    for kind in (ExampleKind.SUMMARY, ExampleKind.NOTE):
        output = next(e.output for e in result.examples if e.kind is kind)
        assert "3 of 7" in output or "3 of the week's 7" in output, output
        assert "5" in output  # the weekly minimum it misses


def test_each_real_night_says_its_onset_latency_is_not_recorded(spec: RecordTypeSpec) -> None:
    records = newest(FILES)
    windows = windows_from_exports(spec, NIGHT_RULE, FILES)
    assert [w.key for w in windows] == [
        "night:2025-09-19",
        "night:2025-09-20",
        "night:2025-09-21",
    ]
    for window in windows:
        result = plugin.etl_process_window(window, spec)
        assert result is not None
        expected = expected_night(records, window.first_day)
        assert expected is not None
        for name, value in expected.items():
            assert result.insights[name] == value, f"{window.key}: {name}"
        night = result.insights["night"]
        # the Samsung sessions open with a sleep stage: the latency is missing, not 0 min
        assert night["latency_recorded"] is False and night["meets"]["latency"] is None
        assert "onset latency: not recorded" in result.summary
        for example in result.examples:
            assert_no_claims(example.output)
            assert "latency of 0" not in example.output
        for kind in (ExampleKind.SUMMARY, ExampleKind.NOTE):
            output = next(e.output for e in result.examples if e.kind is kind).lower()
            assert re.search(
                r"not recorded|unknown|cannot be measured|isn.t known|no reading|can.t tell", output
            )
    phone_and_ring = plugin.etl_process_window(windows[0], spec)
    assert phone_and_ring is not None
    (ring,) = phone_and_ring.insights["night"]["corroboration"]
    assert ring["source_name"] == "Oura"  # one night, the ring corroborating
