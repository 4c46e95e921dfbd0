"""The closed-form window arithmetic the history relies on agrees with its definition."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from etl_core.contract.windows import WindowRule


def _by_definition(rule: WindowRule, first: date, last: date) -> list[date]:
    found: set[date] = set()
    day = first
    while day <= last:
        found.update(rule.first_days_containing(day))
        day += timedelta(days=1)
    return sorted(found)


RULES = [
    WindowRule.day(),
    WindowRule.night(),
    WindowRule.iso_week(),
    WindowRule.days_ending(14),
    WindowRule("three", days=3),
    *(
        WindowRule(f"w{days}_{weekday}", days=days, ends_on=weekday)
        for days in (1, 3, 6, 7, 8, 13, 15, 30)
        for weekday in range(7)
    ),
]


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.name)
def test_first_days_overlapping_matches_the_union_of_days(rule: WindowRule) -> None:
    start = date(2025, 9, 1)
    for offset in range(14):
        first = start + timedelta(days=offset)
        for length in range(-2, 20):
            last = first + timedelta(days=length)
            assert rule.first_days_overlapping(first, last) == _by_definition(rule, first, last)
