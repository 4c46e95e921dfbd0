"""The review report's glucose charts (``etl review``), drawn from a window's readings.

The consensus CGM report (Battelino 2019; Johnson 2019) is read as pictures: the Ambulatory
Glucose Profile (the window's days folded onto one 24-hour clock: per hour the 5th, 25th,
50th, 75th and 95th percentiles, the 70-180 mg/dL target range shaded), the time in ranges as
one stacked bar (below 54, 54-69, 70-180, 181-250, above 250 mg/dL), and the daily traces with
the processor's events marked. Percentiles use :mod:`etl_glucose.agp`, the same functions as
the narrative's figures; the readings are the window's, read with the window's clock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from etl_core import Chart, Window
from etl_core.review.svg import PALETTE, Plot, fmt, hour_ticks
from etl_glucose.agp import hourly_profile
from etl_glucose.rules import DEFAULT_RULES, GlucoseRules
from etl_glucose.window_readings import LocalReadings, local_readings

Y_TOP = 400.0
"""The top of the glucose axis: most CGMs report up to 400 mg/dL; higher values are drawn at
the top edge (their value is in the point's title and the table)."""

_RANGE_COLOURS = ("very_low", "low", "in_range", "high", "very_high")
_RANGE_PATTERNS = ("2 2", "", "", "", "6 2")


def readings_of(window: Window) -> LocalReadings:
    return local_readings(
        window.records, window.local_start, window.local_end, window.user.timezone
    )


def _hour_of(moment: datetime) -> float:
    return moment.hour + moment.minute / 60 + moment.second / 3600


def _y(value: float) -> float:
    return min(value, Y_TOP)


def _glucose_axes(plot: Plot, rules: GlucoseRules) -> None:
    plot.axes(
        hour_ticks(3),
        [(v, fmt(v)) for v in (40.0, rules.low, rules.high, rules.very_high, Y_TOP)],
        "local time of day",
        "glucose (mg/dL)",
    )
    plot.y_band(rules.low, rules.high, f"target {fmt(rules.low)}-{fmt(rules.high)} mg/dL")


def agp_chart(readings: LocalReadings, rules: GlucoseRules = DEFAULT_RULES) -> Chart:
    """The Ambulatory Glucose Profile: 24 hourly points per percentile band (one per hour
    holding readings), the 5-95 and 25-75 bands filled, the median a line."""
    percents = rules.agp_percentiles
    hours = [moment.hour for moment in readings.local]
    profile = hourly_profile(hours, readings.mg_dl, percents)
    plot = Plot((0, 24), (40, Y_TOP))
    _glucose_axes(plot, rules)
    plot.legend(
        [
            (f"{percents[0]}-{percents[-1]}th percentile", PALETTE["band_outer"], "box"),
            (f"{percents[1]}-{percents[-2]}th percentile", PALETTE["band_inner"], "box"),
            ("median", PALETTE["median"], "line"),
        ]
    )
    xs = [row.hour + 0.5 for row in profile]

    def series(i: int) -> list[tuple[float, float]]:
        return [(x, _y(row.percentiles[i])) for x, row in zip(xs, profile, strict=True)]

    outer, inner = len(percents) - 1, len(percents) - 2
    plot.area(series(outer), series(0), PALETTE["band_outer"], "5th to 95th percentile")
    plot.area(series(inner), series(1), PALETTE["band_inner"], "25th to 75th percentile")
    middle = len(percents) // 2
    plot.line(series(middle), PALETTE["median"], width=2.5, label="median")
    shapes = {middle: ("circle", 3.5)}
    for i, percent in enumerate(percents):
        shape, radius = shapes.get(i, ("square", 2.2))
        for x, row in zip(xs, profile, strict=True):
            value = row.percentiles[i]
            plot.point(
                x,
                _y(value),
                f"p{percent}",
                f"{row.hour:02d}:00-{row.hour:02d}:59 {percent}th percentile {fmt(value)} mg/dL "
                f"({row.readings} readings)",
                PALETTE["median"] if i == middle else PALETTE["ink"],
                radius=radius,
                shape=shape,
            )
    table = [
        ("hour", "readings", *(f"p{p} (mg/dL)" for p in percents)),
        *(
            (f"{row.hour:02d}:00", str(row.readings), *(fmt(v) for v in row.percentiles))
            for row in profile
        ),
    ]
    if profile:
        low_hour = min(profile, key=lambda row: row.percentiles[middle])
        high_hour = max(profile, key=lambda row: row.percentiles[middle])
        text = (
            f"Ambulatory glucose profile of {len(readings)} readings folded onto 24 hours: "
            f"{len(profile)} of 24 hours hold readings. The median is lowest at "
            f"{low_hour.hour:02d}:00 ({fmt(low_hour.percentiles[middle])} mg/dL) and highest at "
            f"{high_hour.hour:02d}:00 ({fmt(high_hour.percentiles[middle])} mg/dL); the target "
            f"range {fmt(rules.low)}-{fmt(rules.high)} mg/dL is shaded."
        )
    else:
        text = "Ambulatory glucose profile: the window holds no readings."
    return plot.chart("Ambulatory glucose profile (AGP)", text, table)


def range_shares(values: Sequence[float], rules: GlucoseRules = DEFAULT_RULES) -> list[float]:
    """Percent of readings below 54, 54-69, 70-180, 181-250 and above 250 mg/dL."""
    counts = [0, 0, 0, 0, 0]
    for value in values:
        if value < rules.very_low:
            counts[0] += 1
        elif value < rules.low:
            counts[1] += 1
        elif value <= rules.high:
            counts[2] += 1
        elif value <= rules.very_high:
            counts[3] += 1
        else:
            counts[4] += 1
    total = len(values) or 1
    return [100 * count / total for count in counts]


def range_labels(rules: GlucoseRules = DEFAULT_RULES) -> list[str]:
    return [
        f"very low (<{fmt(rules.very_low)})",
        f"low ({fmt(rules.very_low)}-{fmt(rules.low - 1)})",
        f"in range ({fmt(rules.low)}-{fmt(rules.high)})",
        f"high ({fmt(rules.high + 1)}-{fmt(rules.very_high)})",
        f"very high (>{fmt(rules.very_high)})",
    ]


def time_in_ranges_chart(readings: LocalReadings, rules: GlucoseRules = DEFAULT_RULES) -> Chart:
    """One stacked bar of the five consensus ranges (share of readings), each segment
    labelled with its range and percentage (so colour is never the only cue)."""
    shares = range_shares(readings.mg_dl, rules)
    labels = range_labels(rules)
    plot = Plot((0, 10), (0, 100), width=520, height=320, left=50, right=20)
    plot.axes([], [(v, f"{v}%") for v in (0, 25, 50, 75, 100)], "", "share of readings")
    bottom = 0.0
    for position, (share, label, colour, pattern) in enumerate(
        zip(shares, labels, _RANGE_COLOURS, _RANGE_PATTERNS, strict=True)
    ):
        plot.bar(
            0.5, 3.5, bottom, bottom + share, colour, f"{label}: {fmt(share)}%",
            PALETTE[colour], pattern=pattern,
        )  # fmt: skip
        # Labels sit at fixed heights in range order, so that thin segments stay readable.
        plot.label(4.2, 10 + 20 * position, f"{label} mg/dL: {fmt(share)}%", anchor="start")
        plot.raw(
            f'<line x1="{plot.x(3.5)}" y1="{plot.y(bottom + share / 2)}" x2="{plot.x(4.1)}" '
            f'y2="{plot.y(10 + 20 * position) - 4}" stroke="{PALETTE["marker"]}"/>'
        )
        bottom += share
    table = [("range (mg/dL)", "share of readings (%)")] + [
        (label, fmt(share)) for label, share in zip(labels, shares, strict=True)
    ]
    text = f"Time in ranges over {len(readings)} readings: " + "; ".join(
        f"{label} {fmt(share)}%" for label, share in zip(labels, shares, strict=True)
    )
    return plot.chart("Time in ranges", text + ".", table)


def _runs(
    points: Sequence[tuple[float, float]], max_gap_hours: float
) -> list[list[tuple[float, float]]]:
    """Points split where readings stop for longer than ``max_gap_hours``: a gap is not
    drawn as a line across it."""
    runs: list[list[tuple[float, float]]] = []
    for point in points:
        if not runs or point[0] - runs[-1][-1][0] > max_gap_hours:
            runs.append([])
        runs[-1].append(point)
    return runs


def _event_spans(insights: Mapping[str, Any], day: date) -> list[tuple[str, float, float]]:
    """The processor's events starting on ``day``: (kind, start hour, end hour)."""
    found: list[tuple[str, float, float]] = []
    events = insights.get("events")
    if not isinstance(events, Mapping):
        return found
    for kind, detail in sorted(events.items()):
        listed = detail.get("events") if isinstance(detail, Mapping) else None
        for event in listed or []:
            try:
                start = datetime.fromisoformat(str(event["start"]))
                end = datetime.fromisoformat(str(event["end"]))
            except (KeyError, TypeError, ValueError):
                continue
            if start.date() != day:
                continue
            end_hour = _hour_of(end) if end.date() == day else 24.0
            found.append((str(kind), _hour_of(start), max(end_hour, _hour_of(start))))
    return found


def daily_traces_chart(
    readings: LocalReadings,
    days: Sequence[date],
    insights: Mapping[str, Any],
    rules: GlucoseRules = DEFAULT_RULES,
) -> Chart:
    """One row per window day holding readings: the day's trace (a mark) over the target
    band, and each event the processor reported that day (a mark, labelled)."""
    by_day: dict[date, list[tuple[float, float]]] = {}
    for moment, value in zip(readings.local, readings.mg_dl, strict=True):
        by_day.setdefault(moment.date(), []).append((_hour_of(moment), value))
    shown = [day for day in days if day in by_day]
    row_height = 90
    rows = max(len(shown), 1)
    span = Y_TOP - 40
    plot = Plot((0, 24), (0, rows * span), height=rows * row_height + 64, left=96)
    plot.axes(hour_ticks(3), [], "local time of day", "")
    table = [("day", "readings", "lowest (mg/dL)", "highest (mg/dL)", "events")]
    marked = 0
    for row, day in enumerate(shown):
        base = (rows - 1 - row) * span

        def place(value: float, base: float = base) -> float:
            return base + min(max(value, 40.0), Y_TOP) - 40

        plot.raw(
            f'<rect class="reference" x="{plot.x(0)}" y="{plot.y(place(rules.high))}" '
            f'width="{plot.x(24) - plot.x(0)}" '
            f'height="{round(plot.y(place(rules.low)) - plot.y(place(rules.high)), 2)}" '
            f'fill="{PALETTE["target"]}"/>'
        )
        plot.label(-0.2, place(220), f"{day:%a %m-%d}", anchor="end", size=11)
        points = by_day[day]
        values = [value for _, value in points]
        plot.path(
            _runs([(hour, place(value)) for hour, value in points], rules.max_gap_minutes / 60),
            PALETTE["median"],
            width=1.3,
            label=f"{day.isoformat()}: {len(points)} readings",
            mark="trace",
        )
        events = _event_spans(insights, day)
        for kind, start, end in events:
            low = kind.startswith("below") or kind.startswith("extended")
            colour = PALETTE["low"] if low else PALETTE["very_high"]
            plot.bar(
                start, max(end, start + 0.1), place(45 if low else 380), place(60 if low else 395),
                f"event:{kind}", f"{day.isoformat()} {kind.replace('_', ' ')} event "
                f"{int(start):02d}:{int(start % 1 * 60):02d}", colour,
            )  # fmt: skip
            marked += 1
        table.append(
            (
                day.isoformat(),
                str(len(points)),
                fmt(min(values)),
                fmt(max(values)),
                ", ".join(kind.replace("_", " ") for kind, _, _ in events) or "none",
            )
        )
    text = (
        f"Daily glucose traces: {len(shown)} of {len(days)} days hold readings, each drawn "
        f"over the {fmt(rules.low)}-{fmt(rules.high)} mg/dL target band; {marked} event(s) "
        "reported by the processor are marked (lows at the bottom of a row, highs at the top)."
    )
    return plot.chart("Daily glucose traces", text, table)


def glucose_charts(
    window: Window, insights: Mapping[str, Any], rules: GlucoseRules = DEFAULT_RULES
) -> list[Chart]:
    """The window's AGP, time-in-ranges bar and daily traces (none without readings)."""
    readings = readings_of(window)
    if not len(readings):
        return []
    return [
        agp_chart(readings, rules),
        time_in_ranges_chart(readings, rules),
        daily_traces_chart(readings, window.days(), insights, rules),
    ]
