"""Calendar windows (``etl_core.contract.windows``): which windows a local time span touches, window
membership in local time, and the two window hooks called through pluggy's relay."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pluggy
import pytest
from hypothesis import given
from hypothesis import strategies as st

from etl_core import (
    ExampleKind,
    ExampleText,
    ProcessResult,
    RecordTypeSpec,
    UserContext,
    Window,
    WindowRule,
    choose,
    hookimpl,
)
from etl_core.contract import hookspecs
from etl_core.contract.timeutil import HOUR_MS, PersonZone
from etl_core.contract.windows import (
    SUNDAY,
    ClockSource,
    build_window,
    clock_of,
    newest_versions,
    parse_window_key,
    record_key,
    sort_rules,
    window_days_of,
    windows_of_span,
)
from etl_core.contract.wording import mask_digits
from etl_core.testing import synthetic_person, windows_from_exports

CDT = timezone(timedelta(hours=-5))


def test_a_day_window_holds_one_local_calendar_day() -> None:
    rule = WindowRule.day()
    assert rule.first_days_containing(date(2025, 9, 20)) == [date(2025, 9, 20)]
    assert rule.local_start(date(2025, 9, 20)) == datetime(2025, 9, 20)
    assert rule.local_end(date(2025, 9, 20)) == datetime(2025, 9, 21)
    assert rule.key(date(2025, 9, 20)) == "day:2025-09-20"
    assert parse_window_key("day:2025-09-20") == ("day", date(2025, 9, 20))


def test_a_night_runs_noon_to_noon_and_is_named_by_the_evening() -> None:
    rule = WindowRule.night()
    assert rule.window_day(datetime(2025, 9, 20, 3, 0)) == date(2025, 9, 19)
    assert rule.window_day(datetime(2025, 9, 20, 12, 0)) == date(2025, 9, 20)
    # A session from 23:00 to 07:00 is one night.
    assert windows_of_span(rule, datetime(2025, 9, 19, 23), datetime(2025, 9, 20, 7)) == [
        date(2025, 9, 19)
    ]


def test_an_iso_week_runs_monday_to_sunday() -> None:
    rule = WindowRule.iso_week()
    monday = date(2025, 9, 15)
    for offset in range(7):
        assert rule.first_days_containing(monday + timedelta(days=offset)) == [monday]
    assert rule.first_days_containing(date(2025, 9, 22)) == [date(2025, 9, 22)]


def test_fourteen_days_ending_on_sundays_overlap_by_a_week() -> None:
    rule = WindowRule.days_ending(14, SUNDAY, "cgm_14d")
    # Wednesday 2025-09-17 lies in the fortnights ending Sun 21 Sep and Sun 28 Sep.
    assert rule.first_days_containing(date(2025, 9, 17)) == [date(2025, 9, 8), date(2025, 9, 15)]
    assert rule.local_end(date(2025, 9, 8)) == datetime(2025, 9, 22)


def test_a_span_touches_every_window_it_crosses_both_ends_included() -> None:
    rule = WindowRule.day()
    # A whole-day steps record as exporters write it: 00:00 to 23:59:59.999 is one day.
    last_moment = datetime(2025, 9, 21) - timedelta(milliseconds=1)
    assert windows_of_span(rule, datetime(2025, 9, 20), last_moment) == [date(2025, 9, 20)]
    # A series ending at midnight exactly may hold a sample at that instant: the new day's.
    assert windows_of_span(rule, datetime(2025, 9, 20, 23), datetime(2025, 9, 21)) == [
        date(2025, 9, 20),
        date(2025, 9, 21),
    ]
    assert windows_of_span(rule, datetime(2025, 9, 20, 23), datetime(2025, 9, 21, 1)) == [
        date(2025, 9, 20),
        date(2025, 9, 21),
    ]
    assert windows_of_span(rule, datetime(2025, 9, 20, 5), datetime(2025, 9, 20, 5)) == [
        date(2025, 9, 20)
    ]


@given(
    days=st.integers(1, 30),
    ends_on=st.one_of(st.none(), st.integers(0, 6)),
    day=st.dates(date(2000, 1, 1), date(2100, 1, 1)),
)
def test_every_window_found_for_a_day_really_contains_it(
    days: int, ends_on: int | None, day: date
) -> None:
    rule = WindowRule("w", days=days, ends_on=ends_on)
    firsts = rule.first_days_containing(day)
    for first in firsts:
        assert first <= day <= first + timedelta(days=days - 1)
        if ends_on is not None:
            assert (first + timedelta(days=days - 1)).weekday() == ends_on
    if ends_on is None:
        assert len(firsts) == days
    else:
        # Windows end once a week: a day lies in ceil(days / 7) or floor(days / 7) of them.
        assert days // 7 <= len(firsts) <= -(-days // 7)


def test_rules_refuse_bad_declarations() -> None:
    with pytest.raises(ValueError, match="name"):
        WindowRule("Day")
    with pytest.raises(ValueError, match="days"):
        WindowRule("long", days=400)
    with pytest.raises(ValueError, match="ends_on"):
        WindowRule("w", ends_on=7)
    with pytest.raises(ValueError, match="named twice"):
        sort_rules([WindowRule.day(), WindowRule.day()])


def test_window_membership_reads_each_instant_in_its_own_clock() -> None:
    window = Window("StepsRecord", WindowRule.day(), date(2025, 9, 20), records=())
    late_evening = int(datetime(2025, 9, 21, 3, 30, tzinfo=UTC).timestamp() * 1000)
    # 03:30 UTC is 22:30 on the 20th at -05:00, and the 21st in UTC.
    assert window.contains(late_evening, "-05:00")
    assert not window.contains(late_evening, "Z")
    in_person_zone = Window(
        "StepsRecord",
        WindowRule.day(),
        date(2025, 9, 20),
        records=(),
        user=UserContext(timezone=None),
    )
    assert not in_person_zone.contains(late_evening, None)
    assert window.local(late_evening, "-05:00") == datetime(2025, 9, 20, 22, 30, tzinfo=CDT)
    assert window.days() == [date(2025, 9, 20)]
    assert window.key == "day:2025-09-20"


def test_choose_is_deterministic_and_spreads_over_the_options() -> None:
    options = [f"phrasing {i}" for i in range(8)]
    assert choose(options, "glucose", 104.2) == choose(options, "glucose", 104.2)
    picked = {choose(options, "glucose", value) for value in range(200)}
    assert picked == set(options)
    with pytest.raises(ValueError):
        choose([], "x")
    assert mask_digits("mean 104.2 mg/dL on 2025-09-20") == "mean ###.# mg/dL on ####-##-##"


class _WindowedPlugin:
    @hookimpl
    def etl_windows(self, spec: RecordTypeSpec) -> list[WindowRule] | None:
        return [WindowRule.day()] if spec.name == "StepsRecord" else None

    @hookimpl
    def etl_process_window(self, window: Window, spec: RecordTypeSpec) -> ProcessResult | None:
        if window.record_type != "StepsRecord":
            return None
        total = sum(int(r["count"]) for r in window.records)
        text = f"{total} steps on {window.first_day.isoformat()}."
        return ProcessResult(
            narrative=text,
            insights={"steps": total, "date": window.first_day.isoformat()},
            summary=f"steps: {total}\ndate: {window.first_day.isoformat()}",
            examples=[ExampleText(ExampleKind.SUMMARY, text)],
        )


def _manager() -> pluggy.PluginManager:
    manager = pluggy.PluginManager("etl_core")
    manager.add_hookspecs(hookspecs)
    manager.register(_WindowedPlugin(), name="windowed")
    manager.check_pending()
    return manager


def test_etl_windows_is_first_result_per_record_type() -> None:
    manager = _manager()
    steps = RecordTypeSpec("StepsRecord", "physical_activity", None)
    other = RecordTypeSpec("HeartRateRecord", "cardiovascular_fitness", None)
    assert manager.hook.etl_windows(spec=steps) == [WindowRule.day()]
    assert manager.hook.etl_windows(spec=other) is None


def test_etl_process_window_is_first_result_and_sees_the_whole_window() -> None:
    manager = _manager()
    steps = RecordTypeSpec("StepsRecord", "physical_activity", None)
    window = Window(
        "StepsRecord",
        WindowRule.day(),
        date(2025, 9, 20),
        records=[{"count": 3933}, {"count": 120}],
    )
    result = manager.hook.etl_process_window(window=window, spec=steps)
    assert result.insights == {"steps": 4053, "date": "2025-09-20"}
    assert [e.kind for e in result.examples] == [ExampleKind.SUMMARY]


# -- windows assembled from records ------------------------------------------------------------


def _steps(rid: str, day: int, count: int, modified: int) -> dict[str, object]:
    start = int(datetime(2025, 9, day, tzinfo=CDT).timestamp() * 1000)
    return {
        "metadata": {"id": rid, "lastModifiedTimeEpochMillis": modified},
        "startTimeEpochMillis": start,
        "endTimeEpochMillis": start + 86_400_000 - 1,
        "startZoneOffsetId": "-05:00",
        "endZoneOffsetId": "-05:00",
        "count": count,
    }


def test_the_newest_version_of_a_record_wins_whatever_the_order() -> None:
    running = _steps("a", 20, 1200, modified=1)
    complete = _steps("a", 20, 3933, modified=2)
    assert newest_versions([running, complete]) == [complete]
    assert newest_versions([complete, running]) == [complete]
    twin = {**complete, "count": 3934}
    assert newest_versions([complete, twin]) == newest_versions([twin, complete])


def test_a_record_without_an_id_gets_the_same_surrogate_in_every_file() -> None:
    bare = {"timeEpochMillis": 1, "value": 2.0, "appRecordFetchTimeEpochMillis": 10}
    again = {**bare, "appRecordFetchTimeEpochMillis": 99}
    assert record_key(bare) == record_key(again)
    assert record_key(bare).startswith("sha256:")
    assert record_key({"metadata": {"id": "x"}}) == "x"


def test_build_window_keeps_the_distinct_records_touching_it_and_its_lookback() -> None:
    records = [
        _steps("a", 20, 1200, modified=1),
        _steps("a", 20, 3933, modified=2),
        _steps("b", 19, 5000, modified=1),
        _steps("c", 21, 800, modified=1),
        _steps("d", 10, 7000, modified=1),
    ]
    fields = ("startTimeEpochMillis", "endTimeEpochMillis")
    window = build_window(
        "StepsRecord",
        WindowRule.day(lookback_days=7),
        date(2025, 9, 20),
        records,
        time_fields=fields,
    )
    assert [r["count"] for r in window.records] == [3933]
    assert [r["count"] for r in window.earlier] == [5000]
    assert window_days_of(WindowRule.day(), records[2], fields, None) == [date(2025, 9, 19)]


def test_windows_from_the_synthetic_person_hold_every_version_once() -> None:
    exports = synthetic_person(9)
    spec = RecordTypeSpec(
        "StepsRecord",
        "physical_activity",
        None,
        time_fields=("startTimeEpochMillis", "endTimeEpochMillis"),
    )
    days = windows_from_exports(spec, WindowRule.day(), exports)
    assert [w.first_day for w in days] == [date(2025, 6, 2) + timedelta(days=i) for i in range(9)]
    for window in days:
        ids = [record_key(r) for r in window.records]
        assert len(ids) == len(set(ids))
        assert 1 <= len(ids) <= 2  # the phone, and the ring on most days
    weeks = windows_from_exports(spec, WindowRule.iso_week(), exports)
    assert [w.key for w in weeks] == ["week:2025-06-02", "week:2025-06-09"]


def test_the_window_clock_names_the_weakest_source_its_records_needed() -> None:
    fields = ("timeEpochMillis",)
    own = {"timeEpochMillis": 1, "zoneOffsetId": "-05:00"}
    bare = {"timeEpochMillis": 2, "zoneOffsetId": "Z"}
    assert clock_of([own], fields, None) is ClockSource.RECORD_OFFSETS
    assert clock_of([own, bare], fields, None) is ClockSource.UTC
    assert clock_of([bare], fields, CDT) is ClockSource.CONFIGURED


_DAY_START_MS = 1_758_326_400_000  # 2025-09-20T00:00Z
_OFFSET_IDS = st.sampled_from([None, "Z", "", "-05:00", "+09:30", "bogus", 7])
_SPAN_RECORD = st.fixed_dictionaries(
    {
        "metadata": st.fixed_dictionaries({"id": st.uuids().map(str)}),
        "startTime": st.integers(_DAY_START_MS - 2 * 86_400_000, _DAY_START_MS + 3 * 86_400_000),
        "startZoneOffset": _OFFSET_IDS,
        "endTime": st.one_of(
            st.integers(_DAY_START_MS - 2 * 86_400_000, _DAY_START_MS + 4 * 86_400_000),
            st.none(),
            st.just("noon"),
        ),
        "endZoneOffset": _OFFSET_IDS,
    }
)


@given(
    records=st.lists(_SPAN_RECORD, max_size=12),
    zone=st.sampled_from(["none", "configured", "person", "person-far"]),
)
def test_a_built_window_names_the_clock_clock_of_names_for_its_records(
    records: list[dict[str, object]], zone: str
) -> None:
    # build_window finds the clock while placing the records; it must agree with clock_of
    # read over the records it kept, whatever offsets, ends and zone they come with.
    observed = [((_DAY_START_MS // HOUR_MS) + 2, -300)]
    zones = {
        "none": None,
        "configured": CDT,
        "person": PersonZone(observed, None),
        "person-far": PersonZone([(observed[0][0] + 200, 60)], CDT),
    }
    fields = ("startTime", "endTime")
    user = UserContext(timezone=zones[zone])
    window = build_window(
        "ExerciseSessionRecord",
        WindowRule.day(lookback_days=1),
        date(2025, 9, 20),
        records,
        time_fields=fields,
        user=user,
        distinct=True,
    )
    assert window.clock is clock_of(window.records, fields, user.timezone)


def test_an_output_figure_must_be_in_the_input_or_a_reference_value() -> None:
    from etl_core.contract.figures import ungrounded_figures

    text = "Mean glucose was 104.2 mg/dL, with 96% of readings between 70 and 180."
    assert ungrounded_figures(text, "mean: 104.2 mg/dL\ntime in range: 96%") == ["70", "180"]
    reference = {"low": 70, "high": 180}
    assert ungrounded_figures(text, "mean: 104.2 mg/dL\ntime in range: 96%", reference) == []
