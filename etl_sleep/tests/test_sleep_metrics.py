"""Per-session metrics against a plain computation from tidy raw stages."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from sleep_builders import contiguous, session

from etl_sleep.metrics import session_metrics
from etl_sleep.stages import ALL_STAGES

MIN = 60_000
SLEEP = {"LIGHT", "DEEP", "REM", "SLEEPING"}
WAKE = {"AWAKE", "OUT_OF_BED"}


def reference(
    stages: list[tuple[str, float, float]], start: float, end: float
) -> dict[str, object]:
    """Textbook definitions, on stages that are sorted, disjoint and inside the session."""
    sleep = [s for s in stages if s[0] in SLEEP]
    if not sleep:
        return {"tst": None, "latency": None, "waso": None, "awakenings": None}
    onset, final = sleep[0][1], sleep[-1][2]
    inside = [s for s in stages if onset <= s[1] and s[2] <= final]
    return {
        "tst": sum(b - a for _, a, b in sleep),
        # a session that starts asleep recorded no time awake in bed: latency not recorded;
        # time before onset not recorded as wake (a gap, UNKNOWN) makes it unknown
        "latency": onset - start
        if onset > start
        and sum(b - a for n, a, b in stages if b <= onset and n in WAKE) == onset - start
        else None,
        "waso": sum(b - a for n, a, b in inside if n in WAKE),
        "awakenings": _reference_awakenings(stages),
    }


tidy_stages = st.lists(
    st.tuples(
        st.sampled_from(ALL_STAGES),
        st.integers(min_value=1, max_value=40),
        st.integers(min_value=0, max_value=3),  # gap before the stage, in minutes
    ),
    max_size=30,
)


@settings(max_examples=150, deadline=None)
@given(pieces=tidy_stages, lead=st.integers(0, 20), tail=st.integers(0, 20))
def test_session_metrics_match_the_definitions(
    pieces: list[tuple[str, int, int]], lead: int, tail: int
) -> None:
    stages: list[tuple[str, float, float]] = []
    cursor = float(lead)
    for name, length, gap in pieces:
        cursor += gap
        stages.append((name, cursor, cursor + length))
        cursor += length
    end = cursor + tail
    metrics = session_metrics(session(0, end, stages))
    expected = reference(stages, 0, end)

    def ms(value: object) -> int | None:
        return None if value is None else round(float(value) * MIN)  # type: ignore[arg-type]

    assert metrics.time_in_bed_ms == round(end * MIN)
    assert metrics.total_sleep_ms == ms(expected["tst"])
    assert metrics.latency_ms == ms(expected["latency"])
    assert metrics.waso_ms == ms(expected["waso"])
    assert metrics.awakenings == expected["awakenings"]
    for stage in ALL_STAGES:
        assert metrics.stage_ms[stage] == round(
            sum(b - a for n, a, b in stages if n == stage) * MIN
        )
    architecture = sum(b - a for n, a, b in stages if n in ("LIGHT", "DEEP", "REM"))
    for stage in ("LIGHT", "DEEP", "REM"):
        share = metrics.stage_share(stage)
        if architecture == 0:
            assert share is None
        else:
            own = sum(b - a for n, a, b in stages if n == stage)
            assert share is not None and abs(share - own / architecture) < 1e-12
    covered = sum(b - a for _, a, b in stages)
    assert metrics.covered_ms == round(covered * MIN)
    assert metrics.covered_ms + metrics.gap_ms == metrics.time_in_bed_ms
    if metrics.efficiency is not None:
        assert 0 <= metrics.efficiency <= 1
        assert abs(metrics.efficiency - expected["tst"] / end) < 1e-12  # type: ignore[operator]


def _reference_awakenings(stages: list[tuple[str, float, float]]) -> int:
    """Wake minutes between onset and final wake, grouped into touching runs."""
    sleep = [s for s in stages if s[0] in SLEEP]
    onset, final = sleep[0][1], sleep[-1][2]
    runs: list[list[float]] = []
    for name, a, b in stages:
        if name not in WAKE or a < onset or b > final:
            continue
        if runs and runs[-1][1] == a:
            runs[-1][1] = b
        else:
            runs.append([a, b])
    return sum(1 for a, b in runs if b - a > 5)


def test_a_worked_night() -> None:
    stages = contiguous(
        0,
        ("AWAKE", 12),  # latency 12
        ("LIGHT", 60),
        ("DEEP", 45),
        ("AWAKE", 4),  # short awakening
        ("REM", 30),
        ("AWAKE", 3),
        ("OUT_OF_BED", 4),  # one 7-minute awakening across two wake stages
        ("LIGHT", 90),
        ("REM", 40),
        ("AWAKE", 6),  # after the final sleep stage: not WASO
    )
    metrics = session_metrics(session(0, 294, stages))
    assert metrics.time_in_bed_ms == 294 * MIN
    assert metrics.total_sleep_ms == (60 + 45 + 30 + 90 + 40) * MIN
    assert metrics.latency_ms == 12 * MIN
    assert metrics.waso_ms == (4 + 3 + 4) * MIN
    assert metrics.awake_ms == (12 + 4 + 3 + 4 + 6) * MIN
    assert metrics.awakenings == 1
    assert metrics.efficiency == 265 / 294


def test_exactly_five_minutes_is_not_an_awakening() -> None:
    stages = contiguous(0, ("LIGHT", 30), ("AWAKE", 5), ("LIGHT", 30))
    assert session_metrics(session(0, 65, stages)).awakenings == 0


def test_sleeping_only_has_sleep_time_but_no_stage_percentages() -> None:
    metrics = session_metrics(session(0, 100, contiguous(0, ("SLEEPING", 80), ("AWAKE", 20))))
    assert metrics.total_sleep_ms == 80 * MIN
    assert metrics.stage_share("DEEP") is None
    assert metrics.has_sleep_stages and not metrics.has_architecture
