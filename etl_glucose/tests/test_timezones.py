"""Local time by the zone-offset rule: Z, -05:00, +05:30, an offset change inside one file, and
the user's zone for records without an offset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from glucose_builders import FIVE_MIN_MS, START_MS, glucose_record
from hypothesis import given, settings
from hypothesis import strategies as st

from etl_glucose.analysis import analyse
from etl_glucose.localtime import minutes_of_day
from etl_glucose.readings import series_from_records

DAY_READINGS = 288
CHICAGO = ZoneInfo("America/Chicago")


def local_day_trace(
    offset: str | None, tz: timezone | ZoneInfo, start_ms: int = START_MS
) -> list[dict[str, object]]:
    """A day of 5-minute readings: 60 mg/dL when the local clock (in ``tz``) reads 00:00-05:59,
    else 120, so the overnight mean shows which zone the plugin used."""
    records = []
    for i in range(DAY_READINGS):
        epoch_ms = start_ms + i * FIVE_MIN_MS
        hour = datetime.fromtimestamp(epoch_ms / 1000, tz=tz).hour
        records.append(glucose_record(epoch_ms, 60.0 if hour < 6 else 120.0, offset=offset))
    return records


def overnight(insights: dict[str, object]) -> dict[str, object]:
    return insights["time_of_day"]["overnight"]  # type: ignore[index,no-any-return]


def test_z_without_a_user_zone_reads_utc_and_says_so() -> None:
    ins = analyse(series_from_records(local_day_trace("Z", UTC))).insights
    assert ins["timezone"] == "UTC (records carry no offset and no user zone is set)"
    assert ins["local_time_known"] is False
    assert ins["start"] == "2025-09-20T00:00:00+00:00"
    assert overnight(ins)["readings"] == 72 and overnight(ins)["mean_mg_dl"] == 60.0


def test_z_with_a_user_zone_reads_that_zone() -> None:
    records = local_day_trace("Z", CHICAGO)
    ins = analyse(series_from_records(records), CHICAGO).insights
    assert ins["timezone"] == "America/Chicago (user setting; records carry no offset)"
    assert ins["local_time_known"] is True
    assert ins["start"] == "2025-09-19T19:00:00-05:00"
    assert overnight(ins)["mean_mg_dl"] == 60.0 and overnight(ins)["readings"] == 72


def test_missing_offset_is_treated_like_z() -> None:
    ins = analyse(series_from_records(local_day_trace(None, CHICAGO)), CHICAGO).insights
    assert ins["timezone"].startswith("America/Chicago (user setting")
    assert overnight(ins)["mean_mg_dl"] == 60.0


def test_negative_offset() -> None:
    tz = timezone(timedelta(hours=-5))
    ins = analyse(series_from_records(local_day_trace("-05:00", tz))).insights
    assert ins["timezone"] == "-05:00 (record offsets)"
    assert ins["local_time_known"] is True
    assert ins["start"] == "2025-09-19T19:00:00-05:00"
    assert overnight(ins)["mean_mg_dl"] == 60.0 and overnight(ins)["readings"] == 72


def test_half_hour_offset() -> None:
    tz = timezone(timedelta(hours=5, minutes=30))
    ins = analyse(series_from_records(local_day_trace("+05:30", tz))).insights
    assert ins["timezone"] == "+05:30 (record offsets)"
    assert ins["start"] == "2025-09-20T05:30:00+05:30"
    assert overnight(ins)["mean_mg_dl"] == 60.0 and overnight(ins)["readings"] == 72


def test_record_offsets_win_over_the_user_zone() -> None:
    tz = timezone(timedelta(hours=5, minutes=30))
    records = local_day_trace("+05:30", tz)
    ins = analyse(series_from_records(records), CHICAGO).insights
    assert ins["timezone"] == "+05:30 (record offsets)"
    assert overnight(ins)["mean_mg_dl"] == 60.0


def test_offset_change_inside_one_file() -> None:
    """A daylight-saving change: -04:00 until 2025-11-02 06:00Z, then -05:00."""
    change_ms = int(datetime(2025, 11, 2, 6, tzinfo=UTC).timestamp() * 1000)
    start_ms = change_ms - 12 * 3_600_000
    records = []
    for i in range(DAY_READINGS):
        epoch_ms = start_ms + i * FIVE_MIN_MS
        offset = "-04:00" if epoch_ms < change_ms else "-05:00"
        hours = -4 if epoch_ms < change_ms else -5
        local = datetime.fromtimestamp(epoch_ms / 1000, tz=timezone(timedelta(hours=hours)))
        records.append(glucose_record(epoch_ms, 60.0 if local.hour < 6 else 120.0, offset=offset))
    ins = analyse(series_from_records(records)).insights
    assert ins["timezone"] == "-04:00, -05:00 (record offsets)"
    assert ins["start"].endswith("-04:00") and ins["end"].endswith("-05:00")
    expected_night = sum(1 for r in records if r["levelInMilligramsPerDeciliter"] == 60.0)
    assert overnight(ins)["readings"] == expected_night
    assert overnight(ins)["mean_mg_dl"] == 60.0


def test_events_are_reported_in_the_record_offsets() -> None:
    values = [100.0] * 6 + [60.0] * 4 + [100.0] * 6
    records = [
        glucose_record(START_MS + i * FIVE_MIN_MS, v, offset="+05:30") for i, v in enumerate(values)
    ]
    ins = analyse(series_from_records(records)).insights
    [event] = ins["hypo_events"]["below_70"]["events"]
    assert event["start"] == "2025-09-20T06:00:00+05:30"
    assert event["end"] == "2025-09-20T06:20:00+05:30"
    assert event["duration_min"] == 20.0 and event["nadir_mg_dl"] == 60.0


def test_unreadable_offset_falls_back_to_the_user_zone() -> None:
    records = local_day_trace("Mars/Olympus", CHICAGO)
    ins = analyse(series_from_records(records), CHICAGO).insights
    assert ins["timezone"].startswith("America/Chicago (user setting")


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(min_value=1_600_000_000_000, max_value=1_900_000_000_000), max_size=40),
    st.sampled_from(["Z", None, "-05:00", "+05:30", "+14:00", "-09:30", "+00:00"]),
    st.sampled_from(["America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "UTC"]),
)
def test_minutes_of_day_match_datetime(stamps: list[int], offset: str | None, zone: str) -> None:
    user_zone = ZoneInfo(zone)
    got = minutes_of_day(stamps, [offset] * len(stamps), user_zone)
    for epoch_ms, minute in zip(stamps, got, strict=True):
        if offset in ("Z", None):
            tz: timezone | ZoneInfo = user_zone
        else:
            sign = -1 if offset[0] == "-" else 1
            tz = timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6])))
        local = datetime.fromtimestamp(epoch_ms / 1000, tz=tz)
        assert minute == local.hour * 60 + local.minute
