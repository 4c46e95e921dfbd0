"""The consensus 15-minute event rule on crafted 5-minute traces, and against a streaming
reference written here."""

from __future__ import annotations

from glucose_builders import reference_events
from hypothesis import given, settings
from hypothesis import strategies as st

from etl_glucose.events import (
    Episode,
    EventRule,
    continuous_segments,
    find_episodes,
    run_duration_ms,
)

MIN = 60_000
STEP = 5 * MIN
RULE = EventRule(
    min_duration_ms=15 * MIN, recovery_ms=15 * MIN, interval_ms=STEP, max_gap_ms=20 * MIN
)
EXTENDED = EventRule(
    min_duration_ms=120 * MIN,
    recovery_ms=15 * MIN,
    interval_ms=STEP,
    max_gap_ms=20 * MIN,
    strictly_longer=True,
)


def times(n: int, step: int = STEP) -> list[int]:
    return [i * step for i in range(n)]


def lows(values: list[float], threshold: float = 70.0, rule: EventRule = RULE) -> list[Episode]:
    return find_episodes(times(len(values)), values, threshold, "below", rule)


NORMAL = [100.0] * 6


def test_ten_minutes_below_is_no_event() -> None:
    assert lows([*NORMAL, 65.0, 60.0, *NORMAL]) == []


def test_fifteen_minutes_below_is_one_event() -> None:
    values = [*NORMAL, 65.0, 60.0, 62.0, *NORMAL]
    [event] = lows(values)
    assert (event.first_index, event.last_index) == (6, 8)
    assert event.start_ms == 6 * STEP
    assert event.end_ms == 9 * STEP  # first reading of the 15-minute recovery
    assert event.duration_ms == 15 * MIN
    assert event.extreme_mg_dl == 60.0
    assert event.recovered


def test_a_single_reading_is_never_an_event_even_at_fifteen_minute_sampling() -> None:
    rule = EventRule(
        min_duration_ms=15 * MIN, recovery_ms=15 * MIN, interval_ms=15 * MIN, max_gap_ms=20 * MIN
    )
    values = [100.0, 60.0, 100.0, 100.0]
    assert find_episodes(times(4, 15 * MIN), values, 70.0, "below", rule) == []
    values = [100.0, 60.0, 61.0, 100.0]
    assert len(find_episodes(times(4, 15 * MIN), values, 70.0, "below", rule)) == 1


def test_ten_minute_recovery_inside_does_not_split() -> None:
    values = [*NORMAL, 65.0, 60.0, 62.0, 75.0, 80.0, 66.0, 55.5, 64.0, *NORMAL]
    [event] = lows(values)
    assert (event.first_index, event.last_index) == (6, 13)
    assert event.extreme_mg_dl == 55.5
    assert event.end_ms == 14 * STEP
    assert event.duration_ms == 40 * MIN


def test_fifteen_minute_recovery_splits_into_two_events() -> None:
    values = [*NORMAL, 65.0, 60.0, 62.0, 75.0, 80.0, 85.0, 66.0, 58.0, 64.0, *NORMAL]
    first, second = lows(values)
    assert first.end_ms == 9 * STEP
    assert second.start_ms == 12 * STEP
    assert (first.extreme_mg_dl, second.extreme_mg_dl) == (60.0, 58.0)


def test_short_dip_after_an_event_that_recovered_is_not_an_event() -> None:
    values = NORMAL + [65.0, 60.0, 62.0] + [90.0] * 3 + [60.0, 61.0] + NORMAL
    assert len(lows(values)) == 1


def test_extended_hypoglycaemia_needs_more_than_120_minutes() -> None:
    exactly_120 = NORMAL + [60.0] * 24 + NORMAL  # 24 readings x 5 min = 120 min
    assert lows(exactly_120, rule=EXTENDED) == []
    assert len(lows(exactly_120)) == 1
    over_120 = NORMAL + [60.0] * 25 + NORMAL
    [event] = lows(over_120, rule=EXTENDED)
    assert event.duration_ms == 125 * MIN


def test_extended_event_ends_only_after_fifteen_minutes_of_recovery() -> None:
    values = NORMAL + [60.0] * 25 + [72.0, 72.0] + [60.0] * 4 + NORMAL
    [event] = lows(values, rule=EXTENDED)
    assert event.end_ms == (6 + 25 + 2 + 4) * STEP


def test_level_2_inside_level_1() -> None:
    values = [*NORMAL, 66.0, 62.0, 52.0, 50.0, 48.0, 53.0, 60.0, 65.0, *NORMAL]
    [level1] = lows(values, 70.0)
    [level2] = lows(values, 54.0)
    assert (level1.first_index, level1.last_index) == (6, 13)
    assert (level2.first_index, level2.last_index) == (8, 11)
    assert level1.start_ms <= level2.start_ms and level2.end_ms <= level1.end_ms
    assert level1.extreme_mg_dl == level2.extreme_mg_dl == 48.0


def test_brief_level_2_dip_inside_level_1_is_only_level_1() -> None:
    values = [*NORMAL, 66.0, 62.0, 52.0, 50.0, 60.0, 65.0, *NORMAL]
    assert len(lows(values, 70.0)) == 1
    assert lows(values, 54.0) == []


def test_hyperglycaemia_uses_strictly_above_and_reports_peak() -> None:
    at_threshold = NORMAL + [180.0] * 6 + NORMAL
    assert find_episodes(times(18), at_threshold, 180.0, "above", RULE) == []
    values = [*NORMAL, 190.0, 240.0, 260.0, 210.0, *NORMAL]
    [event] = find_episodes(times(len(values)), values, 180.0, "above", RULE)
    assert event.extreme_mg_dl == 260.0
    assert event.duration_ms == 20 * MIN


def test_timestamp_drift_of_seconds_does_not_break_fifteen_minutes() -> None:
    drifting = [0, 299_000, 598_000, 897_000, 1_197_000, 1_496_000, 1_796_000]
    values = [65.0, 60.0, 62.0, 100.0, 100.0, 100.0, 100.0]
    [event] = find_episodes(drifting, values, 70.0, "below", RULE)
    assert event.end_ms == 897_000


def test_a_gap_breaks_continuity_and_leaves_the_event_unrecovered() -> None:
    stamps = [0, STEP, 2 * STEP, 3 * STEP, 3 * STEP + 60 * MIN, 4 * STEP + 60 * MIN]
    values = [60.0, 60.0, 60.0, 60.0, 60.0, 60.0]
    [event] = find_episodes(stamps, values, 70.0, "below", RULE)
    assert not event.recovered
    assert event.end_ms == 4 * STEP  # last reading before the gap plus one interval
    assert list(continuous_segments(stamps, 20 * MIN)) == [(0, 4), (4, 6)]


def test_event_open_at_the_end_of_data_is_not_recovered() -> None:
    values = [*NORMAL, 60.0, 60.0, 60.0, 75.0]
    [event] = lows(values)
    assert not event.recovered
    assert event.end_ms == 9 * STEP


def test_run_duration_counts_sampling_slots() -> None:
    assert run_duration_ms([0, 301_000, 599_000], 0, 2, STEP) == 15 * MIN
    assert run_duration_ms([0, 600_000], 0, 1, STEP) == 15 * MIN  # one missed reading


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from([45.0, 53.9, 54.0, 62.0, 69.9, 70.0, 95.0]), max_size=80))
def test_events_match_the_streaming_reference(values: list[float]) -> None:
    for threshold in (70.0, 54.0):
        found = [(e.first_index, e.last_index, e.extreme_mg_dl) for e in lows(values, threshold)]
        assert found == reference_events(values, threshold)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from([50.0, 65.0, 75.0, 100.0]), max_size=80))
def test_extended_events_are_below_70_events_with_a_long_opening_run(values: list[float]) -> None:
    extended = lows(values, rule=EXTENDED)
    plain = lows(values)
    for event in extended:
        run = event.first_index
        while run < len(values) and values[run] < 70.0:
            run += 1
        assert (run - event.first_index) * STEP > 120 * MIN
        assert any(p.first_index <= event.first_index <= p.last_index for p in plain)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from([120.0, 180.0, 180.1, 230.0, 250.0, 251.0, 320.0]), max_size=80))
def test_high_events_match_the_streaming_reference(values: list[float]) -> None:
    for threshold in (180.0, 250.0):
        found = [
            (e.first_index, e.last_index, e.extreme_mg_dl)
            for e in find_episodes(times(len(values)), values, threshold, "above", RULE)
        ]
        assert found == reference_events(values, threshold, above=True)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.sampled_from([50.0, 65.0, 75.0, 100.0]), min_size=1, max_size=60),
    st.lists(st.integers(min_value=-4_000, max_value=4_000), min_size=60, max_size=60),
)
def test_seconds_of_timestamp_drift_change_no_event(values: list[float], drift: list[int]) -> None:
    exact = lows(values)
    stamps = [t + drift[i] for i, t in enumerate(times(len(values)))]
    drifted = find_episodes(stamps, values, 70.0, "below", RULE)
    assert [(e.first_index, e.last_index) for e in drifted] == [
        (e.first_index, e.last_index) for e in exact
    ]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.sampled_from([50.0, 65.0, 100.0]), min_size=2, max_size=60),
    st.integers(min_value=1, max_value=59),
)
def test_no_event_bridges_a_gap(values: list[float], cut: int) -> None:
    cut = min(cut, len(values) - 1)
    stamps = times(len(values))
    stamps = stamps[:cut] + [t + 60 * MIN for t in stamps[cut:]]
    for event in find_episodes(stamps, values, 70.0, "below", RULE):
        assert event.last_index < cut or event.first_index >= cut
        assert event.end_ms <= stamps[cut] or event.start_ms >= stamps[cut]
