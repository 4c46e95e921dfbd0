"""The review report's activity chart (``etl review``): steps or active energy per local day,
by source.

Each window day gets one bar per data origin that reported it, computed as the narrative's
totals are (:func:`etl_activity.daily.daily_totals`: intervals split at local midnight and
prorated, one source chosen per day, never a sum). The chosen source's bar is solid, the
others hatched and labelled "not counted"; a day still in progress at fetch time is marked
"partial" above its bars, so a short day is never read as a low one.
"""

from __future__ import annotations

from collections.abc import Sequence

from etl_activity.daily import SourceDay, daily_totals, intervals_from_records
from etl_activity.measures import Measure
from etl_activity.source_rule import SourceRule
from etl_core import Chart, Window
from etl_core.review.svg import PALETTE, Plot, fmt, nice_ticks

_OTHER = "#b9cfe8"


def daily_chart(window: Window, measure: Measure, rule: SourceRule) -> Chart | None:
    intervals = intervals_from_records(window.records, measure.value_field, window.user.timezone)
    days = window.days()
    totals = {total.day: total for total in daily_totals(intervals, rule) if total.day in days}
    if not totals:
        return None
    amounts = [
        source.amount for total in totals.values() for source in (total.chosen, *total.others)
    ]
    ticks = nice_ticks(0, max(max(amounts), 1), 5)
    plot = Plot((0, len(days)), (0, ticks[-1] * 1.12))
    plot.axes(
        [(i + 0.5, f"{d:%a %m-%d}") for i, d in enumerate(days)],
        [(t, fmt(t, 0)) for t in ticks],
        "local day",
        measure.unit,
    )
    plot.legend(
        [
            ("counted source (one per day)", PALETTE["series"], "box"),
            ("other source, not counted", _OTHER, "box"),
        ]
    )
    table = [("day", "source", measure.unit, "counted", "partial day")]
    partial_days = 0
    for i, day in enumerate(days):
        total = totals.get(day)
        if total is None:
            plot.label(i + 0.5, ticks[-1] * 0.02, "no data", size=9, dy=-4)
            continue
        sources: Sequence[SourceDay] = (total.chosen, *sorted(total.others, key=lambda s: s.source))
        width = 0.8 / len(sources)
        for j, source in enumerate(sources):
            counted = j == 0
            left = i + 0.1 + j * width
            amount = measure.rounded(source.amount)
            plot.bar(
                left,
                left + width * 0.92,
                0,
                source.amount,
                "counted" if counted else "other",
                f"{day.isoformat()} {source.source}: {fmt(amount)} {measure.unit}"
                + ("" if counted else " (not counted)")
                + (" - partial day" if total.partial else ""),
                PALETTE["series"] if counted else _OTHER,
                pattern="" if counted else "3 2",
            )
            table.append(
                (
                    day.isoformat(),
                    source.source,
                    fmt(amount),
                    "yes" if counted else "no",
                    "yes" if total.partial else "no",
                )
            )
        if total.partial:
            partial_days += 1
            top = max(s.amount for s in sources)
            plot.label(i + 0.5, top, "partial", size=10, dy=-6)
    text = (
        f"{measure.unit.capitalize()} per local day, {days[0].isoformat()} to "
        f"{days[-1].isoformat()}: {len(totals)} of {len(days)} days hold data, one bar per "
        f"source; the counted source's bar is solid, other sources' hatched (never summed); "
        f"{partial_days} day(s) still in progress at fetch time are labelled partial."
    )
    title = "Steps per day" if measure.unit == "steps" else "Active energy per day"
    return plot.chart(title, text, table)
