from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from etl_core.contract.timeutil import (
    HOUR_MS,
    PersonZone,
    UnknownZoneError,
    batch_bounds,
    describe_zone_use,
    parse_offset,
    resolve_tz,
    split_by_local_day,
    to_local,
    zone_reach_hours,
)

# 2025-09-20T04:00:00Z
INSTANT_MS = 1_758_340_800_000


@pytest.mark.parametrize(
    ("offset_id", "expected"),
    [
        ("-05:00", timezone(timedelta(hours=-5))),
        ("+05:30", timezone(timedelta(hours=5, minutes=30))),
        ("+00:00", UTC),
        ("Z", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_offset(offset_id: str | None, expected: timezone | None) -> None:
    assert parse_offset(offset_id) == expected


@pytest.mark.parametrize("bad", ["EST", "+25:00", "5", "--05:00"])
def test_parse_offset_refuses_nonsense(bad: str) -> None:
    with pytest.raises(UnknownZoneError):
        parse_offset(bad)


def test_z_falls_back_to_user_zone_then_utc() -> None:
    chicago = ZoneInfo("America/Chicago")
    assert resolve_tz("Z", chicago) is chicago
    assert resolve_tz(None, None) is UTC
    assert resolve_tz("-05:00", chicago) == timezone(timedelta(hours=-5))
    assert to_local(INSTANT_MS, "Z", chicago).hour == 23  # CDT is UTC-5 in September
    assert to_local(INSTANT_MS, "+05:30", None).hour == 9


def test_split_by_local_day_prorates_at_local_midnight() -> None:
    tz = timezone(timedelta(hours=-5))
    # 22:00 on the 19th to 02:00 on the 20th, local.
    start = INSTANT_MS - 3 * 3_600_000 + 0  # 01:00Z = 20:00 local on the 19th
    shares = split_by_local_day(start, start + 6 * 3_600_000, tz)
    assert [s.day for s in shares] == [date(2025, 9, 19), date(2025, 9, 20)]
    assert [s.duration_ms for s in shares] == [4 * 3_600_000, 2 * 3_600_000]


def test_split_by_local_day_handles_dst_day() -> None:
    zone = ZoneInfo("America/New_York")
    # 2025-11-02 is 25 hours long in New York.
    start = 1_762_056_000_000  # 2025-11-02T04:00Z = 00:00 EDT
    shares = split_by_local_day(start, start + 25 * 3_600_000, zone)
    assert len(shares) == 1
    assert shares[0].duration_ms == 25 * 3_600_000


def test_describe_zone_use_names_every_source() -> None:
    assert describe_zone_use(["-05:00", "-05:00"], None) == "-05:00 (record offsets)"
    assert describe_zone_use(["-05:00", "-04:00"], None) == "-05:00, -04:00 (record offsets)"
    assert describe_zone_use(["Z"], ZoneInfo("Asia/Kolkata")) == (
        "Asia/Kolkata (user setting; records carry no offset)"
    )
    assert "UTC" in describe_zone_use([None], None)


def test_batch_bounds_uses_each_records_offset() -> None:
    records = [
        {
            "startTimeEpochMillis": INSTANT_MS,
            "endTimeEpochMillis": INSTANT_MS + 60_000,
            "startZoneOffsetId": "-05:00",
            "endZoneOffsetId": "-04:00",
        },
    ]
    bounds = batch_bounds(records, ("startTimeEpochMillis", "endTimeEpochMillis"), None)
    assert bounds is not None
    assert bounds[0].isoformat() == "2025-09-19T23:00:00-05:00"
    assert bounds[1].isoformat() == "2025-09-20T00:01:00-04:00"


def test_readable_offset_passes_good_ids_and_drops_unreadable_ones() -> None:
    from etl_core.contract.timeutil import readable_offset

    assert readable_offset("-05:00") == "-05:00"
    assert readable_offset("Z") == "Z"
    assert readable_offset("EST") is None
    assert readable_offset(None) is None
    assert readable_offset(42) is None


def test_unreadable_offsets_count_as_missing_in_bounds_and_descriptions() -> None:
    records = [{"timeEpochMillis": INSTANT_MS, "zoneOffsetId": "+99:00"}]
    bounds = batch_bounds(records, ("timeEpochMillis",), None)
    assert bounds is not None and bounds[0].utcoffset() == timedelta(0)
    assert describe_zone_use(["garbage", "-05:00"], None) == (
        "-05:00 (record offsets); UTC (records carry no offset and no user zone is set)"
    )


@pytest.mark.parametrize(
    ("fallback", "observed"),
    [
        (None, []),
        (UTC, []),
        (ZoneInfo("America/New_York"), []),
        (ZoneInfo("Australia/Lord_Howe"), []),  # half an hour of daylight saving
        (ZoneInfo("Europe/Berlin"), [(100, 540), (400, -300)]),
        (None, [(300, 330)]),
    ],
)
def test_a_clocks_offset_range_holds_every_offset_it_gives(
    fallback: tzinfo | None, observed: list[tuple[int, int]]
) -> None:
    """``PersonZone.offset_range`` against the clock read every ten minutes of five weeks that
    hold each zone's daylight-saving changes of spring or autumn 2025; ``observed`` pairs are
    (hours into the five weeks, offset minutes)."""
    for first in (datetime(2025, 3, 5, tzinfo=UTC), datetime(2025, 10, 1, tzinfo=UTC)):
        low = int(first.timestamp() * 1000)
        high = low + 35 * 86_400_000
        hour = low // 3_600_000
        zone = PersonZone([(hour + h, minutes) for h, minutes in observed], fallback)
        read = {zone.offset_at(ms) for ms in range(low, high + 1, 600_000)}
        assert len(read) >= (2 if fallback not in (None, UTC) or observed else 1)
        assert zone.offset_range(low, high) == (min(read), max(read))


def test_a_person_zone_memoised_by_hour_reads_what_a_fresh_one_reads() -> None:
    """The inferred offset is memoised per epoch hour; instants at, just before and just after
    hour edges, in any order, read what a clock asked once reads."""
    hour = 3_600_000
    first = 490_000
    observations = [(first + 10, -300), (first + 40, -240), (first + 41, 60), (first + 90, 330)]
    fallback = ZoneInfo("America/New_York")
    zone = PersonZone(observations, fallback)
    instants = [
        (first + h) * hour + delta for h in range(-5, 140, 3) for delta in (-1, 0, 1, 1_799_999)
    ]
    for epoch_ms in [*instants, *reversed(instants)]:
        fresh = PersonZone(observations, fallback)
        assert zone.offset_at(epoch_ms) == fresh.offset_at(epoch_ms)
        assert zone.source_at(epoch_ms) is fresh.source_at(epoch_ms)


@pytest.mark.parametrize(
    ("fallback", "observed"),
    [
        (ZoneInfo("America/New_York"), []),
        (ZoneInfo("Australia/Lord_Howe"), []),  # back by half an hour
        (None, [(100, -300), (140, -480)]),  # a move west: three hours repeat
        (ZoneInfo("Europe/Berlin"), [(100, 540), (400, -300)]),
        (None, [(300, 330)]),
    ],
)
def test_a_person_zone_keeps_each_instant_through_local_time_and_back(
    fallback: tzinfo | None, observed: list[tuple[int, int]]
) -> None:
    """Every instant read in the person's zone (``fromtimestamp``, or a wall clock built by
    hand with ``fold_at``) carries the offset in force at that instant and converts back to the
    same instant, in the repeated hours too: the second 01:30 of a night the clocks go back is
    -05:00 in New York, not -04:00. Where the zone is a tz zone alone, it reads as that zone."""
    for first in (datetime(2025, 3, 5, tzinfo=UTC), datetime(2025, 10, 1, tzinfo=UTC)):
        low = int(first.timestamp() * 1000)
        hour = low // 3_600_000
        zone = PersonZone([(hour + h, minutes) for h, minutes in observed], fallback)
        folds = 0
        for epoch_ms in range(low, low + 35 * 86_400_000, 300_000):
            instant = datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)
            local = datetime.fromtimestamp(epoch_ms / 1000, tz=zone)
            assert local.utcoffset() == zone.offset_at(epoch_ms)
            assert local.astimezone(UTC) == instant
            by_hand = (instant.replace(tzinfo=None) + zone.offset_at(epoch_ms)).replace(
                tzinfo=zone, fold=zone.fold_at(epoch_ms)
            )
            assert by_hand.isoformat() == local.isoformat() and by_hand.fold == local.fold
            folds += local.fold
            if fallback is not None and not observed:
                assert local.isoformat() == instant.astimezone(fallback).isoformat()
                assert local.fold == instant.astimezone(fallback).fold
        # Only the clocks that go back somewhere in these five weeks repeat an hour.
        goes_back = any(
            zone.offset_at(ms) > zone.offset_at(ms + 3_600_000)
            for ms in range(low, low + 35 * 86_400_000, 3_600_000)
        )
        assert (folds > 0) == goes_back


@given(
    hours=st.lists(
        st.tuples(st.integers(0, 400), st.sampled_from([-300, -240, 0, 60, 330, 600])),
        max_size=40,
    ),
    span_start=st.integers(100, 300),
    span_hours=st.integers(1, 60),
    fallback=st.sampled_from([None, ZoneInfo("America/Chicago")]),
)
def test_a_zone_of_the_observations_within_reach_of_a_span_answers_as_one_of_all(
    hours: list[tuple[int, int]], span_start: int, span_hours: int, fallback: ZoneInfo | None
) -> None:
    # The window stage shares one zone of every observation a pass has seen between windows
    # whose snapshots read only those within zone_reach_hours: the answers must not differ.
    base = 490_000  # epoch hours, in 2025
    observations = [(base + hour, minutes) for hour, minutes in hours]
    low, high = base + span_start, base + span_start + span_hours
    reach = zone_reach_hours()
    near = [(hour, m) for hour, m in observations if low - reach <= hour <= high + reach]
    every, local = PersonZone(observations, fallback), PersonZone(near, fallback)
    for instant in range(low * HOUR_MS, high * HOUR_MS, 17 * 60_000):
        assert local.offset_at(instant) == every.offset_at(instant)
        assert local.fold_at(instant) == every.fold_at(instant)
        assert local.source_at(instant) == every.source_at(instant)
        wall = datetime(1970, 1, 1) + timedelta(milliseconds=instant)
        for fold in (0, 1):
            moment = wall.replace(fold=fold)
            assert local.utcoffset(moment) == every.utcoffset(moment)
