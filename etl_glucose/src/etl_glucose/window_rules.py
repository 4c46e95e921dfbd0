"""The windows the glucose plugin asks core for: a local day and the consensus report window.

Kept apart from :mod:`etl_glucose.window_process` because core asks for them at start-up
(``etl_windows``), which should not import the analysis."""

from __future__ import annotations

from etl_core import WindowRule
from etl_glucose.rules import DEFAULT_RULES

SUNDAY = 6
DAY_RULE = WindowRule.day()
REPORT_RULE = WindowRule.days_ending(
    DEFAULT_RULES.report_days,
    SUNDAY,
    "cgm_14d",
    lookback_days=DEFAULT_RULES.report_days,
)
"""The consensus report window: the 14 local days ending on each Sunday, with the 14 days
before it for the comparison with the previous window."""
