"""The plugin's hooks on crafted batches: what the narrative says and how it agrees with the
insights."""

from __future__ import annotations

import json
from collections.abc import Mapping
from importlib.metadata import entry_points
from typing import Any

import pytest
from heartrate_builders import (
    MIDNIGHT_MS,
    MINUTE_MS,
    OURA,
    SAMSUNG,
    empty_report,
    hr_record,
    hrv_record,
    minute_series,
    process,
)

from etl_core import Severity, UserContext
from etl_core.contract.figures import unsupported_figures
from etl_core.testing import build_batch, read_avro, real_samples
from etl_heartrate import plugin
from etl_heartrate.specs import HEALTH_DOMAIN

HR = "HeartRateRecord"
HRV = "HeartRateVariabilityRmssdRecord"
SPECS = {spec.name: spec for spec in plugin.etl_record_types()}


def check_consistent(narrative: str, insights: Mapping[str, Any]) -> None:
    assert unsupported_figures(narrative, insights) == []
    json.dumps(insights)  # insights must be JSON-serialisable


def night_of_minutes(bpm: float, minutes: int = 360, start_minute: int = 60) -> list[Any]:
    return minute_series(start_minute, [bpm] * minutes)


class TestRegistration:
    def test_entry_point_points_at_the_hook_module(self) -> None:
        (entry,) = [e for e in entry_points(group="etl_core.plugins") if e.name == "heartrate"]
        assert entry.load() is plugin
        assert plugin.ETL_PLUGIN_API == "1.4"

    def test_specs_declare_both_types_in_one_domain(self) -> None:
        specs = {s.name: s for s in plugin.etl_record_types()}
        assert set(specs) == {HR, HRV}
        assert {s.health_domain for s in specs.values()} == {HEALTH_DOMAIN}
        assert "samples[].beatsPerMinute" in specs[HR].ranges
        hrv_range = specs[HRV].ranges["heartRateVariabilityRmssd"]
        assert (hrv_range.low, hrv_range.high) == (1, 200)
        assert all(len(s.instructions) >= 3 for s in specs.values())

    @pytest.mark.parametrize("record_type", [HR, HRV])
    def test_reader_schema_names_match_the_real_exports(self, record_type: str) -> None:
        import fastavro

        paths = real_samples(record_type)
        if not paths:
            pytest.skip("real samples not available")
        with paths[0].open("rb") as handle:
            writer = json.loads(fastavro.reader(handle).metadata["avro.schema"])
        spec = {s.name: s for s in plugin.etl_record_types()}[record_type]
        assert spec.reader_schema is not None
        assert spec.reader_schema["name"] == writer["name"] == f"Avro{record_type}"
        assert spec.reader_schema["namespace"] == writer["namespace"]
        # The reader schema can read the real file.
        with paths[0].open("rb") as handle:
            records = list(fastavro.reader(handle, reader_schema=dict(spec.reader_schema)))
        assert len(records) == len(read_avro(paths[0]))

    def test_other_record_types_are_declined(self) -> None:
        batch = build_batch("StepsRecord", [{"count": 10}])
        spec = SPECS[HR]
        assert plugin.etl_process(batch=batch, spec=spec, validation=empty_report()) is None
        assert plugin.etl_validate(batch=batch, spec=spec) is None


class TestHeartRateNarrative:
    def test_resting_with_enough_coverage(self) -> None:
        bpms = [68.0] * 360
        bpms[100:140] = [52.0] * 40
        result = process(HR, [hr_record(minute_series(60, bpms))])
        ins = result.insights
        assert ins["resting_bpm"] == 52.0
        assert ins["resting_days"] == 1
        assert ins["daily"][0]["resting_window_start"] == "2025-09-20T02:40:00-05:00"
        assert ins["daily"][0]["resting_window_end"] == "2025-09-20T03:10:00-05:00"
        assert "Resting heart rate" in result.narrative
        assert "was 52.0 bpm on 2025-09-20 (02:40-03:10)" in result.narrative
        assert "below the usual adult resting range of 60-100 bpm" in result.narrative
        check_consistent(result.narrative, ins)

    def test_resting_over_several_days_is_the_mean_of_daily_values(self) -> None:
        day_one = hr_record(minute_series(60, [58.0] * 300))
        day_two = hr_record(minute_series(24 * 60 + 60, [63.0] * 300))
        evening = hr_record(minute_series(2 * 24 * 60 + 1200, [75.0] * 30))
        result = process(HR, [day_one, day_two, evening])
        ins = result.insights
        assert [d["resting_bpm"] for d in ins["daily"]] == [58.0, 63.0, None]
        assert ins["resting_bpm"] == 60.5
        assert ins["resting_days"] == 2
        assert "averaged 60.5 bpm over 2 days" in result.narrative
        assert "2025-09-22 (2.1% of minutes monitored) has no resting value" in result.narrative
        assert "By local day: 2025-09-20" in result.narrative
        check_consistent(result.narrative, ins)

    def test_resting_without_enough_coverage_is_unavailable(self) -> None:
        result = process(HR, [hr_record(minute_series(60, [60.0] * 120))])
        ins = result.insights
        assert ins["resting_bpm"] is None
        assert ins["resting_status"] is None
        assert ins["daily"][0]["resting_unavailable_reason"] == "too little coverage"
        assert "is unavailable" in result.narrative
        expected = "2025-09-20 (8.3% of minutes monitored) has no resting value: too little"
        assert expected in result.narrative
        check_consistent(result.narrative, ins)

    def test_resting_below_fifty_cites_the_bradycardia_threshold_with_a_neutral_suggestion(
        self,
    ) -> None:
        result = process(HR, [hr_record(night_of_minutes(45.0))])
        assert result.insights["resting_bpm"] == 45.0
        assert "2018 ACC/AHA/HRS" in result.narrative
        assert "worth reviewing with a clinician" in result.narrative
        check_consistent(result.narrative, result.insights)

    def test_two_sample_spike_is_reported_as_readings_not_an_episode(self) -> None:
        bpms = [80.0] * 30
        bpms[10:12] = [140.0, 150.0]
        result = process(HR, [hr_record(minute_series(0, bpms))])
        ins = result.insights
        assert ins["tachycardia_episodes"] == 0
        assert ins["samples_above_tachycardia_threshold"] == 2
        assert result.events == {"tachycardia_episode": 0, "bradycardia_episode": 0}
        assert "No sustained period above 100 bpm" in result.narrative
        expected = "2 samples above 100 bpm were recorded, none in a run long enough to count"
        assert expected in result.narrative
        check_consistent(result.narrative, ins)

    def test_sustained_elevation_is_an_episode_with_times_and_peak(self) -> None:
        bpms = [80.0] * 30
        bpms[10:18] = [120.0, 125.0, 131.0, 128.0, 126.0, 122.0, 121.0, 119.0]
        result = process(HR, [hr_record(minute_series(0, bpms))])
        ins = result.insights
        assert ins["tachycardia_episodes"] == 1
        (episode,) = ins["episodes"]["tachycardia"]
        assert episode["start"] == "2025-09-20T00:10:00-05:00"
        assert episode["end"] == "2025-09-20T00:17:00-05:00"
        assert episode["duration_minutes"] == 7.0
        assert episode["max_bpm"] == 131
        assert result.events["tachycardia_episode"] == 1
        assert "1 sustained period above 100 bpm" in result.narrative
        assert "2025-09-20 00:10 to 00:17 (7.0 minutes, peak 131 bpm)" in result.narrative
        check_consistent(result.narrative, ins)

    def test_overlapping_duplicate_samples_are_counted_once(self) -> None:
        shared = minute_series(0, [70.0, 72.0, 74.0])
        phone = hr_record([*shared, *minute_series(3, [76.0])])
        reexport = hr_record(shared)
        result = process(HR, [phone, reexport])
        ins = result.insights
        assert ins["samples"] == 4
        assert ins["data_quality"]["duplicate_samples_dropped"] == 3
        assert ins["sources"] == {SAMSUNG: 4}
        assert "3 exact duplicate samples from overlapping records" in result.narrative
        check_consistent(result.narrative, ins)

    def test_two_sources_are_named_with_their_counts(self) -> None:
        ring = hr_record([(MIDNIGHT_MS + 30_000 + i * 5 * MINUTE_MS, 60.0) for i in range(4)], OURA)
        phone = hr_record(minute_series(0, [62.0] * 10))
        result = process(HR, [phone, ring])
        assert result.insights["sources"] == {SAMSUNG: 10, OURA: 4}
        assert "Samsung Health (10 samples) and Oura (4 samples)" in result.narrative
        check_consistent(result.narrative, result.insights)

    def test_no_age_means_no_zones_and_says_so(self) -> None:
        result = process(HR, [hr_record(night_of_minutes(70.0))])
        assert result.insights["zones"] is None
        assert result.insights["activity_bouts"] is None
        assert "need the person's age" in result.narrative
        assert "maximum heart rate (220" not in result.narrative

    def test_age_gives_zones_and_bouts(self) -> None:
        bpms = [70.0] * 60 + [130.0] * 20 + [70.0] * 20
        result = process(HR, [hr_record(minute_series(0, bpms))], age=40)
        ins = result.insights
        zones = ins["zones"]
        assert zones["hr_max_bpm"] == 180
        assert [b["minutes"] for b in zones["bands"]] == [80, 20, 0, 0]
        assert [b["percent"] for b in zones["bands"]] == [80.0, 20.0, 0.0, 0.0]
        bouts = ins["activity_bouts"]
        assert bouts["threshold_bpm"] == 115.2
        assert bouts["count"] == 1
        assert bouts["total_minutes"] == 19.0
        assert "(220 - age) is 180 bpm" in result.narrative
        assert "1 elevated-activity bout" in result.narrative
        check_consistent(result.narrative, ins)

    def test_user_zone_reads_records_without_offset(self) -> None:
        record = hr_record(minute_series(0, [70.0] * 5), offset="Z")
        from zoneinfo import ZoneInfo

        result = process(HR, [record], user=UserContext(timezone=ZoneInfo("America/Chicago")))
        assert result.insights["timezone"] == (
            "America/Chicago (user setting; records carry no offset)"
        )
        assert result.insights["start"] == "2025-09-20T00:00:00-05:00"
        check_consistent(result.narrative, result.insights)

    def test_no_usable_samples(self) -> None:
        result = process(HR, [hr_record(minute_series(0, [0, 400]))])
        assert result.insights["samples"] == 0
        assert result.insights["mean_bpm"] is None
        assert "no usable sample" in result.narrative
        assert "2 samples outside the 1-300 bpm range" in result.narrative
        check_consistent(result.narrative, result.insights)

    def test_data_start_and_end_are_the_first_and_last_sample(self) -> None:
        result = process(HR, [hr_record(minute_series(5, [70.0] * 3))])
        assert result.data_start is not None and result.data_end is not None
        assert int(result.data_start.timestamp() * 1000) == MIDNIGHT_MS + 5 * MINUTE_MS
        assert int(result.data_end.timestamp() * 1000) == MIDNIGHT_MS + 7 * MINUTE_MS


class TestValidation:
    def test_records_without_samples_and_samples_outside_the_record(self) -> None:
        empty = hr_record([])
        empty["samples"] = []
        stray = hr_record(minute_series(0, [70.0, 71.0]))
        stray["endTimeEpochMillis"] = stray["startTimeEpochMillis"]
        batch = build_batch(HR, [empty, stray])
        findings = {f.code: f for f in plugin.etl_validate(batch=batch, spec=SPECS[HR]) or []}
        assert findings["heart_rate_record_without_samples"].affected == 1
        assert findings["heart_rate_sample_outside_record"].affected == 1
        assert all(f.severity is Severity.WARNING for f in findings.values())

    def test_clean_records_give_no_findings(self) -> None:
        batch = build_batch(HR, [hr_record(minute_series(0, [70.0, 71.0]))])
        assert plugin.etl_validate(batch=batch, spec=SPECS[HR]) == []


class TestHrvNarrative:
    def test_one_night_is_a_snapshot_without_baseline_or_percent_change(self) -> None:
        start = MIDNIGHT_MS + 2 * 3_600_000
        records = [hrv_record(start + i * 5 * MINUTE_MS, 20.0 + i) for i in range(12)]
        result = process(HRV, records)
        ins = result.insights
        assert ins["nights"] == 1
        assert ins["baseline"] is None
        assert "snapshot, not a trend" in result.narrative
        assert "%" not in result.narrative
        assert "night beginning 2025-09-19" in result.narrative
        check_consistent(result.narrative, ins)

    def test_three_nights_give_a_baseline(self) -> None:
        records = []
        for night, value in enumerate([30.0, 45.0, 20.0]):
            start = MIDNIGHT_MS + night * 86_400_000 + 2 * 3_600_000
            records += [hrv_record(start + i * 5 * MINUTE_MS, value) for i in range(3)]
        result = process(HRV, records)
        ins = result.insights
        assert ins["nights"] == 3
        base = ins["baseline"]
        assert base is not None
        assert base["latest_night"] == "2025-09-21"
        assert base["rolling"][0]["nights_in_window"] == 3
        assert "Personal baseline" in result.narrative
        assert "By night:" in result.narrative
        check_consistent(result.narrative, ins)

    def test_two_nights_say_no_baseline_and_no_trend(self) -> None:
        records = [hrv_record(MIDNIGHT_MS, 30.0), hrv_record(MIDNIGHT_MS + 86_400_000, 50.0)]
        result = process(HRV, records)
        assert result.insights["baseline"] is None
        assert "no trend" in result.narrative
        check_consistent(result.narrative, result.insights)

    def test_single_measurement_has_no_sd(self) -> None:
        result = process(HRV, [hrv_record(MIDNIGHT_MS, 30.0)])
        assert result.insights["sd_rmssd_ms"] is None
        assert "standard deviation" not in result.narrative
        check_consistent(result.narrative, result.insights)
