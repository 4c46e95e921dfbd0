"""Which calendar windows the heart-rate plugin asks core for, per record type (see
:mod:`etl_heartrate.window_report` for what each one means).

Kept apart from the window processing because core asks for them at start-up
(``etl_windows``), which should not import the analysis."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from etl_core import WindowRule
from etl_core.contract.windows import SUNDAY
from etl_heartrate.specs import HEART_RATE, HRV_RMSSD

HEART_RATE_DAY = WindowRule.day("day", lookback_days=1)
HEART_RATE_WEEK = WindowRule.iso_week("week", lookback_days=28)
HRV_NIGHT = WindowRule.night("night", lookback_days=35)
HRV_WEEK = WindowRule("week", days=7, ends_on=SUNDAY, start_hour=12, lookback_days=41)

WINDOW_RULES: Mapping[str, tuple[WindowRule, ...]] = {
    HEART_RATE: (HEART_RATE_DAY, HEART_RATE_WEEK),
    HRV_RMSSD: (HRV_NIGHT, HRV_WEEK),
}


def window_rules(record_type: str) -> Sequence[WindowRule] | None:
    return WINDOW_RULES.get(record_type)
