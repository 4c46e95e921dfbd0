"""Unit tests of the heart-rate metric functions on crafted series."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from heartrate_builders import MIDNIGHT_MS, MINUTE_MS, OURA, SAMSUNG, hr_record, minute_series

from etl_heartrate.heart_rate import (
    age_predicted_max,
    daily_summaries,
    lowest_window,
    minute_means,
    sustained_runs,
    time_in_zones,
)
from etl_heartrate.hr_insights import build_insights
from etl_heartrate.localtime import local_days, record_offset_id
from etl_heartrate.rules import DEFAULT_HEART_RATE_RULES, RestingRule, SustainRule
from etl_heartrate.samples import SampleSeries, flatten_samples

RULES = DEFAULT_HEART_RATE_RULES


def series_of(*records: dict[str, Any], zone: ZoneInfo | None = None) -> SampleSeries:
    return flatten_samples(list(records), zone, RULES)


def above_100(bpm: float) -> bool:
    return bpm > 100


class TestFlatten:
    def test_overlapping_duplicate_samples_are_counted_once(self) -> None:
        shared = minute_series(60, [70, 71, 72])
        phone = hr_record([*shared, *minute_series(63, [73])], origin=SAMSUNG)
        export_again = hr_record(shared, origin=SAMSUNG)
        series = series_of(phone, export_again)
        assert len(series.samples) == 4
        assert series.duplicates_dropped == 3
        assert series.by_origin() == {SAMSUNG: 4}

    def test_same_instant_different_values_from_two_sources_are_both_kept(self) -> None:
        t = MIDNIGHT_MS + 3 * 3_600_000
        series = series_of(hr_record([(t, 60)], origin=SAMSUNG), hr_record([(t, 62)], origin=OURA))
        assert [s.bpm for s in series.samples] == [60, 62]
        assert series.by_origin() == {OURA: 1, SAMSUNG: 1}

    def test_out_of_range_and_malformed_samples_are_dropped(self) -> None:
        record = hr_record(minute_series(0, [0, 1, 300, 301, 80]))
        record["samples"].append({"timeEpochMillis": None, "beatsPerMinute": 70})
        record["samples"].append({"timeEpochMillis": MIDNIGHT_MS, "beatsPerMinute": float("nan")})
        series = series_of(record)
        assert [s.bpm for s in series.samples] == [1, 300, 80]
        assert series.out_of_range_dropped == 2
        assert series.malformed_dropped == 2

    @pytest.mark.parametrize("time_ms", [-1, -(10**15), 4_102_444_800_000, 10**16])
    def test_implausible_times_are_malformed_not_fatal(self, time_ms: int) -> None:
        series = series_of(hr_record([(time_ms, 70), (MIDNIGHT_MS, 71)]))
        assert [s.bpm for s in series.samples] == [71]
        assert series.malformed_dropped == 1

    def test_samples_are_sorted_across_records(self) -> None:
        late = hr_record(minute_series(10, [90, 91]))
        early = hr_record(minute_series(0, [60, 61]))
        series = series_of(late, early)
        assert [s.bpm for s in series.samples] == [60, 61, 90, 91]

    def test_local_day_follows_the_record_offset(self) -> None:
        # 23:30 at -05:00 is 04:30 UTC the next day: the local day is the earlier one.
        t = MIDNIGHT_MS - 30 * MINUTE_MS
        series = series_of(hr_record([(t, 70)], offset="-05:00"))
        assert series.samples[0].day == date(2025, 9, 19)

    def test_z_offset_falls_back_to_user_zone_then_utc(self) -> None:
        t = MIDNIGHT_MS - 30 * MINUTE_MS  # 04:30 UTC on 2025-09-20
        assert series_of(hr_record([(t, 70)], offset="Z")).samples[0].day == date(2025, 9, 20)
        chicago = series_of(hr_record([(t, 70)], offset="Z"), zone=ZoneInfo("America/Chicago"))
        assert chicago.samples[0].day == date(2025, 9, 19)
        assert chicago.offset_ids == [None]

    def test_end_offset_stands_in_for_a_missing_start_offset(self) -> None:
        record = hr_record([(MIDNIGHT_MS, 70)], offset=None)
        record["endZoneOffsetId"] = "+02:00"
        assert record_offset_id(record, "startZoneOffsetId", "endZoneOffsetId") == "+02:00"


def test_local_days_across_a_dst_change() -> None:
    zone = ZoneInfo("America/New_York")
    # 2025-11-02 is 25 hours long in New York; 23:30 local on 2025-11-02 is 04:30 UTC on 11-03.
    times = [
        int(datetime(2025, 11, 2, 4, 30, tzinfo=UTC).timestamp() * 1000),  # 00:30 EDT
        int(datetime(2025, 11, 3, 4, 30, tzinfo=UTC).timestamp() * 1000),  # 23:30 EST
        int(datetime(2025, 11, 3, 5, 30, tzinfo=UTC).timestamp() * 1000),  # 00:30 EST
    ]
    assert local_days(times, zone) == [date(2025, 11, 2), date(2025, 11, 2), date(2025, 11, 3)]


class TestSustainedRuns:
    def test_two_sample_spike_is_no_episode(self) -> None:
        series = series_of(hr_record(minute_series(0, [80, 130, 135, 80])))
        assert sustained_runs(series.samples, above_100, RULES.episode) == []

    def test_two_spot_readings_five_minutes_apart_are_no_episode(self) -> None:
        series = series_of(hr_record([(MIDNIGHT_MS, 120), (MIDNIGHT_MS + 5 * MINUTE_MS, 125)]))
        assert sustained_runs(series.samples, above_100, RULES.episode) == []

    def test_sustained_run_is_one_episode_with_duration_and_peak(self) -> None:
        series = series_of(hr_record(minute_series(0, [90, 110, 112, 130, 115, 111, 108, 90])))
        runs = sustained_runs(series.samples, above_100, RULES.episode)
        assert len(runs) == 1
        run = runs[0]
        assert run.start_ms == MIDNIGHT_MS + MINUTE_MS
        assert run.duration_minutes == 5
        assert run.samples == 6
        assert run.max_bpm == 130
        assert run.min_bpm == 108

    def test_short_of_the_minimum_duration_is_no_episode(self) -> None:
        series = series_of(hr_record(minute_series(0, [110, 112, 130, 115, 111])))  # 4 min
        assert sustained_runs(series.samples, above_100, RULES.episode) == []

    def test_one_sample_at_the_threshold_splits_the_run(self) -> None:
        bpms = [110] * 4 + [100] + [110] * 4
        series = series_of(hr_record(minute_series(0, bpms)))
        assert sustained_runs(series.samples, above_100, RULES.episode) == []

    def test_a_long_gap_splits_the_run(self) -> None:
        samples = minute_series(0, [110] * 4) + minute_series(10, [110] * 4)
        series = series_of(hr_record(samples))
        assert sustained_runs(series.samples, above_100, RULES.episode) == []
        lenient = SustainRule(min_duration_minutes=5, min_samples=3, max_gap_minutes=10)
        assert len(sustained_runs(series.samples, above_100, lenient)) == 1

    def test_five_minute_ring_samples_can_form_an_episode(self) -> None:
        samples = [(MIDNIGHT_MS + i * 5 * MINUTE_MS, 45) for i in range(3)]
        series = series_of(hr_record(samples, origin=OURA))
        runs = sustained_runs(series.samples, lambda bpm: bpm < 50, RULES.episode)
        assert [r.duration_minutes for r in runs] == [10]


class TestResting:
    def test_day_with_enough_coverage_gets_the_lowest_window(self) -> None:
        # 6 hours of minute samples at 70 bpm with a 40-minute stretch at 55 from minute 120.
        bpms = [70.0] * 360
        for i in range(120, 160):
            bpms[i] = 55.0
        series = series_of(hr_record(minute_series(0, bpms)))
        (day,) = daily_summaries(series.samples, RULES.resting)
        assert day.enough_coverage
        assert day.resting is not None
        assert day.resting.mean_bpm == 55.0
        assert day.resting.first_minute == MIDNIGHT_MS // MINUTE_MS + 120
        assert day.resting.last_minute == MIDNIGHT_MS // MINUTE_MS + 149

    def test_window_at_the_start_of_the_day_reports_its_monitored_minutes(self) -> None:
        bpms = [50.0] * 25 + [70.0] * 335
        series = series_of(hr_record(minute_series(0, bpms)))
        (day,) = daily_summaries(series.samples, RULES.resting)
        assert day.resting is not None
        assert day.resting.mean_bpm == 50.0
        # The earliest of the equally low windows starts 10 minutes before monitoring does and
        # so holds exactly the 20 minutes a window needs.
        assert day.resting.minutes_covered == 20
        assert day.resting.first_minute == MIDNIGHT_MS // MINUTE_MS
        assert day.resting.last_minute == MIDNIGHT_MS // MINUTE_MS + 19

    def test_day_without_enough_coverage_has_no_resting_value(self) -> None:
        series = series_of(hr_record(minute_series(0, [55.0] * 200)))  # 200 of 288 minutes
        (day,) = daily_summaries(series.samples, RULES.resting)
        assert not day.enough_coverage
        assert day.resting is None

    def test_sparse_day_with_no_dense_window_has_no_resting_value(self) -> None:
        # 300 covered minutes, but one every 2 minutes: a window holds at most 15 of 30.
        samples = [(MIDNIGHT_MS + 2 * i * MINUTE_MS, 60.0) for i in range(300)]
        series = series_of(hr_record(samples))
        (day,) = daily_summaries(series.samples, RULES.resting)
        assert day.enough_coverage
        assert day.resting is None

    def test_minute_means_weigh_each_minute_once(self) -> None:
        # 60 one-second samples at 100 in minute 0 and one sample at 50 in minute 1.
        dense = [(MIDNIGHT_MS + s * 1000, 100.0) for s in range(60)]
        series = series_of(hr_record([*dense, (MIDNIGHT_MS + MINUTE_MS, 50.0)]))
        means = minute_means(series.samples)
        assert sorted(means.values()) == [50.0, 100.0]
        window = lowest_window(means, RestingRule(window_minutes=2, min_window_minutes_covered=2))
        assert window is not None
        assert window.mean_bpm == 75.0

    def test_min_day_minutes_for_default_rule(self) -> None:
        assert RULES.resting.min_day_minutes_covered == 288


class TestZones:
    def test_hr_max_and_minutes_per_band(self) -> None:
        hr_max = age_predicted_max(40)
        assert hr_max == 180
        # Moderate starts at 115.2 bpm, vigorous at 138.6, near maximal at 172.8.
        means = {0: 100.0, 1: 115.2, 2: 138.5, 3: 138.6, 4: 172.8, 5: 180.0}
        minutes = [z.minutes for z in time_in_zones(means, hr_max)]
        assert minutes == [1, 2, 1, 2]

    @pytest.mark.parametrize("age", [None, 10, 130])
    def test_no_zones_without_an_adult_age(self, age: int | None) -> None:
        series = series_of(hr_record(minute_series(0, [120] * 20)))
        insights = build_insights(series, None, age, RULES)
        assert insights["zones"] is None
        assert insights["activity_bouts"] is None
        assert insights["zones_unavailable_reason"]
