"""Heart-rate variability (RMSSD) metrics. Pure functions, full precision."""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from operator import itemgetter
from typing import Any

from etl_core.contract.timeutil import constant_offset
from etl_heartrate.localtime import record_offset_id, record_zone
from etl_heartrate.rules import PLAUSIBLE_TIME_MS, HrvRules

UNKNOWN_ORIGIN = "unknown source"
DUPLICATE = "duplicate"
INVALID = "invalid"
"""Why a measurement was left out (the keys of :meth:`RmssdSeries.dropped_on`)."""


@dataclass(frozen=True, slots=True)
class RmssdMeasurement:
    time_ms: int
    rmssd_ms: float
    origin: str
    zone: tzinfo
    night: date
    """The local date on which the measurement's noon-to-noon night began."""


@dataclass(frozen=True, slots=True)
class RmssdSeries:
    measurements: list[RmssdMeasurement]
    records: int
    duplicates_dropped: int
    invalid_dropped: int
    offset_ids: list[str | None]
    dropped_by_night: Mapping[tuple[date, str], int] = field(default_factory=dict)
    """Measurements left out per (night, reason). One without a plausible time has no night
    and counts only in the totals above."""

    def dropped_on(self, nights: Iterable[date]) -> dict[str, int]:
        """Measurements left out on ``nights``, per reason (both reasons, zero or not)."""
        wanted = set(nights)
        counts = dict.fromkeys((DUPLICATE, INVALID), 0)
        for (night, reason), count in self.dropped_by_night.items():
            if night in wanted:
                counts[reason] += count
        return counts

    def by_origin(self) -> dict[str, int]:
        counts = Counter(m.origin for m in self.measurements)
        return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def night_of(moment: datetime, rules: HrvRules) -> date:
    """The night a local moment belongs to: nights run from local noon to the next noon, so
    02:00 on the 20th belongs to the night of the 19th."""
    return (moment - timedelta(hours=rules.night_starts_hour)).date()


def _usable_rmssd(value: object, rules: HrvRules) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    if math.isnan(number) or not rules.valid_low_ms <= number <= rules.valid_high_ms:
        return None
    return number


class _Nights:
    """The night of many instants, each in its record's clock. A clock with one offset at
    every instant (a record's own offset, mostly) is read by adding that offset, not by
    building a datetime per measurement; the zone of each distinct offset id is resolved once."""

    __slots__ = ("_shift_ms", "_start_ms", "_zones", "rules", "user_zone")

    def __init__(self, user_zone: tzinfo | None, rules: HrvRules) -> None:
        self.user_zone = user_zone
        self.rules = rules
        self._start_ms = rules.night_starts_hour * _HOUR_MS
        self._zones: dict[str | None, tzinfo] = {}
        self._shift_ms: dict[str | None, int | None] = {}

    def zone(self, offset_id: str | None) -> tzinfo:
        try:
            return self._zones[offset_id]
        except KeyError:
            zone = self._zones[offset_id] = record_zone(offset_id, self.user_zone)
            offset = constant_offset(zone)
            self._shift_ms[offset_id] = None if offset is None else offset // _MILLISECOND
            return zone

    def night(self, time_ms: int, offset_id: str | None) -> date:
        zone = self.zone(offset_id)
        shift = self._shift_ms[offset_id]
        if shift is None:
            return night_of(datetime.fromtimestamp(time_ms / 1000, tz=zone), self.rules)
        return date.fromordinal(_EPOCH_ORDINAL + (time_ms + shift - self._start_ms) // _DAY_MS)


_HOUR_MS = 3_600_000
_DAY_MS = 86_400_000
_MILLISECOND = timedelta(milliseconds=1)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def collect_measurements(
    records: Iterable[Mapping[str, Any]], user_zone: tzinfo | None, rules: HrvRules
) -> RmssdSeries:
    """Valid RMSSD values sorted by time, one per distinct (instant, value).

    Core removes records outside 1-200 ms before processing; the check is repeated here so the
    functions stay correct when called directly.
    """
    candidates: list[tuple[int, float, str, str | None]] = []
    offset_ids: list[str | None] = []
    records_seen = 0
    invalid = 0
    dropped: Counter[tuple[date, str]] = Counter()
    earliest, latest = PLAUSIBLE_TIME_MS
    nights = _Nights(user_zone, rules)
    # A window's records repeat a few offset ids; each is parsed once.
    read_offsets: dict[str, str | None] = {}
    for record in records:
        records_seen += 1
        raw = record.get("zoneOffsetId")
        offset_id: str | None = None
        if isinstance(raw, str):
            if raw in read_offsets:
                offset_id = read_offsets[raw]
            else:
                offset_id = read_offsets[raw] = record_offset_id(record, "zoneOffsetId")
        offset_ids.append(offset_id)
        time_ms = record.get("timeEpochMillis")
        value = _usable_rmssd(record.get("heartRateVariabilityRmssd"), rules)
        if type(time_ms) is not int or not earliest <= time_ms < latest:
            invalid += 1
            continue
        if value is None:
            invalid += 1
            dropped[(nights.night(time_ms, offset_id), INVALID)] += 1
            continue
        metadata = record.get("metadata")
        origin = UNKNOWN_ORIGIN
        if isinstance(metadata, Mapping) and isinstance(metadata.get("dataOriginPackageName"), str):
            origin = metadata["dataOriginPackageName"] or UNKNOWN_ORIGIN
        candidates.append((time_ms, value, origin, offset_id))
    candidates.sort(key=itemgetter(0, 1, 2))
    kept: list[RmssdMeasurement] = []
    duplicates = 0
    previous: tuple[int, float] | None = None
    for time_ms, value, origin, offset_id in candidates:
        night = nights.night(time_ms, offset_id)
        if (time_ms, value) == previous:
            duplicates += 1
            dropped[(night, DUPLICATE)] += 1
            continue
        previous = (time_ms, value)
        kept.append(RmssdMeasurement(time_ms, value, origin, nights.zone(offset_id), night))
    return RmssdSeries(kept, records_seen, duplicates, invalid, offset_ids, dict(dropped))


@dataclass(frozen=True, slots=True)
class NightSummary:
    night: date
    measurements: int
    mean_rmssd_ms: float
    ln_rmssd_mean: float
    first: RmssdMeasurement
    last: RmssdMeasurement


def nightly(measurements: Sequence[RmssdMeasurement]) -> list[NightSummary]:
    """Per night: count, mean RMSSD and mean ln RMSSD (the night's value for baselines)."""
    by_night: dict[date, list[RmssdMeasurement]] = {}
    for m in measurements:
        by_night.setdefault(m.night, []).append(m)
    result = []
    for night in sorted(by_night):
        items = sorted(by_night[night], key=lambda m: m.time_ms)
        values = [m.rmssd_ms for m in items]
        result.append(
            NightSummary(
                night=night,
                measurements=len(items),
                mean_rmssd_ms=math.fsum(values) / len(values),
                ln_rmssd_mean=math.fsum(math.log(v) for v in values) / len(values),
                first=items[0],
                last=items[-1],
            )
        )
    return result


@dataclass(frozen=True, slots=True)
class RmssdStatistics:
    measurements: int
    mean_ms: float
    median_ms: float
    sd_ms: float | None
    """Sample SD (ddof 1); ``None`` with fewer than two measurements."""
    ln_mean: float
    min_ms: float
    max_ms: float


def rmssd_statistics(values: Sequence[float]) -> RmssdStatistics | None:
    if not values:
        return None
    return RmssdStatistics(
        measurements=len(values),
        mean_ms=math.fsum(values) / len(values),
        median_ms=statistics.median(values),
        sd_ms=statistics.stdev(values) if len(values) > 1 else None,
        ln_mean=math.fsum(math.log(v) for v in values) / len(values),
        min_ms=min(values),
        max_ms=max(values),
    )


@dataclass(frozen=True, slots=True)
class RollingPoint:
    night: date
    ln_rmssd_rolling_mean: float
    nights_in_window: int
    status: str
    """``within``, ``below`` or ``above`` the normal band."""


@dataclass(frozen=True, slots=True)
class Baseline:
    long_term_ln_mean: float
    long_term_ln_sd: float
    band_low: float
    band_high: float
    nights: int
    rolling: list[RollingPoint]

    @property
    def latest(self) -> RollingPoint:
        return self.rolling[-1]


def baseline(nights: Sequence[NightSummary], rules: HrvRules) -> Baseline | None:
    """Plews et al.: the rolling mean of nightly ln RMSSD over ``baseline_window_nights``
    calendar nights, given only where that window holds at least ``min_nights_for_baseline``
    nights, judged against the long-term mean +- ``normal_band_sd_fraction`` SD."""
    if len(nights) < rules.min_nights_for_baseline:
        return None
    values = [n.ln_rmssd_mean for n in nights]
    mean = math.fsum(values) / len(values)
    sd = statistics.stdev(values)
    low = mean - rules.normal_band_sd_fraction * sd
    high = mean + rules.normal_band_sd_fraction * sd
    rolling: list[RollingPoint] = []
    for night in nights:
        earliest = night.night - timedelta(days=rules.baseline_window_nights - 1)
        window = [n.ln_rmssd_mean for n in nights if earliest <= n.night <= night.night]
        if len(window) < rules.min_nights_for_baseline:
            continue
        rolling_mean = math.fsum(window) / len(window)
        status = "below" if rolling_mean < low else "above" if rolling_mean > high else "within"
        rolling.append(RollingPoint(night.night, rolling_mean, len(window), status))
    if not rolling:
        return None
    return Baseline(mean, sd, low, high, len(nights), rolling)
