"""Property tests: each metric against a plain reference, and every narrative figure backed by
an insight, on series Hypothesis makes up."""

from __future__ import annotations

import math
import statistics
from datetime import date
from typing import Any

from heartrate_builders import MIDNIGHT_MS, MINUTE_MS, OURA, SAMSUNG, hr_record, hrv_record, process
from heartrate_reference import reference_resting, reference_runs, reference_samples
from hypothesis import given, settings
from hypothesis import strategies as st

from etl_core.contract.figures import unsupported_figures
from etl_heartrate.heart_rate import daily_summaries, sustained_runs
from etl_heartrate.hrv import baseline, collect_measurements, nightly, rmssd_statistics
from etl_heartrate.rules import (
    DEFAULT_HEART_RATE_RULES,
    DEFAULT_HRV_RULES,
    RestingRule,
    SustainRule,
)
from etl_heartrate.samples import flatten_samples

RULES = DEFAULT_HEART_RATE_RULES
SETTINGS = settings(max_examples=60, deadline=None)

bpm_values = st.integers(min_value=-5, max_value=320)
gaps_ms = st.sampled_from(
    [0, 1_000, 30_000, MINUTE_MS, 2 * MINUTE_MS, 5 * MINUTE_MS, 11 * MINUTE_MS]
)


@st.composite
def heart_rate_records(draw: st.DrawFn, max_samples: int = 200) -> list[dict[str, Any]]:
    """A few records whose samples step forward by assorted gaps, some overlapping others."""
    records = []
    for _ in range(draw(st.integers(1, 3))):
        t = MIDNIGHT_MS + draw(st.integers(0, 30)) * MINUTE_MS
        samples = []
        for _ in range(draw(st.integers(0, max_samples))):
            t += draw(gaps_ms)
            samples.append((t, draw(bpm_values)))
        origin = draw(st.sampled_from([SAMSUNG, OURA]))
        offset = draw(st.sampled_from(["-05:00", "+09:30", "Z"]))
        records.append(hr_record(samples, origin=origin, offset=offset))
    if draw(st.booleans()) and records[0]["samples"]:
        # A second export of the first record: every sample is an exact duplicate.
        copy = dict(records[0])
        copy["metadata"] = {**records[0]["metadata"], "id": "copy"}
        records.append(copy)
    return records


@given(heart_rate_records())
@SETTINGS
def test_flattening_matches_reference(records: list[dict[str, Any]]) -> None:
    series = flatten_samples(records, None, RULES)
    expected = reference_samples(records)
    assert [(s.time_ms, s.bpm, s.origin, s.day) for s in series.samples] == expected
    total = sum(len(r["samples"]) for r in records)
    assert len(series.samples) + series.duplicates_dropped + series.out_of_range_dropped == total


@given(
    heart_rate_records(),
    st.integers(60, 130),
    st.builds(
        SustainRule,
        min_duration_minutes=st.sampled_from([1.0, 5.0, 10.0]),
        min_samples=st.integers(1, 5),
        max_gap_minutes=st.sampled_from([1.0, 5.0, 10.0]),
    ),
)
@SETTINGS
def test_sustained_runs_match_reference(
    records: list[dict[str, Any]], threshold: int, rule: SustainRule
) -> None:
    series = flatten_samples(records, None, RULES)
    runs = sustained_runs(series.samples, lambda bpm: bpm > threshold, rule)
    expected = reference_runs(
        [(s[0], s[1]) for s in reference_samples(records)],
        lambda bpm: bpm > threshold,
        rule.min_duration_minutes,
        rule.min_samples,
        rule.max_gap_minutes,
    )
    assert [(r.start_ms, r.end_ms, r.samples) for r in runs] == expected


@given(
    heart_rate_records(max_samples=400),
    st.integers(2, 30),
    st.integers(1, 30),
    st.integers(1, 300),
)
@SETTINGS
def test_resting_matches_reference(
    records: list[dict[str, Any]], window: int, covered: int, day_minutes: int
) -> None:
    covered = min(covered, window)
    rule = RestingRule(
        window_minutes=window,
        min_window_minutes_covered=covered,
        min_day_coverage=day_minutes / 1440,
    )
    series = flatten_samples(records, None, RULES)
    days = daily_summaries(series.samples, rule)
    expected = reference_resting(
        reference_samples(records), window, covered, rule.min_day_minutes_covered
    )
    assert {d.day for d in days} == set(expected)
    for day in days:
        want = expected[day.day]
        got = (
            None
            if day.resting is None
            else (day.resting.mean_bpm, day.resting.first_minute, day.resting.last_minute)
        )
        assert got == want


@given(st.lists(st.floats(min_value=1, max_value=200, allow_nan=False), min_size=1, max_size=80))
@SETTINGS
def test_rmssd_statistics_match_reference(values: list[float]) -> None:
    stats = rmssd_statistics(values)
    assert stats is not None
    assert math.isclose(stats.mean_ms, sum(values) / len(values), rel_tol=1e-12)
    assert math.isclose(stats.median_ms, statistics.median(values), rel_tol=1e-12)
    if len(values) > 1:
        mean = sum(values) / len(values)
        sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))
        assert stats.sd_ms is not None
        assert math.isclose(stats.sd_ms, sd, rel_tol=1e-9, abs_tol=1e-9)
    else:
        assert stats.sd_ms is None
    ln_mean = sum(math.log(v) for v in values) / len(values)
    assert math.isclose(stats.ln_mean, ln_mean, rel_tol=1e-12, abs_tol=1e-12)


@given(heart_rate_records(), st.one_of(st.none(), st.integers(0, 130)))
@SETTINGS
def test_heart_rate_narrative_figures_are_all_insights(
    records: list[dict[str, Any]], age: int | None
) -> None:
    result = process("HeartRateRecord", records, age=age)
    assert unsupported_figures(result.narrative, result.insights) == [], result.narrative
    assert unsupported_figures(result.summary, result.insights) == [], result.summary


@given(
    st.lists(
        st.tuples(
            st.integers(0, 20 * 24 * 60),
            st.floats(min_value=-1, max_value=250, allow_nan=False),
        ),
        min_size=0,
        max_size=60,
    )
)
@SETTINGS
def test_hrv_narrative_figures_are_all_insights(points: list[tuple[int, float]]) -> None:
    records = [hrv_record(MIDNIGHT_MS + minute * MINUTE_MS, value) for minute, value in points]
    result = process("HeartRateVariabilityRmssdRecord", records)
    assert unsupported_figures(result.narrative, result.insights) == [], result.narrative


@given(
    st.dictionaries(
        st.integers(0, 30),
        st.lists(st.floats(min_value=1, max_value=200, allow_nan=False), min_size=1, max_size=4),
        max_size=12,
    )
)
@SETTINGS
def test_hrv_baseline_matches_reference(values_by_night: dict[int, list[float]]) -> None:
    records = [
        hrv_record(MIDNIGHT_MS + night * 86_400_000 + 3_600_000 + i * MINUTE_MS, value)
        for night, values in values_by_night.items()
        for i, value in enumerate(values)
    ]
    series = collect_measurements(records, None, DEFAULT_HRV_RULES)
    result = baseline(nightly(series.measurements), DEFAULT_HRV_RULES)

    nightly_ln = {
        night: sum(math.log(v) for v in values) / len(values)
        for night, values in values_by_night.items()
    }
    expected_rolling = []
    for night in sorted(nightly_ln):
        window = [nightly_ln[n] for n in nightly_ln if night - 6 <= n <= night]
        if len(window) >= 3:
            expected_rolling.append((night, sum(window) / len(window), len(window)))
    if len(nightly_ln) < 3 or not expected_rolling:
        assert result is None
        return
    assert result is not None
    mean = statistics.mean(nightly_ln.values())
    sd = statistics.stdev(nightly_ln.values())
    assert math.isclose(result.band_low, mean - 0.5 * sd, abs_tol=1e-9)
    assert math.isclose(result.band_high, mean + 0.5 * sd, abs_tol=1e-9)
    assert len(result.rolling) == len(expected_rolling)
    for point, (night, rolling_mean, count) in zip(result.rolling, expected_rolling, strict=True):
        # Measurements are at 01:00, so night 0 is the one beginning on 2025-09-19.
        assert (point.night - date(2025, 9, 19)).days == night
        assert math.isclose(point.ln_rmssd_rolling_mean, rolling_mean, abs_tol=1e-9)
        assert point.nights_in_window == count


odd_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**15), 2 * 10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=5),
)


@given(
    st.lists(
        st.fixed_dictionaries(
            {},
            optional={
                "metadata": st.one_of(
                    st.none(),
                    st.fixed_dictionaries({"dataOriginPackageName": odd_values}),
                ),
                "startZoneOffsetId": st.sampled_from([None, "Z", "-05:00", "bogus", "+99:00"]),
                "endZoneOffsetId": st.sampled_from([None, "+01:00"]),
                "samples": st.one_of(
                    odd_values,
                    st.lists(
                        st.one_of(
                            odd_values,
                            st.fixed_dictionaries(
                                {"timeEpochMillis": odd_values, "beatsPerMinute": odd_values}
                            ),
                        ),
                        max_size=5,
                    ),
                ),
                "timeEpochMillis": odd_values,
                "zoneOffsetId": st.sampled_from([None, "Z", "+05:30", "nonsense"]),
                "heartRateVariabilityRmssd": odd_values,
            },
        ),
        max_size=6,
    ),
    st.sampled_from(["HeartRateRecord", "HeartRateVariabilityRmssdRecord"]),
)
@SETTINGS
def test_malformed_records_never_break_processing(
    records: list[dict[str, Any]], record_type: str
) -> None:
    result = process(record_type, records, age=30)
    assert unsupported_figures(result.narrative, result.insights) == [], result.narrative


@given(heart_rate_records(), st.integers(18, 120))
@SETTINGS
def test_zone_minutes_match_reference(records: list[dict[str, Any]], age: int) -> None:
    result = process("HeartRateRecord", records, age=age)
    zones = result.insights["zones"]
    minutes: dict[int, list[float]] = {}
    for t, bpm, _origin, _day in reference_samples(records):
        minutes.setdefault(t // MINUTE_MS, []).append(bpm)
    means = [sum(v) / len(v) for v in minutes.values()]
    hr_max = 220 - age
    bounds = [(-math.inf, 0.64), (0.64, 0.77), (0.77, 0.96), (0.96, math.inf)]
    expected = [sum(1 for m in means if lo * hr_max <= m < hi * hr_max) for lo, hi in bounds]
    assert zones["hr_max_bpm"] == hr_max
    assert [band["minutes"] for band in zones["bands"]] == expected
    assert zones["monitored_minutes"] == len(means)
