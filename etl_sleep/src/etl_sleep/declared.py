"""What the sleep plugin declares to core at start-up: its windows and the fixed figures an
output may state (the spec's ``reference_values``).

Kept apart from the analysis, which uses the same constants, because core asks for these when
it loads plugins (``etl_record_types``, ``etl_windows``), which should import no analysis."""

from __future__ import annotations

from etl_core import WindowRule
from etl_core.contract.windows import SUNDAY

NIGHT_START_HOUR = 12
"""Nights run from local noon to local noon, like ``WindowRule.night()``."""

NIGHT_RULE = WindowRule.night("night", lookback_days=1)
"""Noon to noon, named by the evening; the night before comes along for a comparison."""
WEEK_RULE = WindowRule("week", days=7, ends_on=SUNDAY, start_hour=NIGHT_START_HOUR, lookback_days=7)
"""The ISO week's seven nights (Monday night to Sunday night): Monday noon to the next Monday
noon, so each night falls whole into one week; the week before comes along for a comparison."""
RULES = (NIGHT_RULE, WEEK_RULE)

MIN_NIGHTS_WEEKLY = 5
NIGHTS_PER_WEEK = 7
MIN_SRI_DAY_PAIRS = 4

REFERENCE_VALUES: dict[str, float] = {
    "sleep_duration_min_h": 7,
    "sleep_duration_min_min": 420,
    "efficiency_min_percent": 85,
    "latency_max_min": 30,
    "waso_max_min": 20,
    "min_nights_weekly": MIN_NIGHTS_WEEKLY,
    "nights_per_week": NIGHTS_PER_WEEK,
    "min_sri_day_pairs": MIN_SRI_DAY_PAIRS,
    "sri_chance": 0,
    "sri_identical_days": 100,
    "typical_light_percent_low": 45,
    "typical_light_percent_high": 55,
    "typical_deep_percent_low": 15,
    "typical_deep_percent_high": 20,
    "typical_rem_percent_low": 20,
    "typical_rem_percent_high": 25,
    "nsf_max_h_18_64": 9,
    "nsf_max_h_65_plus": 8,
}
"""Thresholds and fixed figures an output may state without the input holding them (the
spec's ``reference_values``; also the ``targets`` insight)."""
