"""The review report's heart-rate and HRV charts (``etl review``), drawn from a window's records.

Heart rate is read as a day curve: each local day of the window a row with its samples (the
same flattening the narrative uses, :func:`etl_heartrate.hr_window.daily_heart_rate`), the
processor's resting window shaded and its tachycardia and bradycardia episodes marked. HRV is
read night by night: the nightly mean of ln RMSSD (:func:`etl_heartrate.hrv.nightly`) with the
7-night rolling mean (Plews et al.) and, where the processor had one, the personal band.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from etl_core import Chart, Window
from etl_core.review.svg import PALETTE, Plot, fmt, hour_ticks, nice_ticks
from etl_heartrate.formatting import local_datetime
from etl_heartrate.hr_window import daily_heart_rate
from etl_heartrate.hrv import collect_measurements, nightly
from etl_heartrate.rules import HeartRateRules, HrvRules

BPM_RANGE = (30.0, 200.0)
"""The heart-rate axis; samples beyond it are drawn at its edge (their values are in the
table)."""


GAP_HOURS = 0.25
"""Samples further apart than this (15 minutes) are not joined by the curve: a gap in the
recording is drawn as a gap."""


def _hour(moment: datetime) -> float:
    return moment.hour + moment.minute / 60 + moment.second / 3600


def _parse(value: object) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _runs(
    points: Sequence[tuple[float, float]], gap_hours: float
) -> list[list[tuple[float, float]]]:
    runs: list[list[tuple[float, float]]] = []
    for point in points:
        if not runs or point[0] - runs[-1][-1][0] > gap_hours:
            runs.append([])
        runs[-1].append(point)
    return runs


def _episodes(insights: Mapping[str, Any]) -> list[tuple[str, datetime, datetime]]:
    found = []
    for kind in ("tachycardia_episodes", "bradycardia_episodes"):
        for episode in insights.get(kind) or []:
            if not isinstance(episode, Mapping):
                continue
            start, end = _parse(episode.get("start")), _parse(episode.get("end"))
            if start is not None and end is not None:
                found.append((kind.removesuffix("_episodes"), start, end))
    return found


def heart_rate_chart(
    window: Window, insights: Mapping[str, Any], rules: HeartRateRules
) -> Chart | None:
    """One row per window day with samples: the day's curve (a mark), the resting window the
    processor found (shaded, labelled) and each episode it reported (a mark)."""
    daily = daily_heart_rate([*window.records, *window.earlier], window.user.timezone, rules)
    by_day: dict[date, list[tuple[float, float]]] = {}
    for sample in daily.samples_on(window.days()):
        moment = local_datetime(sample.time_ms, sample.zone)
        by_day.setdefault(sample.day, []).append((_hour(moment), sample.bpm))
    shown = [day for day in window.days() if day in by_day]
    if not shown:
        return None
    low, high = BPM_RANGE
    span = high - low
    rows = len(shown)
    plot = Plot((0, 24), (0, rows * span), height=rows * 110 + 64, left=96)
    plot.axes(hour_ticks(3), [], "local time of day", "")
    resting_start = _parse(insights.get("resting_window_start"))
    resting_end = _parse(insights.get("resting_window_end"))
    episodes = _episodes(insights)
    table = [("day", "samples", "lowest (bpm)", "highest (bpm)", "resting window", "episodes")]
    for row, day in enumerate(shown):
        base = (rows - 1 - row) * span

        def place(bpm: float, base: float = base) -> float:
            return base + min(max(bpm, low), high) - low

        plot.label(-0.2, place(120), f"{day:%a %m-%d}", anchor="end")
        for tick in (60.0, 100.0):
            plot.raw(
                f'<line class="reference" x1="{plot.x(0)}" x2="{plot.x(24)}" '
                f'y1="{plot.y(place(tick))}" y2="{plot.y(place(tick))}" stroke="#c3ccd4" '
                f'stroke-dasharray="3 3"><title>{fmt(tick)} bpm</title></line>'
            )
            plot.label(24.1, place(tick), f"{fmt(tick)}", anchor="start", size=9, dy=3)
        points = by_day[day]
        resting = ""
        if resting_start is not None and resting_end is not None and resting_start.date() == day:
            end_hour = _hour(resting_end) if resting_end.date() == day else 24.0
            plot.raw(
                f'<rect class="reference" x="{plot.x(_hour(resting_start))}" '
                f'y="{plot.y(place(high))}" '
                f'width="{max(plot.x(end_hour) - plot.x(_hour(resting_start)), 2)}" '
                f'height="{plot.y(place(low)) - plot.y(place(high))}" fill="#ece3f7" '
                f'stroke="{PALETTE["series2"]}" stroke-dasharray="4 3"><title>resting window '
                f"{resting_start:%H:%M}-{resting_end:%H:%M}</title></rect>"
            )
            plot.label(_hour(resting_start), place(high - 12), "resting window", size=10)
            resting = f"{resting_start:%H:%M}-{resting_end:%H:%M}"
        plot.path(
            _runs(points, GAP_HOURS),
            PALETTE["low"],
            width=1.2,
            label=f"{day.isoformat()}: {len(points)} samples",
            mark="curve",
        )
        named = []
        for kind, start, end in episodes:
            if start.date() != day:
                continue
            end_hour = _hour(end) if end.date() == day else 24.0
            top = kind == "tachycardia"
            plot.bar(
                _hour(start),
                max(end_hour, _hour(start) + 0.1),
                place(high - 8 if top else low),
                place(high if top else low + 8),
                f"episode:{kind}",
                f"{kind} episode {start:%H:%M}-{end:%H:%M}",
                PALETTE["very_high"] if top else PALETTE["median"],
            )
            named.append(f"{kind} {start:%H:%M}-{end:%H:%M}")
        values = [bpm for _, bpm in points]
        table.append(
            (
                day.isoformat(),
                str(len(points)),
                fmt(min(values)),
                fmt(max(values)),
                resting or "-",
                ", ".join(named) or "none",
            )
        )
    text = (
        f"Heart rate through the day: {len(shown)} of {len(window.days())} days hold samples, "
        f"each a curve over 24 hours with dashed lines at 60 and 100 bpm"
    )
    if resting_start is not None and resting_end is not None:
        text += f"; the resting window {resting_start:%H:%M}-{resting_end:%H:%M} is shaded"
    text += f"; {len(episodes)} episode(s) reported by the processor are marked."
    return plot.chart("Heart rate through the day", text, table)


def hrv_chart(window: Window, insights: Mapping[str, Any], rules: HrvRules) -> Chart | None:
    """Nightly mean ln RMSSD for the window's nights and the six before (a mark per night
    with data), the 7-night rolling mean over the window's nights (a mark each, where at
    least ``min_nights_for_baseline`` nights of the seven hold data), and the
    processor's personal band where it had one (shaded)."""
    series = collect_measurements([*window.records, *window.earlier], window.user.timezone, rules)
    nights = {n.night: n.ln_rmssd_mean for n in nightly(series.measurements)}
    first = window.first_day - timedelta(days=rules.baseline_window_nights - 1)
    days = [first + timedelta(days=i) for i in range((window.last_day - first).days + 1)]
    if not any(day in nights for day in window.days()):
        return None
    rolling: dict[date, float] = {}
    for day in window.days():
        held = [
            nights[d]
            for d in (day - timedelta(days=k) for k in range(rules.baseline_window_nights))
            if d in nights
        ]
        # As the processor: no rolling mean from fewer nights than a baseline needs.
        if len(held) >= rules.min_nights_for_baseline:
            rolling[day] = math.fsum(held) / len(held)
    bands = _bands(insights)
    values = [*(nights[d] for d in days if d in nights), *rolling.values()]
    values += [v for band in bands.values() for v in band]
    ticks = nice_ticks(min(values) - 0.1, max(values) + 0.1, 5)
    plot = Plot((0, len(days)), (ticks[0], ticks[-1]))
    plot.axes(
        [(i + 0.5, f"{d:%m-%d}") for i, d in enumerate(days)],
        [(t, fmt(t, 2)) for t in ticks],
        "night of (evening date)",
        "ln RMSSD",
    )
    plot.legend(
        [
            ("nightly ln RMSSD", PALETTE["ink"], "box"),
            (f"{rules.baseline_window_nights}-night mean", PALETTE["series2"], "dash"),
            ("personal band", "#d3e4f7", "box"),
        ]
    )
    for i, day in enumerate(days):
        band = bands.get(day)
        if band is not None:
            plot.raw(
                f'<rect class="reference" x="{plot.x(i + 0.1)}" y="{plot.y(band[1])}" '
                f'width="{plot.x(i + 0.9) - plot.x(i + 0.1)}" '
                f'height="{plot.y(band[0]) - plot.y(band[1])}" fill="#d3e4f7"><title>personal '
                f"band {fmt(band[0], 2)}-{fmt(band[1], 2)}</title></rect>"
            )
        if day < window.first_day:
            plot.raw(
                f'<rect class="reference" x="{plot.x(i)}" y="{plot.top}" '
                f'width="{plot.x(i + 1) - plot.x(i)}" '
                f'height="{plot.height - plot.top - plot.bottom}" '
                'fill="#eef1f4" fill-opacity="0.6"><title>before the window</title></rect>'
            )
    line = [(i + 0.5, rolling[d]) for i, d in enumerate(days) if d in rolling]
    plot.line(line, PALETTE["series2"], dash="6 3", label="7-night rolling mean")
    table = [("night", "nightly ln RMSSD", f"{rules.baseline_window_nights}-night mean", "band")]
    for i, day in enumerate(days):
        if day in nights:
            plot.point(
                i + 0.5,
                nights[day],
                "nightly",
                f"night of {day.isoformat()}: ln RMSSD {fmt(nights[day], 2)}",
                PALETTE["ink"],
                radius=4,
            )
        if day in rolling:
            plot.point(
                i + 0.5,
                rolling[day],
                "mean7",
                f"night of {day.isoformat()}: 7-night mean {fmt(rolling[day], 2)}",
                PALETTE["series2"],
                radius=3,
                shape="square",
            )
        band = bands.get(day)
        table.append(
            (
                day.isoformat(),
                fmt(nights[day], 2) if day in nights else "-",
                fmt(rolling[day], 2) if day in rolling else "-",
                f"{fmt(band[0], 2)}-{fmt(band[1], 2)}" if band else "-",
            )
        )
    with_data = sum(1 for d in days if d in nights)
    text = (
        f"Nightly ln RMSSD for {with_data} of {len(days)} nights ({days[0].isoformat()} to "
        f"{days[-1].isoformat()}, the window's nights and the {rules.baseline_window_nights - 1} "
        f"before), with the {rules.baseline_window_nights}-night rolling mean for the window's "
        f"nights (dashed) and, for {len(bands)} night(s), the personal band."
    )
    return plot.chart("Nightly HRV (ln RMSSD)", text, table)


def _bands(insights: Mapping[str, Any]) -> dict[date, tuple[float, float]]:
    """The processor's personal band per night, where it had one."""
    found: dict[date, tuple[float, float]] = {}
    nights = list(insights.get("nights") or [])
    if isinstance(insights.get("night"), Mapping):
        nights.append(insights["night"])
    for night in nights:
        if not isinstance(night, Mapping):
            continue
        low, high = night.get("band_ln_low"), night.get("band_ln_high")
        if isinstance(low, int | float) and isinstance(high, int | float):
            try:
                found[date.fromisoformat(str(night.get("night")))] = (float(low), float(high))
            except ValueError:
                continue
    return found
