from __future__ import annotations

from etl_core.figures import figures_in, unsupported_figures


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
