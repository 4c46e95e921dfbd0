"""Crafted sessions for each robustness case of the issue, through the whole analysis."""

from __future__ import annotations

import random
from typing import Any

from sleep_builders import contiguous, session

from etl_core import UserContext
from etl_core.contract.figures import unsupported_figures
from etl_sleep.analysis import SleepAnalysis, analyse
from etl_sleep.source_rule import parse_source_rule

NIGHT = contiguous(
    420,  # 23:00 local on Friday 2025-09-19
    ("AWAKE", 15),
    ("LIGHT", 90),
    ("DEEP", 60),
    ("AWAKE", 10),
    ("REM", 45),
    ("LIGHT", 120),
    ("REM", 60),
    ("AWAKE", 10),
)  # ends 830 = 05:50 local on Saturday


def run(records: list[dict[str, Any]], user: UserContext | None = None) -> SleepAnalysis:
    result = analyse(records, user or UserContext(), parse_source_rule(None), 180)
    assert unsupported_figures(result.narrative, result.insights) == []
    return result


def only_night(result: SleepAnalysis) -> dict[str, Any]:
    assert len(result.insights["nights"]) == 1
    night: dict[str, Any] = result.insights["nights"][0]
    return night


def test_unsorted_stages_give_the_same_night_and_are_reported() -> None:
    tidy = only_night(run([session(420, 830, NIGHT)]))
    shuffled_stages = list(NIGHT)
    random.Random(7).shuffle(shuffled_stages)
    result = run([session(420, 830, shuffled_stages)])
    night = only_night(result)
    for key in ("total_sleep_min", "efficiency_percent", "latency_min", "waso_min", "rem_percent"):
        assert night[key] == tidy[key]
    assert night["stage_corrections"]["unsorted"] is True
    assert "out of time order were sorted" in result.narrative


def test_overlapping_stages_are_counted_once() -> None:
    stages = [("LIGHT", 0, 300), ("AWAKE", 100, 130), ("DEEP", 200, 260)]
    result = run([session(0, 300, stages)])
    night = only_night(result)
    assert night["total_sleep_min"] == 270.0  # 300 minus the nested 30 awake, never 360
    assert night["waso_min"] == 30.0
    assert night["efficiency_percent"] == 90.0
    assert night["deep_percent"] == round(100 * 60 / 270, 1)
    assert night["stage_corrections"]["overlapping_min"] == 90.0
    assert "recorded under two stages at once were counted once" in result.narrative


def test_stages_outside_the_session_are_clipped_and_reported() -> None:
    stages = [("LIGHT", -20, 100), ("DEEP", 100, 200), ("REM", 200, 260)]
    result = run([session(0, 240, stages)])
    night = only_night(result)
    assert night["time_in_bed_min"] == 240.0
    assert night["total_sleep_min"] == 240.0
    assert night["efficiency_percent"] == 100.0
    assert night["stage_corrections"]["stages_outside_session"] == 2
    assert night["stage_corrections"]["outside_session_min"] == 40.0
    assert "40.0 min of stage data outside the session were cut off" in result.narrative


def test_session_without_stages_reports_time_in_bed_only() -> None:
    result = run([session(420, 900, None)])
    night = only_night(result)
    assert night["time_in_bed_min"] == 480.0
    assert night["has_sleep_stages"] is False
    for key in ("total_sleep_min", "efficiency_percent", "latency_min", "waso_min", "deep_percent"):
        assert night[key] is None
    assert night["meets"]["duration"] is None
    assert "no sleep stages" in result.narrative
    assert "below the adult recommendation" not in result.narrative
    assert "meeting the adult recommendation" not in result.narrative


def test_session_crossing_local_midnight_is_dated_by_its_waking_day() -> None:
    result = run([session(420, 830, NIGHT)])
    night = only_night(result)
    assert night["bedtime"] == "2025-09-19T23:00:00-05:00"
    assert night["wake_time"] == "2025-09-20T05:50:00-05:00"
    assert night["date"] == "2025-09-20"
    assert night["weekday"] == "Saturday"
    assert night["time_in_bed_min"] == 410.0
    assert "from 23:00 to 05:50" in result.narrative


def test_offset_change_overnight_uses_instants_not_clock_times() -> None:
    # Clocks go back an hour overnight: 23:00 -04:00 to 06:50 -05:00 is 8 h 50 min.
    result = run([session(360, 890, NIGHT, start_offset="-04:00", end_offset="-05:00")])
    night = only_night(result)
    assert night["bedtime"] == "2025-09-19T23:00:00-04:00"
    assert night["wake_time"] == "2025-09-20T06:50:00-05:00"
    assert night["time_in_bed_min"] == 530.0
    assert result.insights["timezone"] == "-04:00, -05:00 (record offsets)"


def test_missing_offsets_fall_back_to_the_user_zone_then_utc() -> None:
    from zoneinfo import ZoneInfo

    record = session(420, 830, NIGHT, start_offset=None, end_offset="Z")
    with_zone = only_night(run([record], UserContext(timezone=ZoneInfo("America/Chicago"))))
    assert with_zone["bedtime"] == "2025-09-19T23:00:00-05:00"
    utc = only_night(run([record]))
    assert utc["bedtime"] == "2025-09-20T04:00:00+00:00"


def test_partial_stage_coverage_is_reported_as_gaps() -> None:
    stages = [("LIGHT", 0, 100), ("DEEP", 130, 200), ("REM", 200, 240)]
    result = run([session(0, 240, stages)])
    night = only_night(result)
    assert night["stage_coverage_percent"] == 87.5
    assert night["unstaged_gap_min"] == 30.0
    assert night["waso_min"] == 0.0  # a gap is unknown, not wake
    row = result.insights["sessions"][0]
    assert row["unstaged_gaps"][0]["minutes"] == 30.0
    assert "may be underestimated" in result.narrative


def test_session_ending_before_it_starts_is_left_out() -> None:
    broken = session(400, 300, NIGHT)
    result = run([broken, session(420, 830, NIGHT)])
    assert result.insights["data_quality"]["sessions_excluded"] == 1
    assert result.insights["night_count"] == 1
    assert "failed validation" in result.narrative


def test_empty_batch() -> None:
    result = run([])
    assert result.insights["nights"] == [] and result.insights["naps"] == []
    assert result.data_start is None


def test_a_session_that_starts_asleep_has_no_recorded_latency() -> None:
    result = run([session(420, 900, contiguous(420, ("LIGHT", 200), ("DEEP", 100), ("REM", 180)))])
    night = only_night(result)
    assert night["latency_min"] is None
    assert night["meets"]["latency"] is None
    assert "latency is not recorded" in result.narrative
    assert "latency of 0.0 min" not in result.narrative
    minor = run([session(420, 900, contiguous(420, ("LIGHT", 480)))], UserContext(age_years=15))
    assert "latency is not recorded" in minor.narrative


def test_the_narrative_names_the_zone_only_for_records_without_an_offset() -> None:
    from zoneinfo import ZoneInfo

    with_offsets = run([session(420, 830, NIGHT)])
    assert "record offsets" not in with_offsets.narrative
    assert "offset" not in with_offsets.narrative
    bare = run(
        [session(420, 830, NIGHT, start_offset=None, end_offset=None)],
        UserContext(timezone=ZoneInfo("America/Chicago")),
    )
    assert "Records without an offset are read in America/Chicago." in bare.narrative
