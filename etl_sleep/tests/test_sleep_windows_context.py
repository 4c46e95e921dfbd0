"""What is known about the person changes the window's text: an age (targets applied or not,
the NSF range) and the clock (records without an offset are read in another zone, and the
examples say so)."""

from __future__ import annotations

import re
from datetime import timedelta, timezone
from typing import Any

from sleep_window_reference import newest_sessions

from etl_core import ProcessResult, RecordTypeSpec, UserContext
from etl_core.contract.figures import ungrounded_figures, unsupported_figures
from etl_core.contract.windows import ClockSource, WindowRule
from etl_core.testing import SyntheticExport, windows_from_exports, write_health_connect
from etl_sleep import plugin
from etl_sleep.windows_process import NIGHT_RULE, WEEK_RULE


def processed(
    spec: RecordTypeSpec, rule: WindowRule, records: list[dict[str, Any]], user: UserContext
) -> list[ProcessResult]:
    export = write_health_connect("SleepSessionRecord", records)
    results = []
    for window in windows_from_exports(spec, rule, [export], user=user)[:10]:
        result = plugin.etl_process_window(window, spec)
        assert result is not None
        assert unsupported_figures(result.summary, result.insights) == []
        for example in result.examples:
            assert ungrounded_figures(example.output, result.summary, spec.reference_values) == []
            assert unsupported_figures(example.output, result.insights) == []
        results.append(result)
    return results


def test_a_minor_gets_no_adult_verdicts(
    spec: RecordTypeSpec, person: list[SyntheticExport]
) -> None:
    records = newest_sessions(person)
    for rule in (NIGHT_RULE, WEEK_RULE):
        for result in processed(spec, rule, records, UserContext(age_years=15)):
            assert result.insights["adult_targets_apply"] is False
            rows = [result.insights["night"]] if rule is NIGHT_RULE else result.insights["nights"]
            for row in rows:
                if row is not None:
                    assert set(row["meets"].values()) == {None}
            assert "adult targets: not applied (age 15)" in result.summary
            for example in result.examples:
                assert "adult recommendation" not in example.output
                assert "adults need" not in example.output


def test_an_older_adult_gets_the_nsf_range(
    spec: RecordTypeSpec, person: list[SyntheticExport]
) -> None:
    (result, *_) = processed(spec, NIGHT_RULE, newest_sessions(person), UserContext(age_years=70))
    assert result.insights["nsf_recommended_h"] == "7-8"
    assert "NSF range for age 70: 7-8 h" in result.summary
    assert "NSF range for this age: 7-8 h" in result.examples[0].output


def test_records_without_offsets_are_read_in_the_configured_zone_and_say_so(
    spec: RecordTypeSpec, person: list[SyntheticExport]
) -> None:
    records = newest_sessions(person)
    for record in records:
        record["startZoneOffsetId"] = record["endZoneOffsetId"] = None
    zone = timezone(timedelta(hours=-5))
    with_offsets = processed(spec, NIGHT_RULE, newest_sessions(person), UserContext())
    configured = processed(spec, NIGHT_RULE, records, UserContext(timezone=zone))
    for a, b in zip(with_offsets, configured, strict=True):
        assert b.insights["clock"] == ClockSource.CONFIGURED
        assert b.insights["night"] == a.insights["night"]  # the same local times
        assert "local time: configured time zone" in b.summary
        assert re.search(r"configured time zone|time zone set for the person", b.examples[0].output)
        assert "time zone" not in a.examples[0].output
    utc = processed(spec, WEEK_RULE, records, UserContext())
    assert utc[0].insights["clock"] == ClockSource.UTC
    assert "UTC" in utc[0].examples[0].output


def test_segmented_and_unstaged_nights_are_reported_apart_and_not_judged(
    spec: RecordTypeSpec,
) -> None:
    from sleep_builders import contiguous, session

    day = 1440
    records = [
        # Friday night in two night-length pieces: the longer is the night, the other apart
        session(360, 600, contiguous(360, ("AWAKE", 10), ("LIGHT", 230)), record_id="a"),
        session(660, 960, contiguous(660, ("LIGHT", 150), ("DEEP", 150)), record_id="b"),
        # Saturday night without stages: time in bed only
        session(day + 420, day + 900, None, record_id="c"),
    ]
    friday, saturday = processed(spec, NIGHT_RULE, records, UserContext())
    assert friday.insights["night"]["time_in_bed_min"] == 300
    assert [o["start"] for o in friday.insights["other_sleep"]] == ["22:00"]
    assert "other sleep period: Friday 2025-09-19 22:00 to 02:00" in friday.summary
    assert saturday.insights["night"]["has_sleep_stages"] is False
    assert saturday.insights["night"]["meets"] == dict.fromkeys(
        ("duration", "efficiency", "latency", "waso")
    )
    assert saturday.insights["previous_night"] is None  # nothing to compare sleep with
    assert "sleep stages: the record holds time in bed only" in saturday.summary
    for example in saturday.examples:
        assert "adults need" not in example.output and "WASO of" not in example.output
    (week,) = processed(spec, WEEK_RULE, records, UserContext())
    assert week.insights["nights_recorded"] == 2 and week.insights["nights_with_sleep_stages"] == 1
    assert "sleep stages: 1 of 2 nights have none" in week.insights["missing"]
    assert "Another night-length sleep period" in week.examples[0].output
