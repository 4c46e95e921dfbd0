"""Property tests of the window maths against plain reference code
(heartrate_window_reference.py): the resting-HR trend of a week, the HRV judgement of a night,
and which samples a day holds."""

from __future__ import annotations

import math
from datetime import date, timedelta, timezone
from typing import Any

from heartrate_builders import MIDNIGHT_MS, MINUTE_MS, hr_record
from heartrate_window_reference import reference_judgement, reference_trend
from hypothesis import given, settings
from hypothesis import strategies as st

from etl_core import UserContext
from etl_core.contract.timeutil import readable_offset
from etl_core.contract.windows import build_window
from etl_heartrate import plugin
from etl_heartrate.hr_window import resting_trend
from etl_heartrate.hrv import NightSummary, RmssdMeasurement
from etl_heartrate.hrv_window import judge_nights
from etl_heartrate.rules import DEFAULT_HEART_RATE_RULES, DEFAULT_HRV_RULES

SETTINGS = settings(max_examples=80, deadline=None)
MONDAY = date(2025, 7, 7)
HR = "HeartRateRecord"


@st.composite
def daily_resting(draw: st.DrawFn) -> dict[date, float]:
    """Displayed resting values (0.1 bpm) on a random subset of the 35 days up to a week's end,
    sometimes with a step up in the week itself."""
    level = draw(st.integers(450, 800)) / 10
    rise = draw(st.sampled_from([0.0, 2.0, 4.9, 5.0, 5.1, 7.5, -6.0]))
    present = draw(st.lists(st.booleans(), min_size=35, max_size=35))
    noise = draw(st.lists(st.integers(-25, 25), min_size=35, max_size=35))
    values = {}
    for offset in range(35):
        if present[offset]:
            day = MONDAY - timedelta(days=28) + timedelta(days=offset)
            step = rise if day >= MONDAY else 0.0
            values[day] = round(level + step + noise[offset] / 10, 1)
    return values


@given(daily_resting())
@SETTINGS
def test_resting_trend_matches_reference(values: dict[date, float]) -> None:
    got = resting_trend(values, MONDAY, DEFAULT_HEART_RATE_RULES.trend)
    want = reference_trend(values, MONDAY)
    assert [value for _, value in got.week] == want["daily"]
    assert got.week_median == want["median"]
    assert got.baseline_days == want["baseline_days"]
    assert got.baseline_median == want["baseline"]
    assert got.change_bpm == want["change"]
    assert got.notable_rise == want["notable"]
    assert got.days_at_or_above_rise == want["days_above"]
    assert got.previous_week_median == want["previous_median"]
    assert got.previous_week_days == want["previous_days"]
    assert got.change_from_previous_week_bpm == want["change_from_previous"]
    # One day is not a change: with fewer than five days no change is ever stated.
    if got.week_days_with_value < 5:
        assert got.change_bpm is None and not got.notable_rise


def _night(day: date, ln_value: float) -> NightSummary:
    zone = timezone(timedelta(hours=-5))
    m = RmssdMeasurement(0, math.exp(ln_value), "ring", zone, day)
    return NightSummary(day, 1, math.exp(ln_value), ln_value, m, m)


@given(
    st.lists(st.booleans(), min_size=50, max_size=50),
    st.lists(st.floats(min_value=2.5, max_value=4.5), min_size=50, max_size=50),
)
@SETTINGS
def test_night_judgement_matches_reference(present: list[bool], values: list[float]) -> None:
    first = date(2025, 5, 1)
    nightly = {
        first + timedelta(days=i): v
        for i, (p, v) in enumerate(zip(present, values, strict=True))
        if p
    }
    nights = [_night(day, value) for day, value in sorted(nightly.items())]
    judged = judge_nights(nights, list(nightly), DEFAULT_HRV_RULES)
    assert [j.night.night for j in judged] == sorted(nightly)
    for j in judged:
        want = reference_judgement(nightly, j.night.night)
        assert j.ln_rmssd == want["ln_rmssd"]
        assert j.rolling_nights == want["rolling_nights"]
        assert j.rolling_mean == want["rolling_ln_mean"]
        assert j.band.nights == want["band_nights"]
        assert (j.band.low, j.band.high) == (want["band_ln_low"], want["band_ln_high"])
        assert j.status == want["status"]
        # The band never holds a night of the rolling mean it judges.
        assert j.band.last_night < j.rolling_first_night <= j.night.night


@st.composite
def crossing_records(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Series records around the midnight of 2025-09-20 in assorted offsets (or none)."""
    records = []
    for index in range(draw(st.integers(1, 4))):
        start = MIDNIGHT_MS + draw(st.integers(-30 * 60, 30 * 60)) * MINUTE_MS
        gaps = draw(
            st.lists(st.sampled_from([MINUTE_MS, 5 * MINUTE_MS, 90 * MINUTE_MS]), max_size=40)
        )
        times = [start]
        for gap in gaps:
            times.append(times[-1] + gap)
        offset = draw(st.sampled_from(["-05:00", "+09:30", "Z", None]))
        # Each record its own bpm band: no sample is an exact duplicate of another record's.
        bpms = [40 * index + 50 + t // MINUTE_MS % 40 for t in times]
        records.append(hr_record(list(zip(times, bpms, strict=True)), offset=offset))
    return records


@given(crossing_records(), st.sampled_from([None, timezone(timedelta(hours=-5))]))
@SETTINGS
def test_a_day_holds_exactly_the_samples_its_window_contains(
    records: list[dict[str, Any]], zone: timezone | None
) -> None:
    spec = {s.name: s for s in plugin.etl_record_types()}[HR]
    rule = next(r for r in plugin.etl_windows(spec=spec) or [] if r.name == "day")
    user = UserContext(timezone=zone)
    for day in (date(2025, 9, 18), date(2025, 9, 19), date(2025, 9, 20), date(2025, 9, 21)):
        window = build_window(HR, rule, day, records, time_fields=spec.time_fields, user=user)
        # A record ending exactly at midnight is not one of the window's records for core (its
        # end is exclusive) but sits in its lookback, and its last sample is inside the window.
        inside = {
            (s["timeEpochMillis"], s["beatsPerMinute"])
            for record in [*window.records, *window.earlier]
            for s in record["samples"]
            if window.contains(
                s["timeEpochMillis"],
                readable_offset(record["startZoneOffsetId"]) or record["endZoneOffsetId"],
            )
        }
        result = plugin.etl_process_window(window=window, spec=spec)
        if not inside:
            assert result is None
            continue
        assert result is not None
        assert result.insights["samples"] == len(inside)
        assert result.insights["min_bpm"] == min(b for _, b in inside)
        assert result.insights["max_bpm"] == max(b for _, b in inside)
