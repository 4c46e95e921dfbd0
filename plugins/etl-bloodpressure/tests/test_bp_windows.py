"""Blood pressure windows, built the way core builds them from a person's exports."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from etl_core import ClockSource, ExampleKind, UserContext, WindowRule
from etl_core.contract.figures import ungrounded_figures, unsupported_figures
from etl_core.testing import windows_from_exports

from etl_bloodpressure.plugin import blood_pressure_spec, etl_process_window
from etl_bloodpressure.samples import FIRST_DAY, export_file, record, week_of_readings
from etl_bloodpressure.windows import WINDOW_RULES

SPEC = blood_pressure_spec()
DAY, WEEK = WindowRule.day(), WindowRule.iso_week()
NEW_YORK = UserContext(timezone=ZoneInfo("America/New_York"))


def results(rule: WindowRule, *exports: bytes, user: UserContext = NEW_YORK) -> dict[str, object]:
    return {
        window.key: etl_process_window(window=window, spec=SPEC)
        for window in windows_from_exports(SPEC, rule, exports, user=user)
    }


def test_the_plugin_declares_a_local_day_and_an_iso_week() -> None:
    assert WINDOW_RULES == (DAY, WEEK)


def test_a_day_holds_its_two_readings_and_gives_no_category() -> None:
    days = results(DAY, export_file(week_of_readings()))
    assert list(days) == [f"day:{FIRST_DAY.date() + timedelta(days=i)}" for i in range(7)]
    first = days["day:2025-10-06"]
    assert first is not None
    assert first.insights["readings"] == 2
    assert first.insights["average_category"] is None  # one day is one occasion
    assert "not a category yet" in first.examples[1].output


def test_the_week_is_classified_from_its_fourteen_readings_on_seven_days() -> None:
    [(key, week)] = results(WEEK, export_file(week_of_readings())).items()
    assert key == "week:2025-10-06"
    assert week is not None
    assert week.insights["readings"] == 14
    assert week.insights["days_with_readings"] == 7
    assert week.insights["average_category"] is not None
    assert [e.kind for e in week.examples] == [ExampleKind.SUMMARY, ExampleKind.NOTE]
    assert unsupported_figures(week.summary, week.insights) == []
    for example in week.examples:
        assert ungrounded_figures(example.output, week.summary, SPEC.reference_values) == []


def test_overlapping_exports_give_the_windows_of_one_export() -> None:
    readings = week_of_readings()
    whole = export_file(readings)
    first, second = export_file(readings[:10]), export_file(readings[4:])
    for rule in WINDOW_RULES:
        assert results(rule, first, second) == results(rule, whole)


def test_a_late_reading_revises_its_day_and_week_and_no_other_day() -> None:
    readings = week_of_readings()
    late = record(FIRST_DAY + timedelta(days=2, hours=13), 181.0, 95.0)
    before_days = results(DAY, export_file(readings))
    after_days = results(DAY, export_file(readings), export_file([late]))
    changed = [key for key in before_days if before_days[key] != after_days[key]]
    assert changed == ["day:2025-10-08"]
    [week] = results(WEEK, export_file(readings), export_file([late])).values()
    assert week is not None
    assert week.insights["category_counts"]["hypertensive_crisis"] == 1
    assert week.events == {"hypertensive_crisis_reading": 1}


def test_readings_without_an_offset_say_which_clock_they_are_in() -> None:
    readings = [{**r, "zoneOffsetId": None} for r in week_of_readings()]
    days = results(DAY, export_file(readings))
    first = days["day:2025-10-06"]
    assert first is not None
    assert first.insights["clock"] == str(ClockSource.CONFIGURED)
    assert first.examples[0].output.endswith("Times are local: configured time zone.")
    utc = results(DAY, export_file(readings), user=UserContext())
    # Read in UTC, the 21:15 evening readings (01:15 UTC) move to the next day's window.
    assert utc["day:2025-10-06"] is not None
    assert date(2025, 10, 13).isoformat() in " ".join(utc)
