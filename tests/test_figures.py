from __future__ import annotations

import re
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from etl_core.contract.figures import (
    figure_value,
    figures_in,
    figures_outside,
    grounding_values,
    redact_figures,
    stated_values,
    supported_values,
    ungrounded_figures,
    unsupported_figures,
)


def test_figures_match_rounded_insights() -> None:
    insights = {"mean": 123.4, "readings": 1210, "tir": 95.0, "start": "2025-09-20T03:10:00-05:00"}
    assert (
        unsupported_figures(
            "1,210 readings averaged 123.4 mg/dL; 95% in range from 03:10.", insights
        )
        == []
    )


def test_unrounded_or_invented_figures_are_reported() -> None:
    insights = {"mean": 123.4567, "target": 70}
    assert unsupported_figures("Mean 123.5, target 70, 14 days needed.", insights) == [
        "123.5",
        "14",
    ]


def test_figures_in_keeps_thousands_separators() -> None:
    assert figures_in("3,933 vs 2,517 steps, 7.5 h") == ["3,933", "2,517", "7.5"]


def test_names_with_digits_are_not_figures_but_times_and_dates_are() -> None:
    assert figures_in("SpO2 95%, HbA1c 7.2, CO2 and T2 diabetes, v1.2") == ["95", "7.2"]
    assert figures_in("2025-09-20T03:10:00-05:00") == [
        "2025",
        "09",
        "20",
        "03",
        "10",
        "00",
        "05",
        "00",
    ]
    assert figures_in("3x2 sets, 120mmHg, -5 steps") == ["3", "2", "120", "5"]
    assert unsupported_figures("Mean SpO2 was 96.5%.", {"mean_percent": 96.5}) == []


def test_redact_figures_replaces_all_or_only_the_named_figures() -> None:
    assert redact_figures("a reading of 250.5 at 03:10, SpO2") == "a reading of # at #:#, SpO2"
    assert redact_figures("3 of 10 readings peak at 250", ["250"]) == "3 of 10 readings peak at #"


def test_digits_in_insight_names_still_support_the_narrative() -> None:
    insights = {"category_counts": {"hypertension_stage1": 2, "hypertension_stage_2": 0}}
    assert unsupported_figures("2 readings were stage 1; none stage 2.", insights) == []


def _values_by_definition(node: object) -> set[Decimal]:
    """What the insights support, read straight from the module's rules: every number, and
    every digit run of every string (keys included), by magnitude."""
    if isinstance(node, bool) or node is None:
        return set()
    if isinstance(node, int | float):
        value = figure_value(repr(float(node)) if isinstance(node, float) else str(node))
        return set() if value is None else {abs(value)}
    if isinstance(node, str):
        runs = re.findall(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?", node)
        return {abs(v) for run in runs if (v := figure_value(run)) is not None}
    if isinstance(node, dict):
        return set().union(*(_values_by_definition(x) for kv in node.items() for x in kv))
    if isinstance(node, list | tuple):
        return set().union(*(_values_by_definition(x) for x in node))
    return set()


_INSIGHT_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.from_regex(r"[a-z0-9:T_ .,-]{0,20}", fullmatch=True),
)
_INSIGHTS = st.recursive(
    _INSIGHT_LEAVES,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.from_regex(r"[a-z0-9_]{1,8}", fullmatch=True), children, max_size=4)
    ),
    max_leaves=40,
)


@settings(max_examples=300, deadline=None)
@given(insights=st.dictionaries(st.from_regex(r"[a-z_]{1,8}", fullmatch=True), _INSIGHTS))
def test_supported_values_are_every_figure_of_the_insights(insights: dict[str, object]) -> None:
    assert supported_values(insights) == _values_by_definition(insights)


def test_one_allowed_set_checks_many_texts_as_ungrounded_figures_does() -> None:
    summary = "Mean glucose 123.4 mg/dL over 14 days; 72% of readings in range."
    references = {"range_low": 70.0, "range_high": 180.0}
    allowed = grounding_values(summary, references)
    assert allowed == stated_values(summary) | supported_values(references)
    for output in ("Mean 123.4, 72% in range 70-180.", "Mean 124 over 14 days.", "no figures"):
        assert figures_outside(output, allowed) == ungrounded_figures(output, summary, references)
    assert figures_outside("Mean 124 over 14 days.", allowed) == ["124"]
