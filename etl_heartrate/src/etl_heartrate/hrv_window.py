"""HRV over calendar windows: each night judged against the person's own band. Pure functions.

Readiness practice (clinical.md, "HRV (RMSSD)" and "Longitudinal windows"; Plews et al.):

- a night's value is the mean of ln RMSSD over its measurements (``hrv.nightly``);
- the rolling mean of night N is the mean of the nightly values of the 7 calendar nights
  ending with N, given from 3 nights with a value;
- the personal band of night N is the mean +- 0.5 SD (sample SD) of the nightly values of the
  28 nights before the first night of that rolling mean (nights N-34 to N-7), given from 14
  nights with a value, so it never holds a night it judges;
- night N is above or below the band when its rolling mean is, both as displayed (two
  decimals), so that a reader comparing the printed figures reaches the same verdict.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from etl_heartrate.formatting import round2
from etl_heartrate.hrv import NightSummary
from etl_heartrate.rules import HrvRules

WITHIN, ABOVE, BELOW = "within", "above", "below"


@dataclass(frozen=True, slots=True)
class PersonalBand:
    """The normal band for one night's rolling mean (values rounded for display)."""

    first_night: date
    last_night: date
    nights: int
    """Nights of ``first_night``..``last_night`` with a value."""
    mean: float | None
    sd: float | None
    low: float | None
    high: float | None
    """All ``None`` until the period holds ``rules.min_band_nights`` nights."""

    @property
    def exists(self) -> bool:
        return self.low is not None


@dataclass(frozen=True, slots=True)
class NightJudgement:
    night: NightSummary
    ln_rmssd: float
    """The nightly value, rounded to two decimals."""
    rolling_first_night: date
    rolling_nights: int
    """Nights with a value among the 7 ending with this one."""
    rolling_mean: float | None
    """Two decimals; ``None`` with fewer than ``rules.min_nights_for_baseline`` nights."""
    band: PersonalBand
    status: str | None
    """``within``, ``above`` or ``below`` the band; ``None`` without a rolling mean or a band."""


def rolling_period(night: date, rules: HrvRules) -> tuple[date, date]:
    return night - timedelta(days=rules.baseline_window_nights - 1), night


def band_period(night: date, rules: HrvRules) -> tuple[date, date]:
    rolling_first, _ = rolling_period(night, rules)
    return rolling_first - timedelta(days=rules.band_nights), rolling_first - timedelta(days=1)


def personal_band(
    values: Sequence[float], first: date, last: date, rules: HrvRules
) -> PersonalBand:
    """Mean +- ``rules.normal_band_sd_fraction`` SD of ``values`` (the nights of the period)."""
    if len(values) < max(rules.min_band_nights, 2):
        return PersonalBand(first, last, len(values), None, None, None, None)
    mean = math.fsum(values) / len(values)
    sd = statistics.stdev(values)
    half = rules.normal_band_sd_fraction * sd
    return PersonalBand(
        first, last, len(values), round2(mean), round2(sd), round2(mean - half), round2(mean + half)
    )


def judge_nights(
    nights: Sequence[NightSummary], judged: Iterable[date], rules: HrvRules
) -> list[NightJudgement]:
    """The judgement of each night in ``judged`` that has a value, in night order."""
    by_night = {n.night: n for n in nights}
    result: list[NightJudgement] = []
    for day in sorted(set(judged)):
        night = by_night.get(day)
        if night is None:
            continue
        rolling_first, _ = rolling_period(day, rules)
        rolling = [n.ln_rmssd_mean for n in nights if rolling_first <= n.night <= day]
        rolling_mean = (
            round2(math.fsum(rolling) / len(rolling))
            if len(rolling) >= rules.min_nights_for_baseline
            else None
        )
        band_first, band_last = band_period(day, rules)
        band = personal_band(
            [n.ln_rmssd_mean for n in nights if band_first <= n.night <= band_last],
            band_first,
            band_last,
            rules,
        )
        result.append(
            NightJudgement(
                night=night,
                ln_rmssd=round2(night.ln_rmssd_mean),
                rolling_first_night=rolling_first,
                rolling_nights=len(rolling),
                rolling_mean=rolling_mean,
                band=band,
                status=status_against(rolling_mean, band),
            )
        )
    return result


def status_against(value: float | None, band: PersonalBand) -> str | None:
    if value is None or band.low is None or band.high is None:
        return None
    if value < band.low:
        return BELOW
    if value > band.high:
        return ABOVE
    return WITHIN


def mean_of_nights(judgements: Sequence[NightJudgement], rules: HrvRules) -> float | None:
    """The mean of the nightly values of a week's nights (two decimals), from
    ``rules.min_nights_for_baseline`` nights: the week's 7-night mean."""
    if len(judgements) < rules.min_nights_for_baseline:
        return None
    return round2(math.fsum(j.night.ln_rmssd_mean for j in judgements) / len(judgements))
