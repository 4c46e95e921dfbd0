"""One window's insights against the reference computed from the raw records
(:mod:`activity_window_reference`), shared by the tests that call the hooks directly and the
tests that read what ``etl run`` wrote."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from activity_reference import local_date
from activity_window_reference import RefDay, reference_week, reported


def assert_day_matches(
    unit: str, insights: Mapping[str, Any], ref: RefDay, age: int | None
) -> None:
    """A day window's insights, or one day entry of a week window's."""
    assert insights["date"] == ref.day.isoformat()
    assert insights[unit] == reported(ref.amount, unit)
    assert insights["source"] == ref.source
    assert insights["partial"] is ref.partial
    others = {o["source"]: o[unit] for o in insights["other_sources"]}
    assert others == {s: reported(a, unit) for s, a in ref.others.items()}
    if unit == "steps":
        if ref.partial or age is None:
            assert insights["range_position"] is None
        else:
            low, high = (6000, 8000) if age >= 60 else (8000, 10000)
            steps = round(ref.amount)
            expected = "below" if steps < low else "within" if steps <= high else "above"
            assert insights["range_position"] == expected


def touches(record: Mapping[str, Any], days: list[date]) -> bool:
    """Whether a record's local span (in its own offset) reaches any of ``days``."""
    offset = record["startZoneOffsetId"]
    first = local_date(record["startTimeEpochMillis"], offset)
    last = local_date(record["endTimeEpochMillis"] - 1, offset)
    return first <= days[-1] and last >= days[0]


def assert_window_matches_reference(
    unit: str,
    rule_name: str,
    first_day: date,
    insights: Mapping[str, Any],
    records: list[dict[str, Any]],
    days: Mapping[date, RefDay],
    age: int | None,
) -> None:
    """``records``: the newest version of every record of the person; ``days``: their
    reference days (:func:`activity_window_reference.reference_days`)."""
    if rule_name == "day":
        assert_day_matches(unit, insights, days[first_day], age)
        return
    assert rule_name == "week"
    week = [first_day + timedelta(days=i) for i in range(7)]
    touching = [r for r in records if touches(r, week)]
    latest = max(touching, key=lambda r: r["appRecordFetchTimeEpochMillis"])
    fetch_date = local_date(latest["appRecordFetchTimeEpochMillis"], latest["startZoneOffsetId"])
    ref = reference_week(dict(days), first_day, fetch_date, age, unit)
    held = sorted([*ref.complete, *ref.partial], key=lambda d: d.day)
    assert [d["date"] for d in insights["days"]] == [d.day.isoformat() for d in held]
    for entry, ref_day in zip(insights["days"], held, strict=True):
        assert_day_matches(unit, entry, ref_day, age)
    assert insights["complete_days"] == len(ref.complete)
    assert insights["partial_days"] == len(ref.partial)
    assert insights["missing_dates"] == [d.isoformat() for d in ref.missing]
    assert insights["not_reached_dates"] == [d.isoformat() for d in ref.not_reached]
    assert insights[f"mean_daily_{unit}"] == ref.mean
    assert insights["data_sufficient"] is ref.sufficient
    if unit == "steps":
        assert insights["days_within_range"] == ref.within
        assert insights["days_below_range"] == ref.below
        assert insights["days_above_range"] == ref.above
        assert insights["mean_range_position"] == ref.mean_position
    if len(ref.complete) >= 2:
        ranked = sorted(ref.complete, key=lambda d: (reported(d.amount, unit), d.day))
        assert insights["highest_day"]["date"] == ranked[-1].day.isoformat()
        assert insights["lowest_day"]["date"] == ranked[0].day.isoformat()
    previous = insights["previous_week"]
    if ref.previous_complete is None:
        assert previous is None
    else:
        assert previous["complete_days"] == ref.previous_complete
        assert previous[f"mean_daily_{unit}"] == ref.previous_mean
    change = insights["change"]
    if ref.change is None:
        assert change is None and insights["comparable"] is False
    else:
        assert insights["comparable"] is True
        assert (change[unit], change["percent"], change["direction"]) == ref.change
