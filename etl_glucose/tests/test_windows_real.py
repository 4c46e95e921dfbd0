"""The five real CGM exports (four local days, ``zoneOffsetId: "Z"``) through the window hooks:
no window is sufficient, none claims a verdict, GMI, profile or comparison, each says how many
of the 14 days it holds, every figure is grounded, and the figures match the raw records."""

from __future__ import annotations

import re
from datetime import timedelta, timezone
from functools import cache

import glucose_window_reference as ref
import pytest

from etl_core import ExampleKind, ProcessResult, UserContext, Window
from etl_core.contract.figures import ungrounded_figures, unsupported_figures
from etl_core.testing import real_samples, windows_from_exports
from etl_glucose.plugin import etl_process_window, etl_windows, glucose_spec

FILES = real_samples("BloodGlucoseRecord")
ZONE = timezone(timedelta(hours=-5))
SPEC = glucose_spec()
RULES = {rule.name: rule for rule in etl_windows(SPEC) or ()}

pytestmark = pytest.mark.skipif(len(FILES) != 5, reason="the five real glucose files are needed")


@cache
def results(zone_known: bool = True) -> tuple[tuple[Window, ProcessResult], ...]:
    user = UserContext(timezone=ZONE if zone_known else None)
    found = []
    for name in sorted(RULES):
        for window in windows_from_exports(SPEC, RULES[name], FILES, user=user):
            result = etl_process_window(window, SPEC)
            assert result is not None
            found.append((window, result))
    return tuple(found)


def test_the_windows_the_real_files_touch() -> None:
    keys = [window.key for window, _ in results()]
    assert keys == [
        "cgm_14d:2025-09-08",
        "cgm_14d:2025-09-15",
        "cgm_14d:2025-09-22",
        "day:2025-09-19",
        "day:2025-09-20",
        "day:2025-09-21",
        "day:2025-09-22",
    ]


def test_figures_match_the_raw_records() -> None:
    readings = ref.readings(ref.newest(ref.decode(FILES)), ZONE)
    for window, result in results():
        span = ref.between(readings, window.first_day, window.rule.days)
        want = ref.figures(span, window.first_day, window.rule.days)
        ins = result.insights
        for key, value in want.items():
            if key in ("first_day", "last_day"):
                assert ins["window"][key] == value
            else:
                assert ins[key] == value, (window.key, key)
        gaps = ref.sensor_gaps(span)
        assert [(g["start"], g["end"], g["duration_min"]) for g in ins["sensor_gaps"]["gaps"]] == [
            (ref.iso(s), ref.iso(e), m) for s, e, m in gaps
        ]
        for name, events in ref.event_groups(span).items():
            assert ins["events"][name]["count"] == len(events)


def test_no_window_claims_sufficiency_a_verdict_or_a_comparison() -> None:
    for window, result in results():
        ins = result.insights
        assert ins["data_sufficient"] is False
        assert ins["gmi_percent"] is None and ins["targets_met"] is None
        assert ins["agp"] is None and ins["variability"] is None
        assert ins["comparison"] is None
        assert all(e.kind is not ExampleKind.COMPARISON for e in result.examples)
        for example in result.examples:
            text = example.output
            assert "GMI of" not in text and "GMI at" not in text
            assert not re.search(r"\btargets? (is|are|was|were) met\b", text)
            assert "met" not in re.findall(r"\b\w+\b", text.replace("not met", "")), window.key
            # "trend" only ever appears denied ("not a trend", "not yet a trend")
            for match in re.finditer(r"trend", text):
                assert re.search(r"(not|no|never)\b[^.]*$", text[: match.start()]), text


def test_each_window_says_how_many_of_14_days_it_holds() -> None:
    for _window, result in results():
        worn = result.insights["days_worn"]
        assert f"{worn} of 14 days worn" in result.summary
        summary_output = result.examples[0].output
        assert re.search(rf"\b{worn} of (the )?14 days\b", summary_output), summary_output


def test_every_example_is_grounded() -> None:
    for zone_known in (True, False):
        for window, result in results(zone_known):
            assert unsupported_figures(result.summary, result.insights) == [], window.key
            for example in result.examples:
                missing = ungrounded_figures(example.output, result.summary, SPEC.reference_values)
                assert missing == [], (window.key, example.kind, missing)


def test_the_clock_source_is_said() -> None:
    for _, result in results():
        assert result.insights["clock"] == {
            "source": "configured time zone",
            "kind": "configured",
            "offsets": ["-05:00"],
        }
        assert "-05:00" in result.examples[0].output and "-05:00" in result.examples[1].output
    for _, result in results(zone_known=False):
        assert result.insights["clock"]["source"] == "UTC, no offset known"
        assert "UTC" in result.examples[0].output and "UTC" in result.examples[1].output
