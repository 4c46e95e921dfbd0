"""Optional variability indices whose definitions leave no room for interpretation.

MAGE, CONGA and MODD are left out on purpose: each depends on choices (excursion pairing,
how lagged readings are matched on an irregular grid) that published implementations make
differently, and a wrong index is worse than an absent one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def risk_indices(values: Sequence[float]) -> tuple[float, float] | None:
    """(LBGI, HBGI) after Kovatchev: f = 1.509 x ((ln G)^1.084 - 5.381), r = 10 f^2; a
    reading's risk counts as low risk when f < 0 and as high risk otherwise; each index is the
    mean over all readings."""
    lows: list[float] = []
    highs: list[float] = []
    log = math.log
    for value in values:
        if value <= 0:
            continue
        f = 1.509 * (log(value) ** 1.084 - 5.381)
        (lows if f < 0 else highs).append(10.0 * f * f)
    count = len(lows) + len(highs)
    if not count:
        return None
    return math.fsum(lows) / count, math.fsum(highs) / count


def glycaemia_risk_index(
    very_low_percent: float, low_percent: float, high_percent: float, very_high_percent: float
) -> float:
    """GRI (Klonoff 2023) = 3.0 VLow + 2.4 Low + 1.6 VHigh + 0.8 High, capped at 100.

    The components are disjoint: VLow < 54, Low 54-69, High 181-250, VHigh > 250 mg/dL.
    """
    raw = 3.0 * very_low_percent + 2.4 * low_percent + 1.6 * very_high_percent
    return min(100.0, raw + 0.8 * high_percent)


def j_index(average: float, sd: float) -> float:
    """J-index = 0.001 x (mean + SD)^2, in mg/dL units."""
    return 0.001 * (average + sd) ** 2
