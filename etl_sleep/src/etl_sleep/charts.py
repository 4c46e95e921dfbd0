"""The review report's sleep chart (``etl review``): a hypnogram per session of the window.

Each sleep session of the window is one row over its night's noon-to-noon clock: its stages
after the same cleaning the narrative uses (:func:`etl_sleep.stages.clean_stages`), drawn as
bars at their depth (awake on top, then REM, light, deep at the bottom), or one "in bed" bar
for a session without stages. The row names the session's source and whether the processor
took it as the night's primary record or as corroborating (another device's record of the
same night), so two devices' nights can be compared at a glance.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any

from etl_core import Chart, Window
from etl_core.contract.timeutil import readable_offset, to_local
from etl_core.review.svg import Plot
from etl_sleep.stages import clean_stages

LEVELS = {
    "AWAKE": (3, "awake", "#f2b134"),
    "OUT_OF_BED": (3, "out of bed", "#e07b1a"),
    "REM": (2, "REM", "#9c4dcc"),
    "LIGHT": (1, "light", "#6f9bd1"),
    "SLEEPING": (1, "asleep (unstaged)", "#8fa9c4"),
    "UNKNOWN": (1, "unknown", "#b0b8c0"),
    "DEEP": (0, "deep", "#0b3d91"),
}
"""Stage -> (depth level, label, colour); the level, not the colour, says the depth."""
ROW_LEVELS = 5


def _primary_nights(insights: Mapping[str, Any]) -> set[tuple[str, str]]:
    """(night of, source package) of every night the processor described as primary."""
    found: set[tuple[str, str]] = set()

    def visit(node: Any) -> Iterator[Mapping[str, Any]]:
        if isinstance(node, Mapping):
            if "night_of" in node and "source" in node:
                yield node
            for value in node.values():
                yield from visit(value)
        elif isinstance(node, list):
            for value in node:
                yield from visit(value)

    for night in visit({"night": insights.get("night"), "nights": insights.get("nights")}):
        found.add((str(night["night_of"]), str(night["source"])))
    return found


def _local(window: Window, record: Mapping[str, Any], field: str) -> datetime:
    offset = readable_offset(record.get(field.replace("TimeEpochMillis", "ZoneOffsetId")))
    return to_local(int(record[field]), offset, window.user.timezone)


def hypnogram_chart(window: Window, insights: Mapping[str, Any]) -> Chart | None:
    sessions = [
        r
        for r in window.records
        if isinstance(r.get("startTimeEpochMillis"), int)
        and isinstance(r.get("endTimeEpochMillis"), int)
    ]
    if not sessions:
        return None
    primary = _primary_nights(insights)
    rows = len(sessions)
    plot = Plot((0, 24), (0, rows * ROW_LEVELS), height=rows * 96 + 70, left=150, right=48)
    plot.axes(
        [(float(h), f"{(12 + h) % 24:02d}:00") for h in range(0, 25, 3)],
        [],
        "local time, noon to noon",
        "",
    )
    seen = {level[1]: level for level in LEVELS.values()}
    plot.legend([(label, colour, "box") for label, (_, _, colour) in seen.items()])
    table = [("night of", "source", "role", "in bed", "stage spans")]
    for row, record in enumerate(sessions):
        base = (rows - 1 - row) * ROW_LEVELS
        start = _local(window, record, "startTimeEpochMillis")
        end = _local(window, record, "endTimeEpochMillis")
        night = window.rule.window_day(start)
        noon = datetime.combine(night, datetime.min.time()) + timedelta(hours=12)

        def hours(moment: datetime, noon: datetime = noon) -> float:
            return min(max((moment.replace(tzinfo=None) - noon).total_seconds() / 3600, 0), 24)

        metadata = record.get("metadata")
        source = ""
        if isinstance(metadata, Mapping):
            source = str(metadata.get("dataOriginPackageName") or "")
        role = "primary" if (night.isoformat(), source) in primary else "corroborating"
        plot.label(-0.2, base + 2.6, f"{night:%a %m-%d}", anchor="end")
        plot.label(-0.2, base + 1.2, f"{source.rsplit('.', 1)[-1]} ({role})", anchor="end", size=9)
        for level, name in ((3, "awake"), (2, "REM"), (1, "light"), (0, "deep")):
            plot.label(24.1, base + level + 0.3, name, anchor="start", size=8)
        hypnogram = clean_stages(
            record.get("stages") if isinstance(record.get("stages"), list) else None,
            int(record["startTimeEpochMillis"]),
            int(record["endTimeEpochMillis"]),
        )
        spans = hypnogram.spans
        if not spans:
            plot.bar(
                hours(start),
                max(hours(end), hours(start) + 0.05),
                base + 1,
                base + 1.8,
                "session",
                f"night of {night.isoformat()}: in bed {start:%H:%M}-{end:%H:%M}, no stages",
                "#8fa9c4",
                pattern="3 2",
            )
        for span in spans:
            level, label, colour = LEVELS.get(span.stage, LEVELS["UNKNOWN"])
            # Stages are read in the session's own clock (its start's offset).
            begin = datetime.fromtimestamp(span.start_ms / 1000, start.tzinfo)
            finish = datetime.fromtimestamp(span.end_ms / 1000, start.tzinfo)
            plot.bar(
                hours(begin),
                max(hours(finish), hours(begin) + 0.02),
                base + level,
                base + level + 0.8,
                f"stage:{span.stage}",
                f"{label} {begin:%H:%M}-{finish:%H:%M}",
                colour,
                pattern="2 2" if span.stage == "OUT_OF_BED" else "",
            )
        table.append(
            (
                night.isoformat(),
                source or "unknown",
                role,
                f"{start:%H:%M}-{end:%H:%M}",
                str(max(len(spans), 1)),
            )
        )
    staged = sum(1 for record in sessions if record.get("stages"))
    text = (
        f"Hypnogram of {rows} sleep session(s), one row each over the night's noon-to-noon "
        f"clock; {staged} with sleep stages drawn at their depth (awake at the top, deep at the "
        "bottom), the others as one in-bed bar. Each row names its source and whether the "
        "processor took it as the night's primary record or as corroborating."
    )
    return plot.chart("Hypnogram", text, table)
