"""The history's memoised window arithmetic (by epoch hour and by local span) gives the
windows the per-record definition gives, whatever the clock."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from etl_core.contract.timeutil import HOUR_MS, PersonZone
from etl_core.contract.windows import WindowRule
from etl_core.engine.window_stage import PassClocks
from etl_core.stores.history.sql import _Clock, _RuleWindows


def _local(epoch_ms: int, own_offset: int | None, zone: PersonZone) -> datetime:
    shift = timedelta(minutes=own_offset) if own_offset is not None else zone.offset_at(epoch_ms)
    return datetime(1970, 1, 1) + timedelta(milliseconds=epoch_ms) + shift


def _own(
    rule: WindowRule, span: tuple[int, int, int | None, int | None], zone: PersonZone
) -> set[date]:
    start = rule.window_day(_local(span[0], span[2], zone))
    end = rule.window_day(_local(span[1], span[3], zone))
    return set(rule.first_days_overlapping(start, max(start, end)))


def _dependent(
    rule: WindowRule, span: tuple[int, int, int | None, int | None], zone: PersonZone
) -> set[date]:
    if not rule.lookback_days:
        return set()
    first = rule.window_day(_local(span[0], span[2], zone))
    last = rule.window_day(_local(span[1], span[3], zone))
    return {
        day
        for day in rule.first_days_overlapping(
            first + timedelta(days=1), last + timedelta(days=rule.lookback_days + rule.days)
        )
        if day - timedelta(days=rule.lookback_days) <= last and first < day
    }


RULES = [
    WindowRule.day(),
    WindowRule.night(lookback_days=1),
    WindowRule.iso_week(lookback_days=7),
    WindowRule.days_ending(14, lookback_days=3),
    WindowRule("three", days=3, start_hour=5, lookback_days=2),
]


@pytest.mark.parametrize(
    "fallback", [None, ZoneInfo("America/Chicago"), ZoneInfo("Australia/Lord_Howe")]
)
def test_memoised_windows_match_the_definition(fallback: ZoneInfo | None) -> None:
    rng = random.Random(7)
    base = int(datetime(2025, 3, 1).timestamp() * 1000)
    observations = sorted(
        {
            (base // HOUR_MS + rng.randrange(0, 24 * 60), rng.choice((-360, -300, 330, 0, 600)))
            for _ in range(40)
        }
    )
    zone = PersonZone(observations, fallback, 24)
    clock = _Clock(zone)
    memo = [_RuleWindows(rule) for rule in RULES]
    for _ in range(3000):
        start = base + rng.randrange(0, 70 * 86_400_000)
        end = start + rng.choice((0, 0, 60_000, 3_600_000, 9 * 3_600_000, 3 * 86_400_000))
        span = (
            start,
            end,
            rng.choice((None, None, -300, 345)),
            rng.choice((None, None, -240, 60)),
        )
        for windows in memo:
            rule = windows.rule
            first, last = windows.days(*span, clock)
            assert {day for day, _ in windows.own(first, last)} == _own(rule, span, zone)
            assert [key for _, key in windows.own(first, last)] == [
                rule.key(day) for day, _ in windows.own(first, last)
            ]
            assert set(windows.dependent(first, last)) == {
                rule.key(day) for day in _dependent(rule, span, zone)
            }


def test_changed_hours_hold_every_hour_the_new_observations_move() -> None:
    from etl_core.contract.timeutil import infer_offset_minutes
    from etl_core.stores.history.sql import _changed_hours

    rng = random.Random(11)
    for _ in range(200):
        before = sorted(
            {
                (rng.randrange(0, 400), rng.choice((-300, -240, 0, 330)))
                for _ in range(rng.randrange(0, 8))
            }
        )
        added = sorted(
            {
                (rng.randrange(0, 400), rng.choice((-300, -240, 0, 330)))
                for _ in range(rng.randrange(1, 5))
            }
            - set(before)
        )
        bound = rng.choice((2, 12, 36))
        zone_before = PersonZone(before, None, bound)
        zone_after = PersonZone([*before, *added], None, bound)
        changed = _changed_hours(added, zone_before, zone_after)
        for hour in range(-50, 450):
            moved = infer_offset_minutes(hour * HOUR_MS, zone_before.observations, bound) != (
                infer_offset_minutes(hour * HOUR_MS, zone_after.observations, bound)
            )
            assert not moved or hour in changed


def test_a_pass_shares_one_zone_per_person_until_a_snapshot_brings_a_new_offset() -> None:
    clocks = PassClocks()
    chicago = ZoneInfo("America/Chicago")
    first = clocks.zone("u1", [(490_000, -300), (490_010, -300)], chicago)
    # A later window's snapshot with some of the same observations: the same zone, memos kept.
    assert clocks.zone("u1", [(490_010, -300)], chicago) is first
    assert clocks.zone("u1", [], chicago) is first
    # An observation merged meanwhile: a new zone that knows every observation seen.
    second = clocks.zone("u1", [(490_020, -240)], chicago)
    assert second is not first
    assert second.observations == [(490_000, -300), (490_010, -300), (490_020, -240)]
    assert second.offset_at(490_020 * HOUR_MS) == timedelta(hours=-4)
    assert first.offset_at(490_020 * HOUR_MS) == timedelta(hours=-5)
    # Another person, or another configured zone, never shares it.
    assert clocks.zone("u2", [(490_000, -300)], chicago) is not second
    other = clocks.zone("u1", [(490_000, -300)], None)
    assert other is not second and other.fallback is None
