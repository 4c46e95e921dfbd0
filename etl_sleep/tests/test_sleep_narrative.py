"""Every narrative states only figures its insights hold, and labels agree with figures."""

from __future__ import annotations

import re
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sleep_builders import session

from etl_core import UserContext
from etl_core.contract.figures import unsupported_figures
from etl_sleep.analysis import analyse
from etl_sleep.source_rule import parse_source_rule
from etl_sleep.stages import ALL_STAGES

ORIGINS = ("com.sec.android.app.shealth", "com.ouraring.oura", "org.example.sleep2")


@st.composite
def sessions(draw: st.DrawFn) -> dict[str, Any]:
    start = draw(st.integers(min_value=0, max_value=6 * 1440))
    length = draw(st.integers(min_value=0, max_value=720))
    stages = []
    cursor = start + draw(st.integers(min_value=-15, max_value=30))
    for _ in range(draw(st.integers(min_value=0, max_value=12))):
        cursor += draw(st.integers(min_value=-10, max_value=10))
        span = draw(st.integers(min_value=-1, max_value=90))
        stages.append((draw(st.sampled_from(ALL_STAGES)), cursor, cursor + span))
        cursor += max(span, 0)
    return session(
        start,
        start + length,
        stages,
        origin=draw(st.sampled_from(ORIGINS)),
        record_id=f"r{draw(st.integers(0, 10**6))}",
        start_offset=draw(st.sampled_from(["-05:00", "-04:00", "+05:30", "Z", None])),
    )


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    records=st.lists(sessions(), max_size=10),
    age=st.one_of(st.none(), st.integers(min_value=10, max_value=90)),
)
def test_narrative_figures_come_from_insights(
    records: list[dict[str, Any]], age: int | None
) -> None:
    result = analyse(records, UserContext(age_years=age), parse_source_rule(None), 180)
    assert unsupported_figures(result.narrative, result.insights) == []
    _assert_labels_match(result.narrative, result.insights)


def _assert_labels_match(narrative: str, insights: dict[str, Any]) -> None:
    targets = insights["targets"]
    for night in insights["nights"]:
        meets = night["meets"]
        if meets["duration"] is not None:
            assert (night["total_sleep_min"] >= targets["sleep_duration_min_min"]) is meets[
                "duration"
            ]
        if meets["efficiency"] is not None:
            assert (night["efficiency_percent"] >= 85) is meets["efficiency"]
            word = "reaches" if meets["efficiency"] else "falls below"
            assert f"efficiency of {night['efficiency_percent']:.1f}% {word}" in narrative
        if meets["waso"] is not None:
            word = "is within" if meets["waso"] else "exceeds"
            assert f"(WASO) of {night['waso_min']:.1f} min {word} 20 min" in narrative
        if night["total_sleep_min"] is not None:
            assert night["total_sleep_min"] <= night["time_in_bed_min"]
    meeting = insights["across_nights"].get("nights_meeting")
    if len(insights["nights"]) >= 2 and meeting is not None:
        for target, counts in meeting.items():
            judged = [
                n["meets"][target] for n in insights["nights"] if n["meets"][target] is not None
            ]
            assert counts == ({"met": sum(judged), "judged": len(judged)} if judged else None)
    missed = any(v is False for n in insights["nights"] for v in n["meets"].values())
    assert ("Where a target is missed" in narrative) is missed
    # no trend language from so few nights
    assert not re.search(r"\btrend|improv|worsen", narrative, re.IGNORECASE)
    # no diagnosis
    assert not re.search(r"insomnia|apnoea|apnea|disorder", narrative, re.IGNORECASE)
