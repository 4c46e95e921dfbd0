from __future__ import annotations

from etl_core.contract.figures import figures_in, redact_figures, unsupported_figures


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
