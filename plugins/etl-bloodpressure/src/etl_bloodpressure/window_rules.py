"""The calendar windows the blood pressure plugin asks core for.

Kept apart from :mod:`etl_bloodpressure.windows` because core asks for them at start-up
(``etl_windows``), which should not import the analysis."""

from __future__ import annotations

from etl_core import WindowRule

WINDOW_RULES = (WindowRule.day(), WindowRule.iso_week())
"""A local day (midnight to midnight) and an ISO week (Monday to Sunday): a day's readings
alone never reach the guideline's two occasions; a week of morning and evening readings does."""
