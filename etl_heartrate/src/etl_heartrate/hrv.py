"""Heart-rate variability (RMSSD) metrics. Pure functions, full precision."""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from operator import itemgetter
from typing import Any, NamedTuple

from etl_core import Record
from etl_core.contract.memo import RecordMemo
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


_HOUR_MS = 3_600_000
_DAY_MS = 86_400_000
_MILLISECOND = timedelta(milliseconds=1)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def _night_at(time_ms: int, zone: tzinfo, night_starts_hour: int) -> date:
    """The night of an instant in ``zone``: nights run from local ``night_starts_hour`` (noon)
    to the next one, so 02:00 on the 20th belongs to the night of the 19th. A clock with one
    offset at every instant (a record's own offset, mostly) is read by adding that offset, any
    other through a datetime."""
    offset = constant_offset(zone)
    if offset is None:
        moment = datetime.fromtimestamp(time_ms / 1000, tz=zone)
        return (moment - timedelta(hours=night_starts_hour)).date()
    shifted = time_ms + offset // _MILLISECOND - night_starts_hour * _HOUR_MS
    return date.fromordinal(_EPOCH_ORDINAL + shifted // _DAY_MS)


class _Read(NamedTuple):
    """One record as a measurement: ``measurement`` when it is usable, else the ``night`` of
    its invalid value (``None`` when it has no plausible time either)."""

    measurement: RmssdMeasurement | None
    night: date | None


def _read_measurement(record: Record, zone: tzinfo, rules: _ReadRules) -> _Read:
    time_ms = record.get("timeEpochMillis")
    earliest, latest = PLAUSIBLE_TIME_MS
    if type(time_ms) is not int or not earliest <= time_ms < latest:
        return _Read(None, None)
    night = _night_at(time_ms, zone, rules.night_starts_hour)
    value = record.get("heartRateVariabilityRmssd")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return _Read(None, night)
    number = float(value)
    if math.isnan(number) or not rules.valid_low_ms <= number <= rules.valid_high_ms:
        return _Read(None, night)
    metadata = record.get("metadata")
    origin = UNKNOWN_ORIGIN
    if isinstance(metadata, Mapping) and isinstance(metadata.get("dataOriginPackageName"), str):
        origin = metadata["dataOriginPackageName"] or UNKNOWN_ORIGIN
    return _Read(RmssdMeasurement(time_ms, number, origin, zone, night), night)


class _ReadRules(NamedTuple):
    """The part of :class:`HrvRules` a record is read by (a cheap memo key)."""

    night_starts_hour: int
    valid_low_ms: float
    valid_high_ms: float


_READ_MEASUREMENT = RecordMemo(_read_measurement, generation=10_000)
"""A record reads the same in every window of a pass (a night window's rolling baseline reads
the 35 nights before it): read once. A record without an offset of its own is read in the
person's zone, part of the key: core hands the windows of a pass one zone object until the
person's offsets change."""


def collect_measurements(
    records: Iterable[Mapping[str, Any]], user_zone: tzinfo | None, rules: HrvRules
) -> RmssdSeries:
    """Valid RMSSD values sorted by time, one per distinct (instant, value).

    Core removes records outside 1-200 ms before processing; the check is repeated here so the
    functions stay correct when called directly.
    """
    candidates: list[tuple[int, float, str, RmssdMeasurement]] = []
    offset_ids: list[str | None] = []
    records_seen = 0
    invalid = 0
    dropped: Counter[tuple[date, str]] = Counter()
    read_rules = _ReadRules(rules.night_starts_hour, rules.valid_low_ms, rules.valid_high_ms)
    # A window's records repeat a few offset ids; each is parsed once, its zone resolved once.
    read_offsets: dict[str, str | None] = {}
    zones: dict[str | None, tzinfo] = {}
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
        zone = zones.get(offset_id)
        if zone is None:
            zone = zones[offset_id] = record_zone(offset_id, user_zone)
        read = _READ_MEASUREMENT(record, zone, read_rules)
        measurement = read.measurement
        if measurement is None:
            invalid += 1
            if read.night is not None:
                dropped[(read.night, INVALID)] += 1
            continue
        candidates.append(
            (measurement.time_ms, measurement.rmssd_ms, measurement.origin, measurement)
        )
    candidates.sort(key=itemgetter(0, 1, 2))
    kept: list[RmssdMeasurement] = []
    duplicates = 0
    previous: tuple[int, float] | None = None
    for time_ms, value, _, measurement in candidates:
        if (time_ms, value) == previous:
            duplicates += 1
            dropped[(measurement.night, DUPLICATE)] += 1
            continue
        previous = (time_ms, value)
        kept.append(measurement)
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
