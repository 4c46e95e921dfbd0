"""Windows that used to be dropped or misdescribed: clinically abnormal days whose input stated a
count that was no insight (core's grounding check then fails the whole window), local days of 23
and 25 hours, and counts of one. Every window here goes through core's own check
(``check_grounded``), the one that drops a window in a real run."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from heartrate_builders import MINUTE_MS, hr_record, hrv_record
from heartrate_window_support import HR, HRV, specs

from etl_core import ExampleKind, ProcessResult, UserContext
from etl_core.contract.timeutil import PersonZone
from etl_core.contract.windows import build_window
from etl_core.engine.window_stage import check_grounded
from etl_heartrate import plugin

NEW_YORK = ZoneInfo("America/New_York")
EDT, EST = timezone(timedelta(hours=-4)), timezone(timedelta(hours=-5))


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _process(
    record_type: str, rule_name: str, first_day: date, records: list[dict[str, Any]], user: Any
) -> ProcessResult:
    spec = specs()[record_type]
    rule = next(r for r in plugin.etl_windows(spec=spec) or [] if r.name == rule_name)
    window = build_window(
        record_type, rule, first_day, records, time_fields=spec.time_fields, user=user
    )
    result = plugin.etl_process_window(window=window, spec=spec)
    assert result is not None, (record_type, rule_name, first_day)
    check_grounded(result, spec, "heartrate test")  # raises as core does in a run
    return result


def _texts(result: ProcessResult) -> list[str]:
    return [result.summary, *(e.output for e in result.examples)]


def _minute_records(
    first: datetime, minutes: int, bpm_at: Callable[[datetime], float], offset: str | None
) -> list[dict[str, Any]]:
    """One sample a minute from ``first`` (aware) on, ten minutes a record, as the probe's
    exports hold them."""
    records = []
    for block in range(0, minutes, 10):
        samples = []
        for minute in range(block, min(block + 10, minutes)):
            moment = first + timedelta(minutes=minute)
            samples.append((_ms(moment), bpm_at(moment)))
        records.append(hr_record(samples, origin="com.google.android.apps.fitness", offset=offset))
    return records


# -- counts stated by the input are insights ----------------------------------------------------


def _wall_minute(moment: datetime) -> int:
    local = moment.astimezone(EDT)
    return local.hour * 60 + local.minute


def test_a_day_with_two_resting_tachycardia_spells_is_kept_and_grounded() -> None:
    # The probe's day: 72 bpm from 08:00 to 22:00 (-04:00), 110 bpm at 10:00-10:30 and
    # 18:00-18:45. Two sustained periods above 100 bpm, one sample a minute in each.
    def bpm(moment: datetime) -> float:
        minute = _wall_minute(moment)
        return 110 if 600 <= minute < 630 or 1080 <= minute < 1125 else 72

    records = _minute_records(datetime(2025, 9, 10, 8, tzinfo=EDT), 14 * 60, bpm, "-04:00")
    result = _process(HR, "day", date(2025, 9, 10), records, UserContext(age_years=40))
    ins = result.insights
    assert ins["tachycardia_episode_count"] == 2
    assert [
        (e["start"][11:16], e["end"][11:16], e["samples"]) for e in ins["tachycardia_episodes"]
    ] == [
        ("10:00", "10:29", 30),
        ("18:00", "18:44", 45),
    ]
    assert "sustained above 100 bpm: 2: 10:00-10:29" in result.summary
    assert ins["bradycardia_episode_count"] == 0
    kinds = {e.kind for e in result.examples}
    assert {ExampleKind.SUMMARY, ExampleKind.NOTE, ExampleKind.QUESTION} <= kinds


@pytest.mark.parametrize("spells", [2, 3, 4])
@pytest.mark.parametrize("high", [True, False])
def test_several_sustained_periods_each_give_a_grounded_day(spells: int, high: bool) -> None:
    # Ten-minute spells at 120 (or 45) bpm an hour apart from 02:00, 60-72 bpm otherwise.
    def bpm(moment: datetime) -> float:
        minute = _wall_minute(moment)
        if any(120 + 60 * k <= minute < 130 + 60 * k for k in range(spells)):
            return 120 if high else 45
        return 72 if high else 60

    records = _minute_records(datetime(2025, 9, 12, 0, tzinfo=EDT), 22 * 60, bpm, "-04:00")
    for age in (None, 40):
        result = _process(HR, "day", date(2025, 9, 12), records, UserContext(age_years=age))
        kind = "tachycardia" if high else "bradycardia"
        assert result.insights[f"{kind}_episode_count"] == spells
        assert len(result.insights[f"{kind}_episodes"]) == spells
        line = next(
            line
            for line in result.summary.splitlines()
            if line.startswith("sustained " + ("above" if high else "below"))
        )
        assert line.split(": ")[1] == str(spells)


def test_a_day_whose_resting_rate_is_exactly_100_is_kept() -> None:
    # 115 bpm from 08:00 to 22:00 except exactly 100 bpm at 13:00-13:40: the resting value is
    # 100.0, the top of the usual range, and the day has two periods above 100 bpm around it.
    def bpm(moment: datetime) -> float:
        minute = _wall_minute(moment)
        return 100 if 780 <= minute < 820 else 115

    records = _minute_records(datetime(2025, 9, 11, 8, tzinfo=EDT), 14 * 60, bpm, "-04:00")
    result = _process(HR, "day", date(2025, 9, 11), records, UserContext(age_years=40))
    ins = result.insights
    assert ins["resting_bpm"] == 100.0
    assert ins["resting_status"] == "within"
    assert ins["tachycardia_episode_count"] == 2
    assert [(e["start"][11:16], e["end"][11:16]) for e in ins["tachycardia_episodes"]] == [
        ("08:00", "12:59"),
        ("13:40", "21:59"),
    ]


# -- counts of one ------------------------------------------------------------------------------

_PLURAL_OF_ONE = re.compile(
    r"(?<![\d.,])1 (?:monitored |heart-rate |RMSSD )?"
    r"(?:samples|minutes|readings|values|periods|stretches|nights|days)\b"
)


def test_a_single_sample_day_says_1_sample_and_1_minute() -> None:
    record = hr_record(
        [(_ms(datetime(2025, 9, 13, 12, tzinfo=EDT)), 55)],
        origin="com.google.android.apps.fitness",
        offset="-04:00",
    )
    result = _process(HR, "day", date(2025, 9, 13), [record], UserContext(age_years=40))
    assert result.insights["samples"] == 1 and result.insights["monitored_minutes"] == 1
    for text in _texts(result):
        assert not _PLURAL_OF_ONE.search(text), text
    outputs = " ".join(e.output for e in result.examples)
    assert "1 sample " in outputs or "1 sample." in outputs or "1 minute" in outputs


def test_a_night_of_one_reading_says_1_reading() -> None:
    night_start = _ms(datetime(2025, 9, 19, 23, tzinfo=EST))
    result = _process(
        HRV, "night", date(2025, 9, 19), [hrv_record(night_start, 41.0)], UserContext()
    )
    assert result.insights["measurements"] == 1
    assert "measurements: 1 RMSSD value from" in result.summary
    for text in _texts(result):
        assert not _PLURAL_OF_ONE.search(text), text


# -- local days of 25 and 23 hours --------------------------------------------------------------


def _day_length_minutes(day: date, zone: tzinfo) -> int:
    """The local day's length from its two midnights, read as instants."""
    start = datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)
    following = day + timedelta(days=1)
    end = datetime(following.year, following.month, following.day, tzinfo=zone).astimezone(UTC)
    return int((end - start).total_seconds() // 60)


def _fall_back_records(offsets: bool) -> list[dict[str, Any]]:
    """The probe's series: one sample a minute from 22:00 EDT on 2025-11-01 to midnight EST on
    2025-11-03, 65 bpm except 55 bpm in the first 40 minutes of the second 01:00 (EST). With
    ``offsets`` each record carries the offset in force (-04:00, then -05:00), else none."""
    start = datetime(2025, 11, 2, 2, tzinfo=UTC)
    second_one_oclock = datetime(2025, 11, 2, 6, tzinfo=UTC)
    records = []
    moment = start
    while moment < datetime(2025, 11, 3, 5, tzinfo=UTC):
        samples = []
        for minute in range(10):
            at = moment + timedelta(minutes=minute)
            low = second_one_oclock <= at < second_one_oclock + timedelta(minutes=40)
            samples.append((_ms(at), 55 if low else 65))
        offset = None
        if offsets:
            offset = "-04:00" if moment < second_one_oclock else "-05:00"
        records.append(hr_record(samples, origin="com.google.android.apps.fitness", offset=offset))
        moment += timedelta(minutes=10)
    return records


FALL_BACK_USERS = {
    "configured zone": UserContext(age_years=40, timezone=NEW_YORK),
    "person zone": UserContext(age_years=40, timezone=PersonZone([], NEW_YORK)),
}


@pytest.mark.parametrize("clock", [*FALL_BACK_USERS, "record offsets"])
def test_the_fall_back_day_has_1500_minutes_and_names_the_second_one_oclock(clock: str) -> None:
    records = _fall_back_records(offsets=clock == "record offsets")
    user = FALL_BACK_USERS.get(clock, UserContext(age_years=40))
    day = date(2025, 11, 2)
    result = _process(HR, "day", day, records, user)
    ins = result.insights
    length = _day_length_minutes(day, NEW_YORK)
    assert length == 1500
    assert ins["day_minutes"] == length
    assert ins["monitored_minutes"] == length  # one sample every minute of the day
    assert ins["coverage_percent"] == 100.0
    # The resting rule still asks for 288 monitored minutes (20% of a 1,440-minute day).
    assert ins["thresholds"]["resting_min_day_minutes_monitored"] == 288
    assert "monitored: 1,500 of 1,500 minutes (100.0%)" in result.summary
    # The low 40 minutes began at 01:00 EST (06:00 UTC): the window's first half hour there.
    assert ins["resting_bpm"] == 55.0
    assert ins["resting_window_start"] == "2025-11-02T01:00:00-05:00"
    assert ins["resting_window_end"] == "2025-11-02T01:30:00-05:00"
    assert ins["first_sample"] == "2025-11-02T00:00:00-04:00"
    assert ins["last_sample"] == "2025-11-02T23:59:00-05:00"
    assert ins["clock"]["offsets"] == ["-04:00", "-05:00"]
    assert ins["clock"]["offset_changes"] == [
        {"from": "-04:00", "to": "-05:00", "at": "2025-11-02T01:00:00-05:00"}
    ]
    assert "-04:00, then -05:00 from 2025-11-02 01:00" in result.summary
    assert "resting heart rate: 55.0 bpm, 01:00-01:30 (-05:00)" in result.summary
    for example in result.examples:
        assert "record offsets" not in example.output
        if example.kind in (ExampleKind.SUMMARY, ExampleKind.NOTE):
            assert "then -05:00 from 2025-11-02 01:00" in example.output
    # The day before and after: ordinary days, read in one offset each.
    before = _process(HR, "day", date(2025, 11, 1), records, user)
    assert before.insights["day_minutes"] == 1440
    assert before.insights["clock"]["offsets"] == ["-04:00"]


def test_the_week_of_the_fall_back_says_its_clock_changed() -> None:
    result = _process(
        HR,
        "week",
        date(2025, 10, 27),
        _fall_back_records(offsets=False),
        FALL_BACK_USERS["person zone"],
    )
    assert "clock: local time (-04:00, then -05:00 from 2025-11-02 01:00)" in result.summary


@pytest.mark.parametrize("zone", [NEW_YORK, PersonZone([], NEW_YORK)], ids=["zoneinfo", "person"])
def test_the_spring_forward_day_has_1380_minutes(zone: tzinfo) -> None:
    # 2025-03-09 in New York: 02:00 EST jumps to 03:00 EDT. Samples every minute of the day, no
    # offsets on the records; 50 bpm for 40 minutes from 03:00 EDT.
    day = date(2025, 3, 9)
    start = datetime(2025, 3, 9, 5, tzinfo=UTC)  # midnight EST
    three_edt = datetime(2025, 3, 9, 7, tzinfo=UTC)

    def bpm(moment: datetime) -> float:
        return 50 if three_edt <= moment < three_edt + timedelta(minutes=40) else 64

    length = _day_length_minutes(day, NEW_YORK)
    assert length == 1380
    records = _minute_records(start, length, bpm, None)
    result = _process(HR, "day", day, records, UserContext(timezone=zone))
    ins = result.insights
    assert (ins["day_minutes"], ins["monitored_minutes"], ins["coverage_percent"]) == (
        1380,
        1380,
        100.0,
    )
    assert ins["resting_window_start"] == "2025-03-09T03:00:00-04:00"
    assert ins["first_sample"] == "2025-03-09T00:00:00-05:00"
    assert ins["clock"]["offset_changes"] == [
        {"from": "-05:00", "to": "-04:00", "at": "2025-03-09T03:00:00-04:00"}
    ]
    assert "monitored: 1,380 of 1,380 minutes (100.0%)" in result.summary


def test_coverage_of_a_day_never_exceeds_its_length_in_record_offsets() -> None:
    # A traveller's day: records at -05:00 until 10:00 local, then at -08:00 (three hours gained).
    first = datetime(2025, 9, 20, 0, tzinfo=EST)
    west = timezone(timedelta(hours=-8))
    east_part = _minute_records(first, 600, lambda _m: 70, "-05:00")
    west_first = datetime(2025, 9, 20, 7, tzinfo=west)  # 10:00 EST
    west_part = _minute_records(west_first, 17 * 60, lambda _m: 70, "-08:00")
    result = _process(HR, "day", date(2025, 9, 20), east_part + west_part, UserContext())
    ins = result.insights
    assert ins["monitored_minutes"] == 600 + 17 * 60
    assert ins["day_minutes"] == 27 * 60  # midnight at -05:00 to midnight at -08:00
    assert ins["coverage_percent"] == round(100 * (600 + 17 * 60) / (27 * 60), 1)
    assert ins["clock"]["offsets"] == ["-05:00", "-08:00"]


def test_an_hrv_night_across_the_fall_back_names_both_offsets() -> None:
    # Readings every 30 minutes from 23:00 EDT on 2025-11-01 to 06:00 EST: 01:30 happens twice.
    first = datetime(2025, 11, 2, 3, tzinfo=UTC)
    records = [
        hrv_record(_ms(first + timedelta(minutes=30 * k)), 40.0 + k, offset=None) for k in range(17)
    ]
    for user in (UserContext(timezone=NEW_YORK), UserContext(timezone=PersonZone([], NEW_YORK))):
        result = _process(HRV, "night", date(2025, 11, 1), records, user)
        night = result.insights["night"]
        assert night["first"] == "2025-11-01T23:00:00-04:00"
        assert night["last"] == "2025-11-02T06:00:00-05:00"
        assert result.insights["clock"]["offsets"] == ["-04:00", "-05:00"]
        assert "23:00 (-04:00) to 06:00 (-05:00)" in result.summary


# -- a sweep: every text of many crafted windows is grounded ------------------------------------


def test_crafted_windows_of_every_kind_are_grounded() -> None:
    """Days and weeks of assorted shapes (episodes, sparse days, stray readings, a single
    sample, ages with and without zones) and HRV nights and weeks with nights of one reading:
    core's check passes on each, and no text says "1 samples"."""
    day_ms = 86_400_000
    base = datetime(2025, 9, 1, tzinfo=EST)
    shapes: list[Callable[[int], float | None]] = [
        lambda m: 55 if m == 720 else None,
        lambda m: 150 if m in (100, 103) else (70 if m % 10 == 0 else None),
        lambda m: 40 if m in (5, 9) else (66 if 300 <= m < 400 else None),
        lambda m: 130 if 600 <= m < 700 or 800 <= m < 812 else (58 if m < 1400 else None),
        lambda m: 44 if 60 <= m < 75 or 200 <= m < 215 or 400 <= m < 420 else 75,
    ]
    records = []
    for index in range(35):
        shape = shapes[index % len(shapes)]
        start = _ms(base) + index * day_ms
        samples = [(start + m * MINUTE_MS, b) for m in range(1440) if (b := shape(m)) is not None]
        records += [hr_record(samples[i : i + 600]) for i in range(0, len(samples), 600)]
    checked = 0
    for age in (None, 15, 40):
        for index in range(28, 35):
            result = _process(
                HR,
                "day",
                date(2025, 9, 1) + timedelta(days=index),
                records,
                UserContext(age_years=age),
            )
            assert all(not _PLURAL_OF_ONE.search(text) for text in _texts(result))
            checked += 1
    for monday in (date(2025, 9, 22), date(2025, 9, 29)):
        _process(HR, "week", monday, records, UserContext())
        checked += 1
    hrv = []
    for night in range(40):
        count = (1, 2, 6)[night % 3]
        start = _ms(base) + night * day_ms + 23 * 3_600_000
        hrv += [hrv_record(start + k * 5 * MINUTE_MS, 30.0 + night % 9 + k) for k in range(count)]
    for night in range(30, 40):
        result = _process(
            HRV, "night", date(2025, 9, 1) + timedelta(days=night), hrv, UserContext()
        )
        assert all(not _PLURAL_OF_ONE.search(text) for text in _texts(result))
        checked += 1
    _process(HRV, "week", date(2025, 10, 6), hrv, UserContext())
    assert checked == 21 + 2 + 10
