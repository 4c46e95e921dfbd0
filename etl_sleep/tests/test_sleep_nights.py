"""Nights, naps, the primary-source rule and the figures across nights."""

from __future__ import annotations

import statistics
from typing import Any

import pytest
from sleep_builders import contiguous, session

from etl_core import UserContext
from etl_core.contract.figures import unsupported_figures
from etl_sleep.analysis import SleepAnalysis, analyse
from etl_sleep.metrics import session_metrics
from etl_sleep.nights import group_overlapping, parse_min_night_minutes, sleep_periods
from etl_sleep.source_rule import DEFAULT_TERMS, parse_source_rule

PHONE = "com.sec.android.app.shealth"
RING = "com.ouraring.oura"


def staged_night(start: float, length: float) -> list[tuple[str, float, float]]:
    quarter = length / 4
    return contiguous(
        start, ("LIGHT", quarter), ("DEEP", quarter), ("AWAKE", quarter / 4), ("REM", quarter)
    )


def run(records: list[dict[str, Any]], rule: str | None = None, **user: Any) -> SleepAnalysis:
    result = analyse(records, UserContext(**user), parse_source_rule(rule), 180)
    assert unsupported_figures(result.narrative, result.insights) == []
    return result


def test_phone_and_ring_recording_one_night_make_one_night() -> None:
    phone = session(420, 900, staged_night(420, 400), origin=PHONE)
    ring = session(450, 880, staged_night(450, 300), origin=RING)
    result = run([phone, ring])
    assert result.insights["night_count"] == 1
    night = result.insights["nights"][0]
    assert night["source"] == PHONE  # staged, and its stages cover more time
    other = night["corroboration"][0]
    assert other["source"] == RING
    phone_tst = session_metrics(phone).total_sleep_ms
    ring_tst = session_metrics(ring).total_sleep_ms
    assert phone_tst is not None and ring_tst is not None
    assert night["total_sleep_min"] == round(phone_tst / 60_000, 1)  # never summed or averaged
    assert other["total_sleep_difference_min"] == round(abs(phone_tst - ring_tst) / 60_000, 1)
    assert other["total_sleep_direction"] == "less"
    assert "one night" in result.narrative and "corroborates" in result.narrative


def test_staged_session_wins_over_a_longer_unstaged_one() -> None:
    unstaged = session(400, 920, None, origin=PHONE)
    staged = session(430, 880, staged_night(430, 420), origin=RING)
    night = run([unstaged, staged]).insights["nights"][0]
    assert night["source"] == RING
    assert night["corroboration"][0]["time_in_bed_direction"] == "more"


def test_source_priority_setting_puts_a_named_app_first() -> None:
    phone = session(420, 900, staged_night(420, 400), origin=PHONE)
    ring = session(450, 880, staged_night(450, 300), origin=RING)
    result = run([phone, ring], rule=f"{RING},staged,coverage")
    assert result.insights["nights"][0]["source"] == RING
    rule = result.insights["primary_source_rule"]
    assert rule["terms"] == [RING, "staged", "coverage"]
    assert rule["configured_by"] == "ETL_SLEEP_SOURCE_PRIORITY"


def test_duration_rule_prefers_the_longest_time_in_bed() -> None:
    short_staged = session(450, 880, staged_night(450, 300), origin=RING)
    long_unstaged = session(400, 920, None, origin=PHONE)
    night = run([short_staged, long_unstaged], rule="duration").insights["nights"][0]
    assert night["source"] == PHONE


@pytest.mark.parametrize(
    ("setting", "terms", "ignored"),
    [
        (None, list(DEFAULT_TERMS), []),
        ("", list(DEFAULT_TERMS), []),
        ("nonsense", list(DEFAULT_TERMS), ["nonsense"]),
        (" Coverage , staged,coverage", ["coverage", "staged"], []),
        ("com.ouraring.oura, bogus", ["com.ouraring.oura"], ["bogus"]),
    ],
)
def test_parse_source_rule(setting: str | None, terms: list[str], ignored: list[str]) -> None:
    rule = parse_source_rule(setting)
    assert list(rule.terms) == terms
    assert list(rule.ignored) == ignored
    assert rule.describe()


def test_default_rule_description() -> None:
    assert parse_source_rule(None).describe() == (
        "sessions with sleep stages first, then the longest stage coverage"
    )


def test_evening_nap_and_night_are_reported_apart() -> None:
    nap = session(0, 100, contiguous(0, ("LIGHT", 80), ("AWAKE", 20)))  # 16:00-17:40
    night = session(480, 990, staged_night(480, 480))
    result = run([nap, night])
    assert result.insights["night_count"] == 1 and result.insights["nap_count"] == 1
    assert result.insights["naps"][0]["start"] == "2025-09-19T16:00:00-05:00"
    assert result.insights["naps"][0]["total_sleep_min"] == 80.0
    assert result.insights["nights"][0]["time_in_bed_min"] == 510.0  # the nap is not added
    assert result.insights["across_nights"]["nights"] == 1
    assert "nap" in result.narrative and "not counted in any night" in result.narrative


def test_a_short_session_overlapping_a_night_belongs_to_the_night() -> None:
    night = session(420, 900, staged_night(420, 440), origin=PHONE)
    fragment = session(600, 700, staged_night(600, 90), origin=RING)
    result = run([night, fragment])
    assert result.insights["night_count"] == 1 and result.insights["nap_count"] == 0


def test_overlap_chains_and_touching_sessions() -> None:
    a = session_metrics(session(0, 100))
    b = session_metrics(session(90, 200, record_id="b"))
    c = session_metrics(session(190, 300, record_id="c"))
    d = session_metrics(session(300, 400, record_id="d"))  # touches c only
    clusters = group_overlapping([d, c, b, a])
    assert [[s.start_ms for s in cluster] for cluster in clusters] == [
        [a.start_ms, b.start_ms, c.start_ms],
        [d.start_ms],
    ]


def test_night_threshold_is_configurable() -> None:
    nap = session_metrics(session(0, 100))
    assert sleep_periods([nap], parse_source_rule(None), 180)[0].kind == "nap"
    assert sleep_periods([nap], parse_source_rule(None), 90)[0].kind == "night"
    assert parse_min_night_minutes(None) == 180
    assert parse_min_night_minutes("240") == 240
    assert parse_min_night_minutes("-3") == 180
    assert parse_min_night_minutes("three") == 180


def _week(start_day: int = 0, nights: int = 8) -> list[dict[str, Any]]:
    """Nights starting at 23:00 + k*7 min on successive days, sleep 6.5 h + k*10 min."""
    records = []
    for k in range(nights):
        start = 420 + 1440 * (start_day + k) + 7 * k
        length = 390 + 10 * k
        records.append(session(start, start + length + 20, staged_night(start, length)))
    return records


def test_across_nights_means_and_regularity() -> None:
    records = _week(nights=4)
    result = run(records)
    across = result.insights["across_nights"]
    metrics = [session_metrics(r) for r in records]
    tst = [m.total_sleep_ms for m in metrics]
    assert across["nights"] == 4
    assert across["mean_total_sleep_min"] == round(statistics.fmean(tst) / 60_000, 1)  # type: ignore[arg-type]
    bedtimes = [(420 + 7 * k) for k in range(4)]
    assert across["bedtime_sd_min"] == round(statistics.stdev(bedtimes), 1)
    assert across["weekday_weekend"] is None
    assert "not compared" in result.narrative
    assert "Mid-sleep time averaged" in result.narrative


def test_regularity_needs_three_nights_and_one_night_is_not_a_pattern() -> None:
    two = run(_week(nights=2))
    assert two.insights["across_nights"]["mid_sleep_sd_min"] is None
    assert "not yet a pattern" in two.narrative
    one = run(_week(nights=1))
    assert one.insights["across_nights"]["mean_total_sleep_min"] is None
    assert "single night" in one.narrative


def test_weekday_weekend_needs_a_week() -> None:
    result = run(_week(nights=8))
    split = result.insights["across_nights"]["weekday_weekend"]
    assert split is not None
    # nights end Saturday 20th, Sunday 21st (weekend) and Mon 22nd - Fri 26th, Sat 27th
    assert split["weekend_nights"] == 3 and split["weekday_nights"] == 5
    assert "Weekend nights (3)" in result.narrative


def test_bedtimes_either_side_of_midnight_are_regular() -> None:
    starts = [1440 * k + offset for k, offset in enumerate([470, 490, 485, 500])]  # 23:50-00:20
    records = [session(s, s + 450, staged_night(s, 420)) for s in starts]
    across = run(records).insights["across_nights"]
    clock = [470, 490, 485, 500]  # minutes after 16:00, no wrap
    assert across["bedtime_sd_min"] == round(statistics.stdev(clock), 1)


def test_age_sets_nsf_range_and_minors_get_no_adult_targets() -> None:
    record = session(420, 900, staged_night(420, 440))
    adult = run([record], age_years=70)
    assert adult.insights["targets"]["nsf_recommended_h"] == "7-8"
    assert "NSF range for this age: 7-8 h" in adult.narrative
    minor = run([record], age_years=15)
    night = minor.insights["nights"][0]
    assert night["meets"] == {"duration": None, "efficiency": None, "latency": None, "waso": None}
    assert "not applied" in minor.narrative and "recommendation of at least" not in minor.narrative
