"""The clinical thresholds and configurable rules every glucose figure follows.

Numbers come from the International Consensus on Time in Range (Battelino 2019), the
consensus event definitions (Danne 2017, Battelino 2023) and the CGM data-sufficiency rule;
see ``/work/shared/reference/clinical.md`` and the package README.
"""

from __future__ import annotations

from dataclasses import dataclass

from etl_core import ValueRange

MINUTE_MS = 60_000
HOUR_MS = 3_600_000
DAY_MS = 86_400_000

PLAUSIBLE_MG_DL = ValueRange(low=20.0, high=600.0, unit="mg/dL")
"""Values a glucose meter or CGM can report as a number. Meters display "LO" below 20 mg/dL
and "HI" above 600 mg/dL (the measuring range of the common meters); CGMs are narrower
(40-400 or 40-500 mg/dL). A number outside 20-600 is therefore a device, unit or transfer
error (9999, -5, a mmol/L value of 0 ...), not a glucose level."""


@dataclass(frozen=True, slots=True)
class GlucoseRules:
    """Thresholds (mg/dL), consensus targets (percent) and event rules."""

    very_low: float = 54.0
    low: float = 70.0
    high: float = 180.0
    very_high: float = 250.0

    tir_target_above: float = 70.0
    tbr70_target_below: float = 4.0
    tbr54_target_below: float = 1.0
    tar180_target_below: float = 25.0
    tar250_target_below: float = 5.0
    cv_target_at_most: float = 36.0

    event_minutes: int = 15
    """An event starts after this many consecutive minutes beyond a threshold and ends after
    this many consecutive minutes back on the other side."""
    extended_hypo_minutes: int = 120
    """Extended hypoglycaemia: strictly more than this many consecutive minutes below ``low``."""
    event_min_readings: int = 2
    """A single reading is never an event, even when one reading stands for 15 minutes."""
    max_gap_minutes: int = 20
    """Consecutive readings further apart than this are not continuous: no event, run or
    recovery is carried across the gap (three missed 5-minute readings)."""
    continuous_interval_minutes: int = 15
    """Data sampled more sparsely than this (e.g. fingerstick meters) cannot show 15-minute
    events, wear or CGM sufficiency; those are reported as not assessable."""

    sufficiency_days: float = 14.0
    sufficiency_wear_percent: float = 70.0

    overnight_start_hour: int = 0
    overnight_end_hour: int = 6

    sensor_gap_minutes: int = 120
    """A stretch of at least this many minutes without readings is a sensor gap (an insight
    of its own: sensor changes, signal loss, a phone out of reach)."""
    default_interval_minutes: int = 5
    """The sampling interval assumed when a window holds fewer than two readings (Dexcom and
    most CGMs report every 5 minutes)."""
    report_days: int = 14
    """The consensus report window (Battelino 2019): the most recent 14 days."""
    agp_percentiles: tuple[int, ...] = (5, 25, 50, 75, 95)
    """The Ambulatory Glucose Profile's percentiles per hour of the day (Johnson 2019)."""


DEFAULT_RULES = GlucoseRules()
