"""RMSSD: collection, nights, statistics and the Plews baseline on crafted measurements."""

from __future__ import annotations

import math
import statistics
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from heartrate_builders import MIDNIGHT_MS, MINUTE_MS, hrv_record

from etl_heartrate.hrv import baseline, collect_measurements, nightly
from etl_heartrate.rules import DEFAULT_HRV_RULES

RULES = DEFAULT_HRV_RULES
DAY_MS = 86_400_000
HOUR_MS = 3_600_000


def night_records(night_index: int, values: list[float]) -> list[dict[str, object]]:
    """Measurements five minutes apart from 02:00 local, in the night that begins on
    2025-09-19 plus ``night_index`` days."""
    start = MIDNIGHT_MS + night_index * DAY_MS + 2 * HOUR_MS
    return [hrv_record(start + i * 5 * MINUTE_MS, v) for i, v in enumerate(values)]


def test_nights_run_noon_to_noon_and_are_named_by_their_first_date() -> None:
    records = [
        hrv_record(MIDNIGHT_MS - 2 * HOUR_MS, 30.0),  # 22:00 on 2025-09-19
        hrv_record(MIDNIGHT_MS + 11 * HOUR_MS, 31.0),  # 11:00 on 2025-09-20
        hrv_record(MIDNIGHT_MS + 13 * HOUR_MS, 32.0),  # 13:00 on 2025-09-20: the next night
    ]
    series = collect_measurements(records, None, RULES)
    assert [m.night for m in series.measurements] == [
        date(2025, 9, 19),
        date(2025, 9, 19),
        date(2025, 9, 20),
    ]


@pytest.mark.parametrize(
    "offset, user_zone",
    [
        ("-05:00", None),
        ("+05:45", None),
        ("+14:00", None),
        (None, ZoneInfo("America/Chicago")),  # read in a zone with daylight saving
        (None, timezone(timedelta(hours=-3))),
        ("Z", None),  # no offset and no zone: UTC
    ],
)
def test_every_measurement_s_night_is_its_local_time_less_twelve_hours(
    offset: str | None, user_zone: timezone | ZoneInfo | None
) -> None:
    # Around local noon and midnight, to the millisecond, over a daylight-saving change.
    around = [-1, 0, 1, 6 * HOUR_MS, 12 * HOUR_MS - 1, 12 * HOUR_MS, 12 * HOUR_MS + 1]
    start = int(datetime(2025, 11, 1, tzinfo=UTC).timestamp() * 1000)
    times = sorted(
        {
            start + day * DAY_MS + hour * HOUR_MS + delta
            for day in range(4)
            for hour in (0, 5, 6, 17, 18)
            for delta in around
        }
    )
    records = [hrv_record(t, 40.0 + i % 7, offset=offset) for i, t in enumerate(times)]
    series = collect_measurements(records, user_zone, RULES)
    assert len(series.measurements) == len(times)
    for measurement in series.measurements:
        local = datetime.fromtimestamp(measurement.time_ms / 1000, tz=measurement.zone)
        assert measurement.night == (local - timedelta(hours=12)).date()


def test_invalid_and_duplicate_measurements_are_dropped() -> None:
    records = [
        hrv_record(MIDNIGHT_MS, 0.5),
        hrv_record(MIDNIGHT_MS, 201.0),
        hrv_record(MIDNIGHT_MS, float("nan")),
        hrv_record(MIDNIGHT_MS + MINUTE_MS, 40.0),
        hrv_record(MIDNIGHT_MS + MINUTE_MS, 40.0),
        hrv_record(MIDNIGHT_MS + 2 * MINUTE_MS, 1.0),
        hrv_record(MIDNIGHT_MS + 3 * MINUTE_MS, 200.0),
    ]
    series = collect_measurements(records, None, RULES)
    assert [m.rmssd_ms for m in series.measurements] == [40.0, 1.0, 200.0]
    assert series.invalid_dropped == 3
    assert series.duplicates_dropped == 1


def test_implausible_times_are_invalid_not_fatal() -> None:
    records = [hrv_record(-(10**15), 30.0), hrv_record(10**16, 30.0), hrv_record(MIDNIGHT_MS, 31.0)]
    series = collect_measurements(records, None, RULES)
    assert [m.rmssd_ms for m in series.measurements] == [31.0]
    assert series.invalid_dropped == 2


def test_nightly_values_use_mean_ln_rmssd() -> None:
    series = collect_measurements(night_records(0, [20.0, 40.0]), None, RULES)
    (night,) = nightly(series.measurements)
    assert night.mean_rmssd_ms == 30.0
    assert math.isclose(night.ln_rmssd_mean, (math.log(20) + math.log(40)) / 2)


def test_no_baseline_from_fewer_than_three_nights() -> None:
    records = night_records(0, [30.0, 35.0]) + night_records(1, [40.0])
    series = collect_measurements(records, None, RULES)
    assert baseline(nightly(series.measurements), RULES) is None


def test_no_baseline_when_three_nights_never_share_a_seven_night_window() -> None:
    records = night_records(0, [30.0]) + night_records(7, [35.0]) + night_records(14, [40.0])
    series = collect_measurements(records, None, RULES)
    assert baseline(nightly(series.measurements), RULES) is None


def test_baseline_rolling_mean_and_band_match_plews_definition() -> None:
    values = [30.0, 42.0, 36.0, 50.0, 20.0]
    records = [r for i, v in enumerate(values) for r in night_records(i, [v])]
    series = collect_measurements(records, None, RULES)
    result = baseline(nightly(series.measurements), RULES)
    assert result is not None
    logs = [math.log(v) for v in values]
    mean, sd = statistics.mean(logs), statistics.stdev(logs)
    assert math.isclose(result.band_low, mean - 0.5 * sd)
    assert math.isclose(result.band_high, mean + 0.5 * sd)
    # Rolling means exist from the third night on, over every night so far (all within 7).
    assert [p.night for p in result.rolling] == [
        date(2025, 9, 21),
        date(2025, 9, 22),
        date(2025, 9, 23),
    ]
    for point, upto in zip(result.rolling, (3, 4, 5), strict=True):
        assert math.isclose(point.ln_rmssd_rolling_mean, statistics.mean(logs[:upto]))
        assert point.nights_in_window == upto
        expected = (
            "below"
            if point.ln_rmssd_rolling_mean < result.band_low
            else "above"
            if point.ln_rmssd_rolling_mean > result.band_high
            else "within"
        )
        assert point.status == expected


def test_rolling_window_keeps_only_the_last_seven_nights() -> None:
    values = [20.0, 60.0, 60.0, 60.0, 60.0, 60.0, 60.0, 60.0]
    records = [r for i, v in enumerate(values) for r in night_records(i, [v])]
    series = collect_measurements(records, None, RULES)
    result = baseline(nightly(series.measurements), RULES)
    assert result is not None
    assert result.latest.nights_in_window == 7
    assert math.isclose(result.latest.ln_rmssd_rolling_mean, math.log(60.0))
