"""The input of a window's training examples: its findings as compact ``key: value`` lines.

Every patient figure any example states is here, with the window and what is missing; every
figure here is an insight. Thresholds are not repeated (they are the spec's reference values).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _latency_text(row: Mapping[str, Any]) -> str:
    if row["latency_recorded"]:
        return f"{row['latency_min']} min"
    if row["latency_missing"] == "starts asleep":
        return "not recorded (the session starts asleep)"
    return f"unknown ({row['pre_onset_unstaged_min']} min before sleep onset carry no stage)"


def _na(value: object, unit: str = "") -> str:
    return "not measured" if value is None else f"{value}{unit}"


def _night_lines(row: Mapping[str, Any]) -> list[str]:
    lines = [
        f"primary record: {row['source_name']}, in bed {row['bedtime']} to {row['out_of_bed']}",
        f"time in bed: {row['time_in_bed_min']} min ({row['time_in_bed_h']} h)",
    ]
    if not row["has_sleep_stages"]:
        lines.append("total sleep: not measured (no sleep stages)")
        return lines
    lines += [
        f"total sleep: {row['total_sleep_min']} min ({row['total_sleep_h']} h)",
        f"sleep efficiency: {row['efficiency_percent']}%",
        f"sleep onset: {row['sleep_onset']}; final awakening: {row['final_awakening']}; "
        f"mid-sleep: {row['mid_sleep']}",
        f"onset latency: {_latency_text(row)}",
        f"WASO: {row['waso_min']} min",
    ]
    if row["light_percent"] is not None:
        lines.append(
            f"stages: light {row['light_percent']}%, deep {row['deep_percent']}%, "
            f"REM {row['rem_percent']}%"
        )
    else:
        lines.append("stages: sleep not split into light, deep and REM")
    if row["unstaged_min"]:
        lines.append(
            f"stage coverage: {row['stage_coverage_percent']}% of time in bed "
            f"({row['unstaged_min']} min without a stage)"
        )
    for other in row["corroboration"]:
        text = (
            f"also recorded by: {other['source_name']}, in bed {other['bedtime']} to "
            f"{other['out_of_bed']} ({other['time_in_bed_min']} min)"
        )
        if other["total_sleep_min"] is not None:
            text += f", {other['total_sleep_min']} min asleep"
            if other["total_sleep_direction"] == "same":
                text += " (the same as the primary)"
            elif other["total_sleep_direction"] is not None:
                text += (
                    f" ({other['total_sleep_difference_min']} min "
                    f"{other['total_sleep_direction']} than the primary)"
                )
        lines.append(text)
    return lines


def _nap_line(nap: Mapping[str, Any], label: str = "nap") -> str:
    asleep = f", {nap['total_sleep_min']} min asleep" if nap["total_sleep_min"] is not None else ""
    also = (
        f"; also recorded by {', '.join(nap['corroborated_by'])}" if nap["corroborated_by"] else ""
    )
    return (
        f"{label}: {nap['weekday']} {nap['date']} {nap['start']} to {nap['end']}, "
        f"{nap['time_in_bed_min']} min in bed{asleep} ({nap['source_name']}){also}"
    )


def _context_lines(insights: Mapping[str, Any]) -> list[str]:
    lines = []
    if not insights["adult_targets_apply"]:
        lines.append(f"adult targets: not applied (age {insights['age_years']})")
    elif insights["nsf_recommended_h"]:
        lines.append(
            f"NSF range for age {insights['age_years']}: {insights['nsf_recommended_h']} h"
        )
    if not insights["clock_is_record_offsets"]:
        lines.append(f"local time: {insights['clock']}")
    if insights["sessions_skipped"]:
        lines.append(f"sessions left out (unusable times): {insights['sessions_skipped']}")
    missing = insights["missing"]
    lines.append("missing: " + ("; ".join(missing) if missing else "nothing"))
    return lines


def _change_text(name: str, moved: Mapping[str, Any] | None, unit: str) -> str | None:
    if moved is None:
        return None
    if moved["direction"] == "same":
        return f"{name} the same"
    if unit == " points" and moved["difference"] == 1:
        unit = " point"
    return f"{name} {moved['difference']}{unit} {moved['direction']}"


def night_summary(insights: Mapping[str, Any]) -> str:
    window = insights["window"]
    lines = [
        "record type: SleepSessionRecord, night window",
        f"night: {window['weekday']} {window['night_of']} (noon to noon)",
    ]
    row = insights["night"]
    lines += ["night-length sleep: none recorded"] if row is None else _night_lines(row)
    lines += [_nap_line(nap) for nap in insights["naps"]]
    lines += [_nap_line(other, "other sleep period") for other in insights["other_sleep"]]
    before = insights["previous_night"]
    if before is not None:
        lines.append(
            f"previous night: {before['weekday']} {before['night_of']}, "
            f"{before['total_sleep_min']} min asleep ({before['total_sleep_h']} h), efficiency "
            f"{before['efficiency_percent']}%, WASO {before['waso_min']} min, sleep onset "
            f"{before['sleep_onset']}"
            + (f", {before['unstaged_min']} min without a stage" if before["unstaged_min"] else "")
        )
        moved = insights["change_from_previous_night"]
        parts = [
            _change_text("total sleep", moved["total_sleep_min"], " min"),
            _change_text("efficiency", moved["efficiency_percent"], " points"),
            _change_text("WASO", moved["waso_min"], " min"),
            _change_text("sleep onset", moved["sleep_onset"], " min"),
        ]
        lines.append("change from previous night: " + ", ".join(p for p in parts if p))
    return "\n".join(lines + _context_lines(insights))


def _week_night_line(row: Mapping[str, Any]) -> str:
    head = f"- {row['weekday']} {row['night_of']}:"
    if not row["has_sleep_stages"]:
        return (
            f"{head} in bed {row['time_in_bed_min']} min, no sleep stages, "
            f"{row['bedtime']} to {row['out_of_bed']}, {row['source_name']}"
        )
    latency = f"{row['latency_min']} min" if row["latency_recorded"] else "not recorded"
    if row["latency_missing"] == "unstaged before onset":
        latency = "unknown"
    unstaged = f", {row['unstaged_min']} min without a stage" if row["unstaged_min"] else ""
    return (
        f"{head} asleep {row['total_sleep_min']} min ({row['total_sleep_h']} h), efficiency "
        f"{row['efficiency_percent']}%, WASO {row['waso_min']} min, onset latency {latency}, "
        f"sleep onset {row['sleep_onset']}, mid-sleep {row['mid_sleep']}, final awakening "
        f"{row['final_awakening']}{unstaged}, {row['source_name']}"
        + (", also another device" if row["corroboration"] else "")
    )


def week_summary(insights: Mapping[str, Any]) -> str:
    window = insights["window"]
    lines = [
        "record type: SleepSessionRecord, week window",
        f"week: {window['first_day']} to {window['last_day']} (nights of Monday to Sunday)",
        f"nights recorded: {insights['nights_recorded']} of {insights['nights_possible']} "
        f"({insights['nights_with_sleep_stages']} with sleep stages)",
    ]
    if insights["missing_nights"]:
        lines.append(
            "no record: "
            + ", ".join(f"{n['weekday']} {n['night_of']}" for n in insights["missing_nights"])
        )
    if insights["nights"]:
        lines.append("night by night:")
        lines += [_week_night_line(row) for row in insights["nights"]]
    weekly = insights["weekly"]
    if weekly is not None:
        lines += [
            f"mean total sleep: {weekly['mean_total_sleep_min']} min "
            f"({weekly['mean_total_sleep_h']} h) over {weekly['nights']} nights",
            f"mean efficiency: {weekly['mean_efficiency_percent']}%",
            f"mean WASO: {weekly['mean_waso_min']} min",
            f"sleep onset: mean {weekly['mean_sleep_onset']}, "
            f"SD {weekly['sleep_onset_sd_min']} min",
            f"mid-sleep: mean {weekly['mean_mid_sleep']}, SD {weekly['mid_sleep_sd_min']} min",
        ]
        if weekly["nights_meeting_7h"] is not None:
            lines.append(
                f"nights with at least 7 h asleep: {weekly['nights_meeting_7h']} of "
                f"{weekly['nights_judged_7h']}"
            )
        if weekly["nights_above_range"]:
            lines.append(
                f"nights above the recommended range (more than {insights['recommended_max_h']} "
                f"h asleep): {weekly['nights_above_range']}"
            )
    sri = insights["sleep_regularity_index"]
    if sri is not None:
        lines.append(
            f"sleep regularity index: {sri['value']}, from {sri['day_pairs']} pairs of "
            "consecutive nights"
        )
    lag = insights["social_jet_lag"]
    if lag is not None:
        lines.append(
            f"social jet lag: {lag['minutes']} min, mid-sleep {lag['direction']} on free nights "
            f"(Friday and Saturday nights: {lag['free_nights']}, "
            f"mean {lag['free_mean_mid_sleep']}) than on work nights ({lag['work_nights']}, "
            f"mean {lag['work_mean_mid_sleep']})"
            if lag["direction"] != "same"
            else f"social jet lag: none, mid-sleep {lag['free_mean_mid_sleep']} on free and "
            "work nights alike"
        )
    elif weekly is not None:
        lines.append("social jet lag: not assessed (free and work nights are not both recorded)")
    naps = insights["naps"]
    lines.append(f"naps: {insights['nap_count']}" if naps else "naps: none recorded")
    lines += [_nap_line(nap, "- nap") for nap in naps]
    lines += [_nap_line(other, "- other sleep period") for other in insights["other_sleep"]]
    lines.append(f"nights also recorded by a second device: {insights['corroborated_nights']}")
    before = insights["previous_week"]
    if before is not None and insights["change_from_previous_week"] is not None:
        then = before["weekly"]
        text = (
            f"previous week: {before['first_day']} to {before['last_day']}, "
            f"{before['nights_recorded']} nights, mean total sleep "
            f"{then['mean_total_sleep_min']} min ({then['mean_total_sleep_h']} h), mean "
            f"efficiency {then['mean_efficiency_percent']}%, mean WASO {then['mean_waso_min']} "
            f"min, onset SD {then['sleep_onset_sd_min']} min, mid-sleep SD "
            f"{then['mid_sleep_sd_min']} min, mean sleep onset {then['mean_sleep_onset']}"
        )
        if then["nights_meeting_7h"] is not None:
            text += f", nights with at least 7 h {then['nights_meeting_7h']}"
        if before["sleep_regularity_index"] is not None:
            text += f", sleep regularity index {before['sleep_regularity_index']['value']}"
        lines.append(text)
        moved = insights["change_from_previous_week"]
        parts = [
            _change_text("mean total sleep", moved["mean_total_sleep_min"], " min"),
            _change_text("mean efficiency", moved["mean_efficiency_percent"], " points"),
            _change_text("mean WASO", moved["mean_waso_min"], " min"),
            _change_text("nights with at least 7 h", moved["nights_meeting_7h"], ""),
            _change_text("onset SD", moved["sleep_onset_sd_min"], " min"),
            _change_text("mid-sleep SD", moved["mid_sleep_sd_min"], " min"),
            _change_text("sleep regularity index", moved["sleep_regularity_index"], " points"),
            _change_text("mean sleep onset", moved["mean_sleep_onset"], " min"),
        ]
        lines.append("change from previous week: " + ", ".join(p for p in parts if p))
    elif before is not None:
        lines.append(
            f"previous week: {before['first_day']} to {before['last_day']}, "
            f"{before['nights_recorded']} nights recorded; not compared (both weeks need at "
            f"least {insights['targets']['min_nights_weekly']} nights with sleep stages)"
        )
    return "\n".join(lines + _context_lines(insights))
