from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from etl_activity.source_rule import (
    Candidate,
    Criterion,
    SourceRule,
    source_rule_from_env,
)

MINUTE = 60_000


def test_default_rule_is_coverage_first_with_no_priority() -> None:
    rule = source_rule_from_env({})
    assert rule == SourceRule(priority_first=False, priority=())
    assert rule.as_insight()["order"] == ["coverage", "priority", "name"]


def test_environment_configures_order_and_priority() -> None:
    rule = source_rule_from_env(
        {
            "ETL_ACTIVITY_SOURCE_RULE": " Priority-First ",
            "ETL_ACTIVITY_SOURCE_PRIORITY": "com.ouraring.oura, com.sec.android.app.shealth,,"
            "com.ouraring.oura",
        }
    )
    assert rule.priority_first
    assert rule.priority == ("com.ouraring.oura", "com.sec.android.app.shealth")
    assert rule.as_insight()["order"] == ["priority", "coverage", "name"]
    assert "com.ouraring.oura" in rule.describe()


def test_unknown_rule_name_is_refused() -> None:
    with pytest.raises(ValueError, match="ETL_ACTIVITY_SOURCE_RULE"):
        source_rule_from_env({"ETL_ACTIVITY_SOURCE_RULE": "sum"})


def test_wider_coverage_wins_by_default() -> None:
    winner, reason = SourceRule().choose(
        [Candidate("b.ring", 20 * 60 * MINUTE), Candidate("a.phone", 24 * 60 * MINUTE - 1)]
    )
    assert (winner.source, reason) == ("a.phone", Criterion.COVERAGE)


def test_sub_minute_coverage_difference_is_a_tie_decided_by_priority() -> None:
    rule = SourceRule(priority=("b.ring",))
    winner, reason = rule.choose(
        [Candidate("a.phone", 24 * 60 * MINUTE), Candidate("b.ring", 24 * 60 * MINUTE - 1)]
    )
    assert (winner.source, reason) == ("b.ring", Criterion.PRIORITY)


def test_priority_first_overrides_coverage() -> None:
    rule = SourceRule(priority_first=True, priority=("b.ring",))
    winner, reason = rule.choose(
        [Candidate("a.phone", 24 * 60 * MINUTE), Candidate("b.ring", 60 * MINUTE)]
    )
    assert (winner.source, reason) == ("b.ring", Criterion.PRIORITY)


def test_full_tie_falls_to_package_name_and_single_source_is_named() -> None:
    winner, reason = SourceRule().choose([Candidate("z.app", MINUTE), Candidate("a.app", MINUTE)])
    assert (winner.source, reason) == ("a.app", Criterion.NAME)
    assert SourceRule().choose([Candidate("z.app", 0)])[1] is Criterion.ONLY_SOURCE


sources = st.sampled_from(["a.phone", "b.ring", "c.watch", "d.scale"])


@settings(max_examples=80, deadline=None)
@given(
    coverage=st.dictionaries(sources, st.integers(0, 1440 * MINUTE), min_size=1),
    priority=st.lists(sources, unique=True),
    priority_first=st.booleans(),
)
def test_choice_matches_a_plain_reference(
    coverage: dict[str, int], priority: list[str], priority_first: bool
) -> None:
    rule = SourceRule(priority_first=priority_first, priority=tuple(priority))
    candidates = [Candidate(s, ms) for s, ms in coverage.items()]

    def rank(source: str) -> int:
        return priority.index(source) if source in priority else len(priority)

    best = None
    for source, ms in sorted(coverage.items()):
        minutes = round(ms / MINUTE + 1e-9)  # half a minute rounds up
        key = (rank(source), -minutes) if priority_first else (-minutes, rank(source))
        if best is None or key < best[0]:
            best = (key, source)
    assert best is not None
    assert rule.choose(candidates)[0].source == best[1]
    # Record order never changes the choice.
    assert rule.choose(list(reversed(candidates)))[0].source == best[1]
