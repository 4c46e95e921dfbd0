"""The clean hypnogram: clipping, overlaps, ordering, against a minute-grid reference."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from etl_sleep.stages import ALL_STAGES, StageSpan, clean_stages, gaps, stage_totals

MIN = 60_000
TIE = {"AWAKE": 0, "OUT_OF_BED": 1, "LIGHT": 2, "DEEP": 3, "REM": 4, "SLEEPING": 5, "UNKNOWN": 6}


def raw(stage: str, start_min: int, end_min: int) -> dict[str, object]:
    return {
        "stage": stage,
        "startTimeEpochMillis": start_min * MIN,
        "endTimeEpochMillis": end_min * MIN,
    }


def grid_reference(stages: list[tuple[str, int, int]], length: int) -> list[str | None]:
    """Minute by minute: the covering stage that started last, shortest on ties, then the
    tie precedence; None where nothing covers."""
    minutes: list[str | None] = []
    for minute in range(length):
        covering = [s for s in stages if s[1] <= minute < s[2]]
        if not covering:
            minutes.append(None)
            continue
        best = min(covering, key=lambda s: (-s[1], s[2], TIE[s[0]]))
        minutes.append(best[0])
    return minutes


stage_lists = st.lists(
    st.tuples(
        st.sampled_from(ALL_STAGES),
        st.integers(min_value=-20, max_value=140),
        st.integers(min_value=-5, max_value=60),
    ).map(lambda t: (t[0], t[1], t[1] + t[2])),
    max_size=25,
)


@settings(max_examples=150, deadline=None)
@given(stages=stage_lists, length=st.integers(min_value=1, max_value=120))
def test_clean_hypnogram_matches_minute_grid(
    stages: list[tuple[str, int, int]], length: int
) -> None:
    hyp = clean_stages([raw(*s) for s in stages], 0, length * MIN)
    valid = [s for s in stages if s[2] > s[1]]
    clipped = [(n, max(a, 0), min(b, length)) for n, a, b in valid if min(b, length) > max(a, 0)]
    expected = grid_reference(clipped, length)

    painted: list[str | None] = [None] * length
    for span in hyp.spans:
        assert span.start_ms % MIN == 0 and span.end_ms % MIN == 0
        for minute in range(span.start_ms // MIN, span.end_ms // MIN):
            assert painted[minute] is None, "spans overlap"
            painted[minute] = span.stage
    assert painted == expected

    # sorted, non-overlapping, merged
    for a, b in zip(hyp.spans, hyp.spans[1:], strict=False):
        assert a.end_ms <= b.start_ms
        assert not (a.stage == b.stage and a.end_ms == b.start_ms)
    # the bookkeeping adds up
    assert hyp.invalid_stages == len(stages) - len(valid)
    outside = sum((b - a) - max(0, min(b, length) - max(a, 0)) for _, a, b in valid)
    assert hyp.clipped_ms == outside * MIN
    recorded = sum(b - a for _, a, b in clipped)
    assert hyp.overlap_ms == (recorded - sum(1 for m in expected if m is not None)) * MIN


@settings(max_examples=60, deadline=None)
@given(stages=stage_lists, seed=st.integers(0, 2**16))
def test_input_order_does_not_change_the_hypnogram(
    stages: list[tuple[str, int, int]], seed: int
) -> None:
    shuffled = list(stages)
    random.Random(seed).shuffle(shuffled)
    first = clean_stages([raw(*s) for s in stages], 0, 120 * MIN)
    second = clean_stages([raw(*s) for s in shuffled], 0, 120 * MIN)
    assert first.spans == second.spans
    assert first.overlap_ms == second.overlap_ms


def test_unsorted_stages_are_sorted_and_flagged() -> None:
    hyp = clean_stages([raw("DEEP", 30, 60), raw("LIGHT", 0, 30), raw("REM", 60, 90)], 0, 90 * MIN)
    assert [s.stage for s in hyp.spans] == ["LIGHT", "DEEP", "REM"]
    assert hyp.was_unsorted
    assert hyp.overlap_ms == 0


def test_nested_stage_interrupts_and_the_outer_one_resumes() -> None:
    hyp = clean_stages([raw("LIGHT", 0, 60), raw("AWAKE", 20, 30)], 0, 60 * MIN)
    assert hyp.spans == (
        StageSpan("LIGHT", 0, 20 * MIN),
        StageSpan("AWAKE", 20 * MIN, 30 * MIN),
        StageSpan("LIGHT", 30 * MIN, 60 * MIN),
    )
    assert hyp.overlap_ms == 10 * MIN


def test_stages_outside_the_session_are_clipped_and_counted() -> None:
    hyp = clean_stages(
        [raw("LIGHT", -15, 10), raw("REM", 50, 75), raw("DEEP", 80, 90)], 0, 60 * MIN
    )
    assert hyp.spans == (StageSpan("LIGHT", 0, 10 * MIN), StageSpan("REM", 50 * MIN, 60 * MIN))
    assert hyp.clipped_stages == 3
    assert hyp.clipped_ms == (15 + 15 + 10) * MIN


def test_invalid_stage_items_are_dropped() -> None:
    items: list[dict[str, object]] = [
        raw("LIGHT", 10, 10),
        raw("LIGHT", 20, 15),
        {"stage": "DOZING", "startTimeEpochMillis": 0, "endTimeEpochMillis": MIN},
        {"stage": "LIGHT", "startTimeEpochMillis": None, "endTimeEpochMillis": MIN},
        raw("DEEP", 0, 5),
    ]
    hyp = clean_stages(items, 0, 30 * MIN)
    assert hyp.invalid_stages == 4
    assert hyp.spans == (StageSpan("DEEP", 0, 5 * MIN),)


def test_no_stages() -> None:
    empties: list[list[dict[str, object]] | None] = [None, []]
    for empty in empties:
        hyp = clean_stages(empty, 0, 60 * MIN)
        assert hyp.spans == () and hyp.stage_count == 0


def test_gaps_and_totals() -> None:
    spans = [StageSpan("LIGHT", 5 * MIN, 10 * MIN), StageSpan("AWAKE", 20 * MIN, 25 * MIN)]
    assert gaps(spans, 0, 30 * MIN) == [(0, 5 * MIN), (10 * MIN, 20 * MIN), (25 * MIN, 30 * MIN)]
    totals = stage_totals(spans)
    assert totals["LIGHT"] == 5 * MIN and totals["AWAKE"] == 5 * MIN and totals["REM"] == 0
