"""Window maths against plain reference code (Hypothesis): AGP percentiles, the hourly profile,
and whole windows built from crafted records (coverage, sufficiency, bands, events with gaps
and open ends, sensor gaps, overnight), plus the local-time and clock rules."""

from __future__ import annotations

import re
import statistics
from datetime import date, datetime, timedelta, timezone, tzinfo
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

import glucose_window_reference as ref
import pytest
from glucose_builders import glucose_record, process_records
from hypothesis import given, settings
from hypothesis import strategies as st

from etl_core import WindowRule
from etl_core.contract.figures import ungrounded_figures, unsupported_figures
from etl_core.contract.timeutil import HOUR_MS, PersonZone
from etl_core.contract.windows import ClockSource
from etl_glucose.agp import hourly_profile, percentile
from etl_glucose.plugin import glucose_spec
from etl_glucose.window_process import DAY_RULE, REPORT_RULE

ZONE = timezone(timedelta(hours=-5))
SPEC = glucose_spec()
DAY = date(2025, 9, 15)  # a Monday
FIVE_MIN_MS = 300_000


def reference_percentile(values: list[float], percent: int) -> Fraction:
    """Type 7 in exact arithmetic: h = (n - 1) p / 100, interpolate between floor and ceil."""
    ordered = sorted(Fraction(v) for v in values)
    h = Fraction(len(ordered) - 1) * percent / 100
    low = int(h)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (h - low) * (ordered[high] - ordered[low])


levels = st.integers(min_value=40, max_value=400).map(float)


@settings(max_examples=300, deadline=None)
@given(st.lists(levels, min_size=1, max_size=200), st.integers(min_value=0, max_value=100))
def test_percentile_is_type_7(values: list[float], percent: int) -> None:
    got = percentile(sorted(values), percent)
    assert got == pytest.approx(float(reference_percentile(values, percent)), abs=1e-9)
    if len(values) > 1 and 0 < percent < 100:
        stdlib = statistics.quantiles(values, n=100, method="inclusive")[percent - 1]
        assert got == pytest.approx(stdlib, abs=1e-9)


def test_percentile_known_values() -> None:
    # type 7 by hand for 1..4: h = 3p, so 5% -> 1 + 0.15, 25% -> 1.75, 95% -> 3 + 0.85
    values = [1.0, 2.0, 3.0, 4.0]
    got = [percentile(values, p) for p in (5, 25, 50, 75, 95)]
    assert got == pytest.approx([1.15, 1.75, 2.5, 3.25, 3.85])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(min_value=0, max_value=23), levels), max_size=400))
def test_hourly_profile_groups_by_hour(pairs: list[tuple[int, float]]) -> None:
    profile = hourly_profile([h for h, _ in pairs], [v for _, v in pairs], (5, 25, 50, 75, 95))
    expected = {}
    for hour in range(24):
        values = [v for h, v in pairs if h == hour]
        if values:
            expected[hour] = (len(values), [ref.quantile7(values, p) for p in (5, 25, 50, 75, 95)])
    assert [row.hour for row in profile] == sorted(expected)
    for row in profile:
        count, percentiles = expected[row.hour]
        assert row.readings == count
        assert list(row.percentiles) == pytest.approx(percentiles, abs=1e-9)


# -- whole windows from crafted records -------------------------------------------------------

runs = st.lists(
    st.tuples(
        st.sampled_from([45.0, 52.0, 60.0, 69.0, 70.0, 110.0, 180.0, 181.0, 240.0, 260.0]),
        st.integers(min_value=1, max_value=40),
    ),
    min_size=1,
    max_size=20,
)
gaps = st.lists(
    st.tuples(st.integers(min_value=0, max_value=287), st.integers(min_value=1, max_value=40)),
    max_size=4,
)


def day_trace(pattern: list[tuple[float, int]], holes: list[tuple[int, int]]) -> list[float | None]:
    """288 five-minute slots of a local day: values by runs, ``None`` where readings miss."""
    values: list[float | None] = [v for v, n in pattern for _ in range(n)][:288]
    values += [110.0] * (288 - len(values))
    for start, length in holes:
        for i in range(start, min(288, start + length)):
            values[i] = None
    return values


def records_for(first: date, slots: list[float | None], zone: tzinfo) -> list[dict[str, Any]]:
    midnight = datetime.combine(first, datetime.min.time(), zone)
    start_ms = int(midnight.timestamp() * 1000)
    return [
        glucose_record(start_ms + i * FIVE_MIN_MS, value, offset="Z", record_id=f"r{i}")
        for i, value in enumerate(slots)
        if value is not None
    ]


def process(rule: WindowRule, first: date, records: list[dict[str, Any]], zone: tzinfo | None):  # type: ignore[no-untyped-def]
    return process_records(rule, first, records, zone)


@settings(max_examples=120, deadline=None)
@given(runs, gaps)
def test_a_crafted_day_matches_the_reference(
    pattern: list[tuple[float, int]], holes: list[tuple[int, int]]
) -> None:
    slots = day_trace(pattern, holes)
    if sum(v is not None for v in slots) < 2:
        return
    records = records_for(DAY, slots, ZONE)
    _, result = process(DAY_RULE, DAY, records, ZONE)
    assert result is not None
    ins = result.insights
    readings = ref.readings(records, ZONE)
    want = ref.figures(readings, DAY, 1)
    for key, value in want.items():
        if key not in ("first_day", "last_day"):
            assert ins[key] == value, key
    for name, found in ref.event_groups(readings).items():
        group = ins["events"][name]
        assert group["count"] == len(found), name
        extreme = "nadir_mg_dl" if name.startswith(("below", "extended")) else "peak_mg_dl"
        assert [
            (e["start"], e["end"], e["duration_min"], e[extreme], e["open"], e["start_observed"])
            for e in group["events"]
        ] == [
            (ref.iso(e.start), ref.iso(e.end), e.minutes, e.extreme, e.open, e.start_observed)
            for e in found
        ], name
    assert [(g["start"], g["end"], g["duration_min"]) for g in ins["sensor_gaps"]["gaps"]] == [
        (ref.iso(s), ref.iso(e), m) for s, e, m in ref.sensor_gaps(readings)
    ]
    night = [r.mg_dl for r in readings if r.local.hour < 6]
    assert ins["overnight"]["readings"] == len(night)
    assert ins["overnight"]["min_mg_dl"] == (min(night) if night else None)
    for example in result.examples:
        assert ungrounded_figures(example.output, result.summary, SPEC.reference_values) == []


@settings(max_examples=40, deadline=None)
@given(
    st.sets(st.integers(min_value=0, max_value=13), min_size=1, max_size=14),
    st.integers(min_value=150, max_value=288),
)
def test_report_sufficiency_needs_14_days_and_70_percent(worn: set[int], per_day: int) -> None:
    first = DAY - timedelta(days=DAY.weekday())  # a Monday: the window ends on a Sunday
    records = []
    for day in sorted(worn):
        slots: list[float | None] = [120.0] * per_day + [None] * (288 - per_day)
        records += [
            {**r, "metadata": {**r["metadata"], "id": f"d{day}-{r['metadata']['id']}"}}
            for r in records_for(first + timedelta(days=day), slots, ZONE)
        ]
    _, result = process(REPORT_RULE, first, records, ZONE)
    assert result is not None
    ins = result.insights
    wear = round(100 * len(worn) * per_day / 4032, 1)
    assert (ins["days_worn"], ins["wear_percent"]) == (len(worn), wear)
    assert ins["data_sufficient"] is (len(worn) == 14 and wear >= 70)
    assert (ins["gmi_percent"] is not None) is ins["data_sufficient"]
    summary = result.examples[0].output
    if not ins["data_sufficient"]:
        assert f"{len(worn)} of" in summary


def test_a_daylight_saving_day_has_23_hours_of_possible_readings() -> None:
    chicago = ZoneInfo("America/Chicago")
    spring = date(2025, 3, 9)
    midnight_ms = int(datetime(2025, 3, 9, tzinfo=chicago).timestamp() * 1000)
    records = [
        glucose_record(midnight_ms + i * FIVE_MIN_MS, 110.0, offset="Z", record_id=f"s{i}")
        for i in range(276)
    ]
    _, result = process(DAY_RULE, spring, records, chicago)
    assert result is not None
    assert result.insights["possible_readings"] == 276
    assert result.insights["wear_percent"] == 100.0
    assert result.insights["clock"]["offsets"] == ["-05:00", "-06:00"]


def test_one_reading_per_instant_and_implausible_levels_left_out() -> None:
    start = int(datetime.combine(DAY, datetime.min.time(), ZONE).timestamp() * 1000)
    records = [
        glucose_record(start, 100.0, record_id="a"),
        glucose_record(start, 100.0, record_id="b"),  # the same reading from a second app
        glucose_record(start + FIVE_MIN_MS, 9999.0, record_id="c"),
        glucose_record(start + 2 * FIVE_MIN_MS, 120.0, record_id="d"),
        glucose_record(start - FIVE_MIN_MS, 80.0, record_id="e"),  # the day before
    ]
    _window, result = process(DAY_RULE, DAY, records, ZONE)
    assert result is not None
    assert result.insights["readings"] == 2
    assert result.insights["excluded_readings"] == 1
    assert result.insights["mean_mg_dl"] == 110.0
    assert "implausible" in result.summary


def test_an_event_running_into_the_end_of_the_data_is_open() -> None:
    slots: list[float | None] = [110.0] * 280 + [60.0] * 8
    records = records_for(DAY, slots, ZONE)
    _, result = process(DAY_RULE, DAY, records, ZONE)
    assert result is not None
    low = result.insights["events"]["below_70"]
    assert low["count"] == 1 and low["open_count"] == 1
    assert low["events"][0]["duration_min"] == 40
    assert low["events"][0]["open"] is True
    text = " ".join(e.output for e in result.examples[:2])
    assert "at least 40 minutes" in text


def _hour(epoch_ms: int) -> int:
    return epoch_ms // HOUR_MS


def test_where_the_clock_came_from_is_said() -> None:
    """The person's zone is core's ``PersonZone`` at run time: the offset of the person's other
    records near each reading, else the configured zone, else UTC; ``window.clock`` says which,
    and so do the insights and the summary and note."""
    slots: list[float | None] = [110.0] * 288
    records = records_for(DAY, slots, ZONE)
    noon = records[144]["timeEpochMillis"]
    # the person's heart-rate records said -05:00 at noon that day
    inferred = PersonZone([(_hour(noon), -300)])
    window, result = process(DAY_RULE, DAY, records, inferred)
    assert window.clock is ClockSource.INFERRED and result is not None
    assert result.insights["clock"] == {
        "source": ClockSource.INFERRED.value,
        "kind": "inferred",
        "offsets": ["-05:00"],
    }
    assert result.insights["readings"] == 288 and result.insights["wear_percent"] == 100.0
    for example in result.examples[:2]:  # the summary and the note
        assert re.search(r"\bother\b", example.output) and "-05:00" in example.output
        assert "UTC" not in example.output

    # no record of the person within 36 hours: the configured zone, else UTC
    far = [(_hour(noon) - 24 * 10, -300)]
    window, result = process(DAY_RULE, DAY, records, PersonZone(far, fallback=ZONE))
    assert window.clock is ClockSource.CONFIGURED and result is not None
    assert result.insights["clock"]["source"] == ClockSource.CONFIGURED.value
    assert result.insights["clock"]["offsets"] == ["-05:00"]
    assert all("-05:00" in e.output for e in result.examples[:2])
    window, result = process(DAY_RULE, DAY, records, PersonZone(far))
    assert window.clock is ClockSource.UTC and result is not None
    assert result.insights["clock"] == {
        "source": ClockSource.UTC.value,
        "kind": "utc",
        "offsets": ["+00:00"],
    }
    assert all("UTC" in e.output for e in result.examples[:2])

    with_offsets = [{**r, "zoneOffsetId": "-05:00"} for r in records]
    _, own = process(DAY_RULE, DAY, with_offsets, None)
    assert own is not None
    assert own.insights["clock"]["source"] == ClockSource.RECORD_OFFSETS.value
    assert "time zone" not in own.examples[0].output and "-05:00" not in own.examples[0].output


def test_a_window_edge_far_from_the_person_s_records_invents_no_clock_change() -> None:
    """A report window whose first week holds no record of the person: core's zone falls back
    to UTC there and reads the readings of the second week at the inferred -05:00. The window
    still lasts 14 days (4032 possible readings), not 14 days and 5 hours, in either order of
    the edges, and for the previous 14 days too."""
    first = DAY - timedelta(days=DAY.weekday())
    second_week = [first + timedelta(days=7 + d) for d in range(7)]
    records = []
    for day in second_week:
        records += [
            {**r, "metadata": {**r["metadata"], "id": f"{day}-{r['metadata']['id']}"}}
            for r in records_for(day, [110.0] * 288, ZONE)
        ]
    stamps = [r["timeEpochMillis"] for r in records]
    # observations on the readings' days only: the window's start is 7 days from any of them
    zone = PersonZone({(_hour(ms), -300) for ms in stamps[::12]})
    window, result = process(REPORT_RULE, first, records, zone)
    assert result is not None and window.clock is ClockSource.INFERRED
    assert zone.source_at(stamps[0] - 7 * 86_400_000) is ClockSource.UTC
    ins = result.insights
    assert ins["possible_readings"] == 4032
    assert ins["readings"] == 7 * 288 and ins["wear_percent"] == 50.0
    # the next report window: its end is 7 days past the last record
    later = [
        {**r, "metadata": {**r["metadata"], "id": f"late-{r['metadata']['id']}"}} for r in records
    ]
    window, result = process(REPORT_RULE, first + timedelta(days=7), later, zone)
    assert result is not None
    assert result.insights["possible_readings"] == 4032
    assert result.insights["previous"]["possible_readings"] == 4032


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(min_value=0, max_value=14 * 1440 - 1), levels),
        min_size=1,
        max_size=300,
    ),
    st.sampled_from(["Z", None, "-05:00", "+05:30"]),
    st.booleans(),
)
def test_any_window_is_grounded_and_says_what_is_missing(
    points: list[tuple[int, float]], offset: str | None, zone_known: bool
) -> None:
    """Sparse, single, irregular or offset-bearing readings: every window still reads right."""
    first = DAY - timedelta(days=DAY.weekday())
    start_ms = int(datetime.combine(first, datetime.min.time(), ZONE).timestamp() * 1000)
    records = [
        glucose_record(start_ms + minute * 60_000, value, offset=offset, record_id=f"p{minute}")
        for minute, value in points
    ]
    zone = ZONE if zone_known else None
    for rule in (DAY_RULE, REPORT_RULE):
        for day in (first, first + timedelta(days=3)) if rule is DAY_RULE else (first,):
            _, result = process(rule, day, records, zone)
            if result is None:
                continue
            ins = result.insights
            assert ins["data_sufficient"] is False
            assert f"{ins['days_worn']} of 14 days worn" in result.summary
            assert unsupported_figures(result.summary, ins) == []
            for example in result.examples:
                missing = ungrounded_figures(example.output, result.summary, SPEC.reference_values)
                assert missing == [], (example.kind, missing, example.output)
