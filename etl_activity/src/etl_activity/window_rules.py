"""The calendar windows etl-activity asks core for: a local day and an ISO week.

Kept apart from the window processing because core asks for them at start-up
(``etl_windows``), which should not import the analysis."""

from __future__ import annotations

from etl_core import WindowRule

DAY_RULE_NAME = "day"
WEEK_RULE_NAME = "week"

WINDOW_RULES = (
    WindowRule.day(DAY_RULE_NAME),
    # A week of lookback brings the previous ISO week, for the week-to-week comparison.
    WindowRule.iso_week(WEEK_RULE_NAME, lookback_days=7),
)
