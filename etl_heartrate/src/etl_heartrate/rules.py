"""The thresholds and rules behind every heart-rate and HRV figure.

Each value is cited in the README with its source (``shared/reference/clinical.md``). They are
gathered here, in frozen dataclasses, so that a deployment or a test can pass different rules
to the pure functions; the plugin itself uses :data:`DEFAULT_HEART_RATE_RULES` and
:data:`DEFAULT_HRV_RULES`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

PLAUSIBLE_TIME_MS = (0, 4_102_444_800_000)
"""Instants from 1970-01-01 up to (not including) 2100-01-01 UTC. Anything else is a broken
clock or a corrupt value, not a measurement, and cannot be placed on a calendar day."""

MINUTE_MS = 60_000
HOUR_MS = 3_600_000
DAY_MINUTES = 1_440


@dataclass(frozen=True, slots=True)
class SustainRule:
    """When a run of consecutive samples beyond a threshold counts as sustained.

    A run is a maximal sequence of time-ordered samples that all satisfy the threshold, with no
    gap between neighbours longer than ``max_gap_minutes``. It is sustained when it holds at
    least ``min_samples`` samples and lasts (first to last sample) at least
    ``min_duration_minutes``. Requiring several samples as well as a duration keeps two isolated
    spot readings a few minutes apart from ever making an episode.
    """

    min_duration_minutes: float = 5.0
    min_samples: int = 3
    max_gap_minutes: float = 5.0

    @property
    def min_duration_ms(self) -> int:
        return round(self.min_duration_minutes * MINUTE_MS)

    @property
    def max_gap_ms(self) -> int:
        return round(self.max_gap_minutes * MINUTE_MS)


@dataclass(frozen=True, slots=True)
class RestingRule:
    """Resting heart rate: the lowest rolling-window mean of a local day.

    Samples are first averaged per clock minute, so a source that samples every second does not
    outweigh one that samples every minute. A window is ``window_minutes`` consecutive minutes;
    it counts only when at least ``min_window_minutes_covered`` of them hold a sample, and its
    mean is the mean of those minute means. A day gets a resting value only when at least
    ``min_day_coverage`` of a day's 1,440 minutes hold a sample (the same count on the days of
    23 and 25 hours daylight saving time makes): with less, the lowest window is probably not a
    rest period and the value would be a guess.
    """

    window_minutes: int = 30
    min_window_minutes_covered: int = 20
    min_day_coverage: float = 0.20

    @property
    def min_day_minutes_covered(self) -> int:
        # Rounding first keeps float noise (0.2 * 1440 = 288.00000000000003) from adding a minute.
        return math.ceil(round(self.min_day_coverage * DAY_MINUTES, 6))


@dataclass(frozen=True, slots=True)
class RestingTrendRule:
    """A week's resting heart rate against the person's own baseline (clinical.md,
    "Longitudinal windows": Radin et al., Lancet Digit Health 2020).

    The baseline is the median of the daily resting values of the ``baseline_days`` before the
    week, given only when at least ``min_baseline_days`` of them have a value. The week's
    median is compared with it only when at least ``min_week_days`` of its seven days have a
    value: one day is not a change, and the weekly figures of sleep and steps in clinical.md
    need five of seven days too. A rise of ``notable_rise_bpm`` or more is notable.
    """

    baseline_days: int = 28
    min_baseline_days: int = 14
    min_week_days: int = 5
    notable_rise_bpm: float = 5.0


@dataclass(frozen=True, slots=True)
class HeartRateRules:
    """Clinical thresholds (adult) and detection rules for heart-rate samples."""

    valid_low_bpm: int = 1
    valid_high_bpm: int = 300
    tachycardia_above_bpm: int = 100
    bradycardia_below_bpm: int = 50
    resting_normal_low_bpm: int = 60
    resting_normal_high_bpm: int = 100
    episode: SustainRule = SustainRule()
    bout: SustainRule = SustainRule()
    resting: RestingRule = RestingRule()
    min_age_for_zones: int = 18
    max_age_for_zones: int = 120
    max_daily_rows_in_narrative: int = 7
    trend: RestingTrendRule = RestingTrendRule()


@dataclass(frozen=True, slots=True)
class HeartRateZone:
    """One ACSM intensity band as a share of age-predicted maximum heart rate.

    ``low_fraction`` is inclusive, ``high_fraction`` exclusive (``None``: no bound), so the
    ACSM ranges 64-76% and 77-95% become [0.64, 0.77) and [0.77, 0.96). The ``label_*_pct``
    are the whole percents the guideline prints (``None`` for an open end).
    """

    name: str
    low_fraction: float | None
    high_fraction: float | None
    label_low_pct: int | None
    label_high_pct: int | None


ACSM_ZONES: tuple[HeartRateZone, ...] = (
    HeartRateZone("below moderate", None, 0.64, None, None),
    HeartRateZone("moderate", 0.64, 0.77, 64, 76),
    HeartRateZone("vigorous", 0.77, 0.96, 77, 95),
    HeartRateZone("near maximal", 0.96, None, 96, None),
)
"""ACSM: moderate 64-76% HRmax, vigorous 77-95% HRmax (``clinical.md``)."""

MODERATE_FRACTION_OF_HR_MAX = 0.64
"""Lower bound of ACSM moderate intensity: the threshold of an elevated-activity bout."""


@dataclass(frozen=True, slots=True)
class HrvRules:
    """RMSSD validity and the Plews et al. readiness practice."""

    valid_low_ms: float = 1.0
    valid_high_ms: float = 200.0
    min_nights_for_baseline: int = 3
    baseline_window_nights: int = 7
    normal_band_sd_fraction: float = 0.5
    band_nights: int = 28
    """The personal band of a night's rolling mean comes from the ``band_nights`` nights before
    the first night of that rolling mean (clinical.md: "the preceding ~4 weeks")."""
    min_band_nights: int = 14
    night_starts_hour: int = 12
    """A night runs from local noon to the next local noon and is named by its first date."""
    typical_adult_rmssd_low_ms: int = 19
    typical_adult_rmssd_high_ms: int = 75


DEFAULT_HEART_RATE_RULES = HeartRateRules()
DEFAULT_HRV_RULES = HrvRules()
