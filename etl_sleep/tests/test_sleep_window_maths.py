"""Properties of the window maths against plain reference code: the Sleep Regularity Index
epoch by epoch, clock statistics on the 24-hour circle, social jet lag, and night ownership."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sleep_builders import contiguous, session
from sleep_window_reference import (
    circular_mean,
    circular_sd,
    local,
    night_of,
    periods_of,
    wrapped,
)

from etl_core.testing import windows_from_exports, write_health_connect
from etl_sleep import plugin
from etl_sleep.regularity import clock_time_sd
from etl_sleep.sri import EPOCHS_PER_DAY, epoch_states, sleep_regularity_index
from etl_sleep.weekly import social_jet_lag
from etl_sleep.windows_process import NIGHT_RULE

DAY = 86_400_000
EPOCH = 30_000


def naive_sri(
    start: int,
    valid: list[bool],
    asleep: list[tuple[int, int]],
    unknown: list[tuple[int, int]],
) -> tuple[float, int] | None:
    """Phillips' SRI by looking at every epoch's midpoint and scanning every interval."""

    def state(t: int) -> str:
        if any(a <= t < b for a, b in asleep):
            return "asleep"
        if any(a <= t < b for a, b in unknown):
            return "unknown"
        return "awake"

    same = compared = 0
    for day in range(len(valid) - 1):
        if not (valid[day] and valid[day + 1]):
            continue
        for epoch in range(EPOCHS_PER_DAY):
            t = start + (day * EPOCHS_PER_DAY + epoch) * EPOCH + EPOCH // 2
            a, b = state(t), state(t + DAY)
            if "unknown" not in (a, b):
                compared += 1
                same += a == b
    return None if compared == 0 else (-100 + 200 * same / compared, compared)


@st.composite
def intervals(draw: st.DrawFn, start: int, days: int) -> list[tuple[int, int]]:
    found = []
    for _ in range(draw(st.integers(0, 6))):
        # on the 15-s grid half the time, so interval ends fall on epoch midpoints too
        unit = draw(st.sampled_from([15_000, 1]))
        begin = start + unit * draw(st.integers(-7200 * 15_000 // unit, days * DAY // unit))
        length = unit * draw(st.integers(1, 10 * 3_600_000 // unit))
        found.append((begin, begin + length))
    return found


@st.composite
def sleep_days(draw: st.DrawFn) -> dict[str, Any]:
    days = draw(st.integers(2, 3))
    start = draw(st.integers(1_700_000_000_000, 1_800_000_000_000))
    return {
        "start": start,
        "valid": draw(st.lists(st.booleans(), min_size=days, max_size=days)),
        "asleep": draw(intervals(start, days)),
        "unknown": draw(intervals(start, days)),
    }


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=sleep_days())
def test_sri_matches_the_epoch_by_epoch_definition(case: dict[str, Any]) -> None:
    states = epoch_states(case["start"], len(case["valid"]), case["asleep"], case["unknown"])
    result = sleep_regularity_index(states, case["valid"])
    expected = naive_sri(case["start"], case["valid"], case["asleep"], case["unknown"])
    if expected is None:
        assert result is None
    else:
        assert result is not None
        assert abs(result.value - expected[0]) < 1e-9
        assert result.epoch_pairs == expected[1]


def test_sri_of_identical_days_is_100_and_of_inverted_days_is_minus_100() -> None:
    start = 1_750_000_000_000
    nights = [
        (start + d * DAY + 11 * 3_600_000, start + d * DAY + 19 * 3_600_000) for d in range(7)
    ]
    same = sleep_regularity_index(epoch_states(start, 7, nights), [True] * 7)
    assert same is not None and same.value == 100 and same.day_pairs == 6
    half = 12 * 3_600_000  # asleep in the first half of even days, the second of odd ones
    alternate = [
        (start + d * DAY + (d % 2) * half, start + d * DAY + (d % 2 + 1) * half) for d in range(7)
    ]
    inverted = sleep_regularity_index(epoch_states(start, 7, alternate), [True] * 7)
    assert inverted is not None and inverted.value == -100
    assert (
        sleep_regularity_index(epoch_states(start, 7, nights), [True, False] * 3 + [True]) is None
    )


clock = st.floats(min_value=0, max_value=1439.99, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(values=st.lists(clock, min_size=2, max_size=12))
def test_clock_sd_matches_the_reference_on_the_circle(values: list[float]) -> None:
    result = clock_time_sd(values)
    assert result is not None
    assert abs(result - circular_sd(values)) < 1e-6


@settings(max_examples=200, deadline=None)
@given(
    free=st.lists(st.floats(min_value=0, max_value=240), min_size=1, max_size=3),
    work=st.lists(st.floats(min_value=0, max_value=240), min_size=1, max_size=6),
    shift=st.floats(min_value=0, max_value=1440),
)
def test_social_jet_lag_is_the_circular_mean_difference_wherever_midnight_falls(
    free: list[float], work: list[float], shift: float
) -> None:
    moved_free = [(v + shift) % 1440 for v in free]
    moved_work = [(v + shift) % 1440 for v in work]
    result = social_jet_lag(moved_free, moved_work)
    assert result is not None
    expected = wrapped(circular_mean(free), circular_mean(work))
    assert abs(result - expected) < 1e-6
    reverse = social_jet_lag(moved_work, moved_free)
    assert reverse is not None and abs(result + reverse) < 1e-6
    assert social_jet_lag([], work) is None and social_jet_lag(free, []) is None


def test_onsets_either_side_of_midnight_are_minutes_apart() -> None:
    assert abs((clock_time_sd([1430.0, 10.0]) or 0) - clock_time_sd_plain(-10.0, 10.0)) < 1e-9


def clock_time_sd_plain(a: float, b: float) -> float:
    mean = (a + b) / 2
    return float(((a - mean) ** 2 + (b - mean) ** 2) ** 0.5)


@st.composite
def sleep_records(draw: st.DrawFn) -> list[dict[str, Any]]:
    records = []
    for index in range(draw(st.integers(1, 8))):
        start = draw(st.integers(0, 5 * 1440))
        length = draw(st.integers(20, 700))
        origin = draw(st.sampled_from(["com.sec.android.app.shealth", "com.ouraring.oura"]))
        records.append(
            session(
                start,
                start + length,
                contiguous(start, ("AWAKE", min(10, length)), ("LIGHT", max(0, length - 10))),
                origin=origin,
                record_id=f"r{index}",
            )
        )
    return records


def visible_to_owner(records: list[dict[str, Any]]) -> int:
    """Sessions the night owning their period can see: its window holds the records touching
    it, so a session starting after that window's end (noon) is out of its sight even when it
    overlaps the period. Core gives windows no look-ahead; until it does, such a session is
    left out (it could only corroborate or, rarely, be primary)."""
    count = 0
    for period in periods_of(records):
        owner_end = datetime.combine(night_of(period.first), time(12)) + timedelta(days=1)
        for facts in period.sessions:
            start = local(facts.start, facts.start_offset).replace(tzinfo=None)
            count += start < owner_end
    return count


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=sleep_records())
def test_every_session_belongs_to_exactly_one_night_window(records: list[dict[str, Any]]) -> None:
    (spec,) = plugin.etl_record_types()
    export = write_health_connect("SleepSessionRecord", records)
    owned = 0
    for window in windows_from_exports(spec, NIGHT_RULE, [export]):
        result = plugin.etl_process_window(window, spec)
        if result is not None:
            owned += result.insights["sessions"]
            night = result.insights["night"]
            assert night is None or night["night_of"] == window.first_day.isoformat()
    assert owned == visible_to_owner(records)


def test_a_session_overlapping_a_night_from_after_its_window_is_not_seen() -> None:
    """The limit above, pinned: a session from 00:20 to 12:01 is Friday's night; a second
    record from 12:00 overlaps it but starts in Saturday's window, so Friday's window cannot
    see it and Saturday's does not own the period."""
    night = session(500, 1201, contiguous(500, ("AWAKE", 10), ("LIGHT", 691)), record_id="n")
    late = session(1200, 1220, contiguous(1200, ("LIGHT", 20)), record_id="late")
    assert visible_to_owner([night, late]) == 1
    (spec,) = plugin.etl_record_types()
    export = write_health_connect("SleepSessionRecord", [night, late])
    friday, saturday = windows_from_exports(spec, NIGHT_RULE, [export])
    seen = plugin.etl_process_window(friday, spec)
    assert seen is not None and seen.insights["sessions"] == 1
    assert seen.insights["night"]["corroboration"] == []
    assert plugin.etl_process_window(saturday, spec) is None
