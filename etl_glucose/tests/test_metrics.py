"""Every metric against a plain reference computation written here (Hypothesis)."""

from __future__ import annotations

import itertools
import math
import statistics

import pytest
from glucose_builders import START_MS, glucose_record
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from etl_glucose import metrics
from etl_glucose.analysis import analyse
from etl_glucose.readings import series_from_records
from etl_glucose.variability import glycaemia_risk_index, risk_indices

levels = st.floats(min_value=20.0, max_value=600.0, allow_nan=False).map(lambda v: round(v, 1))
level_lists = st.lists(levels, min_size=2, max_size=300)


def ref_percent(values: list[float], keep: object) -> float:
    return 100.0 * len([v for v in values if keep(v)]) / len(values)  # type: ignore[operator]


@settings(max_examples=120, deadline=None)
@given(level_lists)
def test_mean_sd_cv_match_statistics(values: list[float]) -> None:
    mean = metrics.mean(values)
    sd = metrics.sample_sd(values)
    assert mean == pytest.approx(statistics.fmean(values), rel=1e-12)
    assert sd == pytest.approx(statistics.stdev(values), rel=1e-9, abs=1e-9)
    assert metrics.cv_percent(sd, mean) == pytest.approx(
        100 * statistics.stdev(values) / statistics.fmean(values), rel=1e-9, abs=1e-9
    )


def test_sd_needs_two_readings() -> None:
    assert metrics.sample_sd([100.0]) is None
    assert metrics.cv_percent(None, 100.0) is None


@settings(max_examples=120, deadline=None)
@given(level_lists)
def test_range_percentages_match_counting(values: list[float]) -> None:
    assert metrics.percent_within(values, 70, 180) == ref_percent(values, lambda v: 70 <= v <= 180)
    assert metrics.percent_below(values, 70) == ref_percent(values, lambda v: v < 70)
    assert metrics.percent_below(values, 54) == ref_percent(values, lambda v: v < 54)
    assert metrics.percent_above(values, 180) == ref_percent(values, lambda v: v > 180)
    assert metrics.percent_above(values, 250) == ref_percent(values, lambda v: v > 250)


def test_range_boundaries_are_inclusive_for_tir() -> None:
    values = [54.0, 69.9, 70.0, 180.0, 180.1, 250.0, 250.1, 53.9]
    assert metrics.percent_within(values, 70, 180) == 25.0
    assert metrics.percent_below(values, 70) == 37.5
    assert metrics.percent_below(values, 54) == 12.5
    assert metrics.percent_above(values, 180) == 37.5
    assert metrics.percent_above(values, 250) == 12.5


@given(st.floats(min_value=20, max_value=600))
def test_gmi_and_ea1c_formulas(mean: float) -> None:
    assert metrics.gmi_percent(mean) == pytest.approx(3.31 + 0.02392 * mean)
    assert metrics.ea1c_percent(mean) == pytest.approx((mean + 46.7) / 28.7)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=10**9), min_size=2, max_size=60))
def test_median_spacing_of_positive_gaps(stamps: list[int]) -> None:
    stamps.sort()
    gaps = [b - a for a, b in itertools.pairwise(stamps) if b > a]
    expected = statistics.median(gaps) if gaps else None
    assert metrics.median_spacing_ms(stamps) == expected


def test_nominal_interval_snaps_to_whole_minutes() -> None:
    assert metrics.nominal_interval_ms(299_959.0) == 300_000
    assert metrics.nominal_interval_ms(61_000.0) == 60_000
    assert metrics.nominal_interval_ms(5_000.0) == 60_000
    assert metrics.nominal_interval_ms(None) is None


def test_expected_readings_and_wear() -> None:
    # 21 h at 5 min: 252 intervals, 253 readings
    assert metrics.expected_readings(21 * 3_600_000, 300_000) == 253
    assert metrics.wear_percent(253, 253) == 100.0
    assert metrics.wear_percent(300, 253) == 100.0
    assert metrics.wear_percent(177, 253) == pytest.approx(100 * 177 / 253)


def ref_kovatchev(values: list[float]) -> tuple[float, float]:
    lows, highs = [], []
    for g in values:
        f = 1.509 * (math.log(g) ** 1.084 - 5.381)
        r = 10 * f**2
        lows.append(r if f < 0 else 0.0)
        highs.append(r if f > 0 else 0.0)
    return sum(lows) / len(values), sum(highs) / len(values)


@settings(max_examples=80, deadline=None)
@given(level_lists)
def test_lbgi_hbgi_match_reference(values: list[float]) -> None:
    result = risk_indices(values)
    assert result is not None
    for got, want in zip(result, ref_kovatchev(values), strict=True):
        assert got == pytest.approx(want, rel=1e-9, abs=1e-9)


@settings(max_examples=80, deadline=None)
@given(level_lists)
def test_gri_matches_reference(values: list[float]) -> None:
    n = len(values)
    very_low = 100 * sum(v < 54 for v in values) / n
    low = 100 * sum(54 <= v < 70 for v in values) / n
    high = 100 * sum(180 < v <= 250 for v in values) / n
    very_high = 100 * sum(v > 250 for v in values) / n
    expected = min(100.0, 3.0 * very_low + 2.4 * low + 1.6 * very_high + 0.8 * high)
    assert glycaemia_risk_index(very_low, low, high, very_high) == pytest.approx(expected)


@settings(max_examples=60, deadline=None)
@given(level_lists)
def test_analysis_insights_equal_rounded_reference(values: list[float]) -> None:
    records = [glucose_record(START_MS + i * 300_000, v) for i, v in enumerate(values)]
    ins = analyse(series_from_records(records)).insights
    mean = statistics.fmean(values)
    sd = statistics.stdev(values)
    cv, gmi, ea1c = 100 * sd / mean, 3.31 + 0.02392 * mean, (mean + 46.7) / 28.7
    # away from a rounding half-way point, where the last float bit could flip the display
    assume(all(abs(abs(x * 10 % 1) - 0.5) > 1e-6 for x in (mean, sd, cv)))
    assume(all(abs(abs(x * 100 % 1) - 0.5) > 1e-6 for x in (gmi, ea1c)))
    assert ins["readings"] == len(values)
    assert ins["mean_mg_dl"] == round(mean, 1)
    assert ins["sd_mg_dl"] == round(sd, 1)
    assert ins["cv_percent"] == round(cv, 1)
    assert ins["min_mg_dl"] == round(min(values), 1)
    assert ins["max_mg_dl"] == round(max(values), 1)
    assert ins["tir_percent"] == round(ref_percent(values, lambda v: 70 <= v <= 180), 1)
    assert ins["tbr70_percent"] == round(ref_percent(values, lambda v: v < 70), 1)
    assert ins["tbr54_percent"] == round(ref_percent(values, lambda v: v < 54), 1)
    assert ins["tar180_percent"] == round(ref_percent(values, lambda v: v > 180), 1)
    assert ins["tar250_percent"] == round(ref_percent(values, lambda v: v > 250), 1)
    assert ins["gmi_percent"] == round(gmi, 2)
    assert ins["ea1c_percent"] == round(ea1c, 2)
    total = ins["tbr70_percent"] + ins["tir_percent"] + ins["tar180_percent"]
    assert abs(total - 100.0) <= 0.15
    assert ins["span_hours"] == round((len(values) - 1) * 5 / 60, 1)
    assert ins["sampling_interval_min"] == 5.0
    assert ins["wear_percent"] == 100.0
    assert ins["data_sufficient"] is False


def test_sufficiency_needs_14_days_and_70_percent() -> None:
    per_day = 288
    full = [glucose_record(START_MS + i * 300_000, 100.0) for i in range(14 * per_day)]
    assert analyse(series_from_records(full)).insights["data_sufficient"] is True
    short = full[: 13 * per_day]
    assert analyse(series_from_records(short)).insights["data_sufficient"] is False
    # keep 2 of every 3 readings: 66.7% of possible readings over 14 days
    sparse = [r for i, r in enumerate(full) if i % 3 != 2 or i == len(full) - 1]
    ins = analyse(series_from_records(sparse)).insights
    assert ins["days_covered"] == 14.0
    assert ins["wear_percent"] < 70.0
    assert ins["data_sufficient"] is False


def test_sparse_meter_readings_are_not_treated_as_continuous() -> None:
    records = [
        glucose_record(START_MS + i * 6 * 3_600_000, v, specimen="CAPILLARY_BLOOD")
        for i, v in enumerate([95.0, 160.0, 60.0, 110.0])
    ]
    ins = analyse(series_from_records(records)).insights
    assert ins["continuous"] is False
    assert ins["hypo_events"] is None and ins["hyper_events"] is None
    assert ins["wear_percent"] is None and ins["data_sufficient"] is False
    assert ins["tbr70_percent"] == 25.0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.booleans(), min_size=3, max_size=600))
def test_wear_and_expected_readings_on_a_5_minute_grid_with_dropouts(kept: list[bool]) -> None:
    kept[0] = kept[-1] = True
    slots = [i for i, keep in enumerate(kept) if keep]
    gaps = [b - a for a, b in itertools.pairwise(slots)]
    assume(statistics.median(gaps) < 1.5)  # mostly 5-minute spacing, so a 5-minute sensor
    records = [glucose_record(START_MS + i * 300_000, 100.0) for i in slots]
    ins = analyse(series_from_records(records)).insights
    assert ins["sampling_interval_min"] == 5.0
    assert ins["expected_readings"] == len(kept)
    assert ins["wear_percent"] == round(100 * len(slots) / len(kept), 1)
    assert ins["days_covered"] == round(len(kept) * 5 / 1440, 1)
    assert ins["span_hours"] == round((len(kept) - 1) * 5 / 60, 1)
