"""A window's insights as ``key: value`` lines: the training example's input.

It holds every patient figure any output of the window states, the window itself and what is
missing, and nothing the insights do not hold. No prose: the outputs interpret, this lists.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from etl_glucose.phrasing import clock, count, day, hour, level, one, plural, weekday

EVENTS_LISTED = 10
"""Events listed per kind (the most recent); the count, longest and extreme cover the rest."""

Insights = Mapping[str, Any]


def when(moment: str, report: bool) -> str:
    """A local time as a line states it: ``02:30`` in a day, ``2025-06-05 02:30`` otherwise."""
    return f"{day(moment)} {clock(moment)}" if report else clock(moment)


def event_line(event: Mapping[str, Any], extreme_key: str, report: bool) -> str:
    extreme = "nadir" if extreme_key == "nadir_mg_dl" else "peak"
    end = clock(event["end"]) if day(event["end"]) == day(event["start"]) else None
    span = f"{when(event['start'], report)} to {end or when(event['end'], True)}"
    notes = []
    if not event["start_observed"]:
        notes.append("under way when the data begin")
    if event["open"]:
        notes.append("open: end not observed")
    duration = f"{'at least ' if event['open'] or not event['start_observed'] else ''}"
    duration += f"{event['duration_min']} min"
    text = f"{span}, {duration}, {extreme} {level(event[extreme_key])} mg/dL"
    return text + (f" ({'; '.join(notes)})" if notes else "")


def _event_group_lines(
    label: str, group: Mapping[str, Any], extreme_key: str, report: bool
) -> list[str]:
    if not group["count"]:
        return [f"{label}: none"]
    extreme_name = "lowest" if extreme_key == "nadir_mg_dl" else "highest"
    extreme_value = group["lowest_mg_dl" if extreme_name == "lowest" else "highest_mg_dl"]
    head = (
        f"{label}: {group['count']}; longest {group['longest_min']} min; "
        f"{extreme_name} {level(extreme_value)} mg/dL; open {group['open_count']}"
    )
    events = group["events"]
    shown = events[-EVENTS_LISTED:]
    lines = [head]
    if len(events) > len(shown):
        lines.append(f"  ({len(events) - len(shown)} earlier not listed)")
    lines += [f"  - {event_line(event, extreme_key, report)}" for event in shown]
    return lines


def _clock_line(ins: Insights) -> str:
    if ins["clock"]["kind"] == "utc":
        return f"clock: UTC ({ins['clock']['source']})"
    offsets = ", ".join(ins["clock"]["offsets"])
    return f"clock: local time {offsets} ({ins['clock']['source']})"


def _window_line(ins: Insights) -> str:
    w = ins["window"]
    if w["kind"] == "day":
        return f"window: day, {w['first_weekday']} {w['first_day']}"
    return (
        f"window: {w['days']} days, {w['first_weekday']} {w['first_day']} to "
        f"{w['last_weekday']} {w['last_day']}"
    )


def _sufficiency_line(ins: Insights) -> str:
    t = ins["targets"]
    need = f"needs {t['report_days']} days and {one(t['sufficiency_wear_percent'])}% of readings"
    verdict = "sufficient" if ins["data_sufficient"] else "not sufficient"
    days = f"{ins['days_worn']} of {t['report_days']} days worn"
    wear = (
        f"wear {one(ins['wear_percent'])}%"
        if ins["wear_percent"] is not None
        else "readings too sparse for continuous monitoring"
    )
    return f"CGM report data: {days}; {wear}; {verdict} ({need})"


def _bands_lines(ins: Insights) -> list[str]:
    labels = ins["targets"]["bands"]
    return [
        "time in ranges: "
        + "; ".join(
            f"{labels[name]} mg/dL {one(ins[key])}%"
            for name, key in (
                ("very_low", "tbr54_percent"),
                ("low", "tbr54_69_percent"),
                ("in_range", "tir_percent"),
                ("high", "tar181_250_percent"),
                ("very_high", "tar250_percent"),
            )
        ),
        f"time below {labels['below']} mg/dL: {one(ins['tbr70_percent'])}%; time above "
        f"{labels['above']} mg/dL: {one(ins['tar180_percent'])}%",
    ]


def _targets_line(ins: Insights) -> str | None:
    met = ins["targets_met"]
    if met is None:
        return None
    t = ins["targets"]
    words = {
        "tir": f"in range above {t['tir_above_percent']:g}%",
        "tbr70": f"below {t['low_mg_dl']:g} under {t['tbr70_below_percent']:g}%",
        "tbr54": f"below {t['very_low_mg_dl']:g} under {t['tbr54_below_percent']:g}%",
        "tar180": f"above {t['high_mg_dl']:g} under {t['tar180_below_percent']:g}%",
        "tar250": f"above {t['very_high_mg_dl']:g} under {t['tar250_below_percent']:g}%",
        "cv": f"CV at most {t['cv_at_most_percent']:g}%",
    }
    return "consensus targets: " + "; ".join(
        f"{words[key]} {'met' if met[key] else 'missed'}" for key in words
    )


def _gap_lines(ins: Insights, report: bool) -> list[str]:
    gaps = ins["sensor_gaps"]
    if gaps is None:
        return []
    threshold = f"{ins['targets']['sensor_gap_hours']:g} h"
    if not gaps["count"]:
        return [f"sensor gaps of {threshold} or more: none"]
    lines = [
        f"sensor gaps of {threshold} or more: {gaps['count']}; longest {gaps['longest_min']} min "
        f"({one(gaps['longest_hours'])} h) from {when(gaps['longest_start'], report)}"
    ]
    for gap in gaps["gaps"]:
        end = clock(gap["end"]) if day(gap["end"]) == day(gap["start"]) else when(gap["end"], True)
        lines.append(
            f"  - {when(gap['start'], report)} to {end}, {gap['duration_min']} min "
            f"({one(gap['duration_hours'])} h)"
        )
    return lines


def _overnight_line(ins: Insights) -> str:
    night = ins["overnight"]
    if not night["readings"]:
        return f"overnight ({night['window']}): no readings"
    readings = f"{count(night['readings'])} {plural(night['readings'], 'reading')}"
    line = f"overnight ({night['window']}): {readings}; lowest "
    line += f"{level(night['min_mg_dl'])} mg/dL"
    if night["lows"] is not None:
        line += f"; lows starting overnight {night['lows']}"
    return line


def _agp_lines(ins: Insights) -> list[str]:
    agp = ins["agp"]
    if agp is None:
        return []
    names = "/".join(f"{p}th" for p in ins["targets"]["agp_percentiles"])
    lines = [f"daily profile (AGP), mg/dL by hour of day, {names} percentile:"]
    percentiles = [f"p{p}" for p in ins["targets"]["agp_percentiles"]]
    for row in agp["hours"]:
        values = "/".join(str(row[key]) for key in percentiles)
        lines.append(f"  {hour(row['hour'])} {values} ({count(row['readings'])} readings)")
    lines.append(
        "profile highlights: "
        f"median highest {agp['median_highest']['mg_dl']} mg/dL at "
        f"{hour(agp['median_highest']['hour'])}; median lowest {agp['median_lowest']['mg_dl']} "
        f"mg/dL at {hour(agp['median_lowest']['hour'])}; 5th percentile lowest "
        f"{agp['p5_lowest']['mg_dl']} mg/dL at {hour(agp['p5_lowest']['hour'])}; 95th "
        f"percentile highest {agp['p95_highest']['mg_dl']} mg/dL at "
        f"{hour(agp['p95_highest']['hour'])}; widest 25th-75th spread "
        f"{agp['iqr_widest']['mg_dl']} mg/dL at {hour(agp['iqr_widest']['hour'])}"
    )
    return lines


def _previous_lines(ins: Insights) -> list[str]:
    previous = ins["previous"]
    if previous is None:
        return []
    t = ins["targets"]
    head = f"previous {t['report_days']} days: {previous['first_day']} to {previous['last_day']}"
    if not previous["readings"]:
        return [f"{head}: no readings; not compared"]
    verdict = "sufficient" if previous["data_sufficient"] else "not sufficient"
    wear = (
        f"wear {one(previous['wear_percent'])}%"
        if previous["wear_percent"] is not None
        else "readings too sparse for continuous monitoring"
    )
    lines = [
        f"{head}: {count(previous['readings'])} readings; {previous['days_worn']} of "
        f"{t['report_days']} days worn; {wear}; {verdict}"
    ]
    change = ins["comparison"]
    if change is None:
        lines[0] += "; not compared"
        return lines
    parts = []
    for key, label, unit in COMPARISON_LINES:
        entry = change[key]
        sign = {"higher": "+", "lower": "-", "unchanged": ""}[entry["direction"]]
        parts.append(
            f"{label} {one(entry['from'])}{unit} -> {one(entry['to'])}{unit} "
            f"({sign}{one(entry['by'])})"
        )
    lines.append("change from previous: " + "; ".join(parts))
    return lines


COMPARISON_LINES = (
    ("mean_mg_dl", "mean", " mg/dL"),
    ("gmi_percent", "GMI", "%"),
    ("cv_percent", "CV", "%"),
    ("tir_percent", "in range", "%"),
    ("tbr70_percent", "below 70", "%"),
    ("tbr54_percent", "below 54", "%"),
    ("tar180_percent", "above 180", "%"),
    ("tar250_percent", "above 250", "%"),
)


def window_summary(ins: Insights) -> str:
    """The input of every example of the window."""
    report = ins["window"]["kind"] == "report"
    times = f"first {when(ins['first_reading'], report)}; last {when(ins['last_reading'], report)}"
    if ins["possible_readings"] is not None:
        readings = (
            f"readings: {count(ins['readings'])} of {count(ins['possible_readings'])} possible "
            f"(one every {ins['sampling_interval_min']} minutes); {times}"
        )
    else:
        readings = (
            f"readings: {count(ins['readings'])}, about {ins['sampling_interval_min']} minutes "
            f"apart (not continuous monitoring); {times}"
        )
    lines = [
        "record type: BloodGlucoseRecord",
        _window_line(ins),
        _clock_line(ins),
        readings,
        _sufficiency_line(ins),
    ]
    if ins["excluded_readings"]:
        lines.append(f"readings left out (implausible level): {ins['excluded_readings']}")
    lines += _gap_lines(ins, report)
    if ins["sd_mg_dl"] is None:
        lines.append(f"single reading: {level(ins['mean_mg_dl'])} mg/dL")
    else:
        lines.append(
            f"mean: {one(ins['mean_mg_dl'])} mg/dL; SD: {one(ins['sd_mg_dl'])} mg/dL; CV: "
            f"{one(ins['cv_percent'])}%; lowest {level(ins['min_mg_dl'])} mg/dL at "
            f"{when(ins['min_at'], report)}; highest {level(ins['max_mg_dl'])} mg/dL at "
            f"{when(ins['max_at'], report)}"
        )
    if ins["gmi_percent"] is not None:
        lines.append(f"GMI: {one(ins['gmi_percent'])}%")
    lines += _bands_lines(ins)
    targets = _targets_line(ins)
    if targets:
        lines.append(targets)
    events = ins["events"]
    if events is not None:
        t = ins["targets"]
        minutes = f"{t['event_minutes']} min or more"
        for key, label, extreme in (
            ("below_70", f"lows below {t['low_mg_dl']:g} mg/dL ({minutes})", "nadir_mg_dl"),
            ("below_54", f"lows below {t['very_low_mg_dl']:g} mg/dL ({minutes})", "nadir_mg_dl"),
            (
                "extended_below_70",
                f"extended lows (over {t['extended_hypo_minutes']} min below "
                f"{t['low_mg_dl']:g} mg/dL)",
                "nadir_mg_dl",
            ),
            ("above_180", f"highs above {t['high_mg_dl']:g} mg/dL ({minutes})", "peak_mg_dl"),
            ("above_250", f"highs above {t['very_high_mg_dl']:g} mg/dL ({minutes})", "peak_mg_dl"),
        ):
            lines += _event_group_lines(label, events[key], extreme, report)
    lines.append(_overnight_line(ins))
    lines += _agp_lines(ins)
    variability = ins["variability"]
    if variability is not None:
        lines.append(
            f"risk indices: LBGI {one(variability['lbgi'])}; HBGI {one(variability['hbgi'])}; "
            f"GRI {one(variability['gri'])}; J-index {one(variability['j_index'])}"
        )
    lines += _previous_lines(ins)
    return "\n".join(lines)


__all__ = ["event_line", "weekday", "when", "window_summary"]
