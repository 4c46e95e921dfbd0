"""Core's chart for a window whose owner draws none: how many records start on each local day.

It reads nothing but the records' time fields, so it works for every record type, owned or
not; the record type's own charts (``etl_review_charts``) show what the values mean.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from etl_core.contract.model import Chart
from etl_core.contract.timeutil import offset_field_for
from etl_core.contract.windows import Window
from etl_core.review.svg import PALETTE, Plot, fmt, nice_ticks


def records_per_day(window: Window, time_fields: Sequence[str]) -> dict[date, int]:
    """Records per window day, by the local day each starts on (a record that started before
    the window counts on its first day)."""
    days = window.days()
    counts = dict.fromkeys(days, 0)
    if not time_fields or not days:
        return counts
    field = time_fields[0]
    for record in window.records:
        start = record.get(field)
        if not isinstance(start, int) or isinstance(start, bool):
            continue
        local = window.local(start, record.get(offset_field_for(field)))
        day = window.rule.window_day(local)
        day = min(max(day, days[0]), days[-1])
        counts[day] += 1
    return counts


def generic_charts(window: Window, time_fields: Sequence[str]) -> list[Chart]:
    """One bar per window day: the number of records starting that day."""
    counts = records_per_day(window, time_fields)
    days = list(counts)
    top = max(counts.values(), default=0)
    ticks = nice_ticks(0, max(top, 1), 4, whole=True)
    plot = Plot((0, len(days)), (0, ticks[-1]))
    step = max(1, len(days) // 10)
    plot.axes(
        [(i + 0.5, f"{d:%m-%d}") for i, d in enumerate(days) if i % step == 0],
        [(t, fmt(t, 0)) for t in ticks],
        "local day",
        "records",
    )
    for i, (day, count) in enumerate(counts.items()):
        plot.bar(
            i + 0.1,
            i + 0.9,
            0,
            count,
            "records",
            f"{day.isoformat()}: {count} record(s)",
            PALETTE["series"],
        )
    total = sum(counts.values())
    busiest = max(counts.items(), key=lambda item: item[1], default=None)
    text = (
        f"{window.record_type} records per local day, {days[0].isoformat()} to "
        f"{days[-1].isoformat()}: {total} record(s) in all"
    )
    if busiest is not None and busiest[1]:
        text += f"; most on {busiest[0].isoformat()} ({busiest[1]})"
    table = [("local day", "records"), *((d.isoformat(), str(c)) for d, c in counts.items())]
    return [plot.chart("Records per local day", text + ".", table)]
