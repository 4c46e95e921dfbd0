"""Insights of a night window and of a week window: every figure their examples may state.

Precision follows the data: the exporters' stages come in 30-second or 1-minute steps, so
durations are whole minutes (hours to one decimal), shares whole percent, spreads and the SRI
whole numbers. A night's clock times are read as a clock shows them (hours and minutes, seconds
dropped); a mean clock time is rounded to the nearest minute. A target label compares the value
that is printed, so label and figure never disagree, and a difference between two windows is
the difference of the printed values.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from etl_core import Window
from etl_core.contract.timeutil import describe_zone_use
from etl_sleep.declared import MIN_NIGHTS_WEEKLY, MIN_SRI_DAY_PAIRS
from etl_sleep.declared import REFERENCE_VALUES as REFERENCE_VALUES
from etl_sleep.insights import source_name
from etl_sleep.metrics import SessionMetrics
from etl_sleep.nights import MIN_NIGHT_ENV, SleepPeriod
from etl_sleep.periods import NightOfSleep, WindowSleep
from etl_sleep.regularity import circular_mean_minute, clock_time_sd, signed_clock_difference
from etl_sleep.settings import SleepSettings
from etl_sleep.weekly import (
    is_free_night,
    minute_of_day,
    night_timing,
    social_jet_lag,
    week_regularity,
)

ADULT_AGE = 18
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


# -- rounding ---------------------------------------------------------------------------------


def whole_minutes(ms: float | None) -> int | None:
    return None if ms is None else round(ms / 60_000)


def hours1(ms: float | None) -> float | None:
    return None if ms is None else round(ms / 3_600_000, 1)


def whole_percent(fraction: float | None) -> int | None:
    return None if fraction is None else round(100 * fraction)


def clock(moment: datetime) -> str:
    """``HH:MM`` as a clock shows it (seconds dropped)."""
    return f"{moment.hour:02d}:{moment.minute:02d}"


def clock_of_minute(minute: float) -> str:
    """A minute of the day (a mean clock time) to the nearest minute, ``HH:MM``."""
    whole = round(minute) % 1440
    return f"{whole // 60:02d}:{whole % 60:02d}"


def change(
    current: float | None, previous: float | None, up: str, down: str
) -> dict[str, Any] | None:
    """The size and direction of ``current - previous`` (printed values); ``None`` when
    either is missing."""
    if current is None or previous is None:
        return None
    delta = round(current - previous, 1)
    if delta == int(delta):
        delta = int(delta)
    return {
        "difference": abs(delta),
        "direction": "same" if delta == 0 else up if delta > 0 else down,
    }


def clock_change(current: str | None, previous: str | None) -> dict[str, Any] | None:
    """How much later or earlier a clock time is than another, on the 24-hour circle."""
    if current is None or previous is None:
        return None
    minutes = round(signed_clock_difference(_minutes(current), _minutes(previous)))
    return {
        "difference": abs(minutes),
        "direction": "same" if minutes == 0 else "later" if minutes > 0 else "earlier",
    }


def _minutes(hh_mm: str) -> int:
    return int(hh_mm[:2]) * 60 + int(hh_mm[3:5])


# -- rows ----------------------------------------------------------------------------------


def _meets(value: float | None, bound: float, at_least: bool, adult: bool) -> bool | None:
    if value is None or not adult:
        return None
    return value >= bound if at_least else value <= bound


def recommended_max_h(age: int | None) -> int | None:
    """The top of the NSF range for the person's age (clinical.md: 7-9 h for 18-64, 7-8 h for
    65+); without an age, 9 h, the top for every adult age. ``None`` for a minor."""
    if age is not None and age < ADULT_AGE:
        return None
    key = "nsf_max_h_65_plus" if age is not None and age >= 65 else "nsf_max_h_18_64"
    return int(REFERENCE_VALUES[key])


def _duration_band(tst: int | None, unstaged: int, max_h: int | None) -> str | None:
    """``below`` 7 h, ``within`` the NSF range or ``above`` it, from the printed minutes; ``None``
    without a judgement (no stages, a minor) or when the unstaged minutes, were they sleep,
    could move the night into another band."""
    if tst is None or max_h is None:
        return None
    low, high = tst, tst + unstaged
    floor, ceiling = REFERENCE_VALUES["sleep_duration_min_min"], max_h * 60
    if high < floor:
        return "below"
    if low > ceiling:
        return "above"
    if low >= floor and high <= ceiling:
        return "within"
    return None


def night_row(period: SleepPeriod, night: date, window: Window, adult: bool) -> dict[str, Any]:
    """The figures of a night's sleep, from its primary record.

    Stage gaps count as neither sleep nor wake, so with unstaged time the sleep time and the
    efficiency are lower bounds and WASO is one too when a gap lies inside the sleep: a target
    the unstaged time could flip is not judged (``meets`` holds ``None`` and
    ``unjudged_for_stage_gaps`` names it)."""
    session = period.primary
    timing = night_timing(session, window)
    tst = whole_minutes(session.total_sleep_ms)
    efficiency = whole_percent(session.efficiency)
    latency = whole_minutes(session.latency_ms)
    waso = whole_minutes(session.waso_ms)
    unstaged = whole_minutes(session.gap_ms) or 0
    unstaged_in_sleep = whole_minutes(session.gap_in_sleep_ms) or 0
    targets = REFERENCE_VALUES
    max_h = recommended_max_h(window.user.age_years) if adult else None
    meets = {
        "duration": _meets(tst, targets["sleep_duration_min_min"], True, adult),
        "efficiency": _meets(efficiency, targets["efficiency_min_percent"], True, adult),
        "latency": _meets(latency, targets["latency_max_min"], False, adult),
        "waso": _meets(waso, targets["waso_max_min"], False, adult),
    }
    unjudged = []
    if (
        meets["duration"] is False
        and tst is not None
        and (tst + unstaged >= targets["sleep_duration_min_min"])
    ):
        unjudged.append("duration")
    if meets["efficiency"] is False and session.total_sleep_ms is not None:
        best = whole_percent((session.total_sleep_ms + session.gap_ms) / session.time_in_bed_ms)
        if best is not None and best >= targets["efficiency_min_percent"]:
            unjudged.append("efficiency")
    if meets["waso"] and waso is not None and waso + unstaged_in_sleep > targets["waso_max_min"]:
        unjudged.append("waso")
    for target in unjudged:
        meets[target] = None
    pre_onset = whole_minutes(session.pre_onset_unknown_ms)
    if latency is not None or not session.has_sleep_stages:
        latency_missing = None
    elif pre_onset:
        latency_missing = "unstaged before onset"
    else:
        latency_missing = "starts asleep"
    return {
        "night_of": night.isoformat(),
        "weekday": WEEKDAYS[night.weekday()],
        "free_night": is_free_night(night),
        "source": session.source,
        "source_name": source_name(session.source),
        "bedtime": clock(window.local(session.start_ms, session.start_offset)),
        "out_of_bed": clock(window.local(session.end_ms, session.end_offset)),
        "sleep_onset": None if timing is None else clock(timing.onset),
        "final_awakening": None if timing is None else clock(timing.final_wake),
        "mid_sleep": None if timing is None else clock(timing.mid_sleep),
        "time_in_bed_min": whole_minutes(session.time_in_bed_ms),
        "time_in_bed_h": hours1(session.time_in_bed_ms),
        "has_sleep_stages": session.has_sleep_stages,
        "total_sleep_min": tst,
        "total_sleep_h": hours1(session.total_sleep_ms),
        "efficiency_percent": efficiency,
        "latency_min": latency,
        "latency_recorded": latency is not None,
        "latency_missing": latency_missing,
        "pre_onset_unstaged_min": pre_onset if latency_missing == "unstaged before onset" else None,
        "waso_min": waso,
        "light_percent": whole_percent(session.stage_share("LIGHT")),
        "deep_percent": whole_percent(session.stage_share("DEEP")),
        "rem_percent": whole_percent(session.stage_share("REM")),
        "stage_coverage_percent": whole_percent(session.coverage),
        "unstaged_min": unstaged,
        "unstaged_in_sleep_min": unstaged_in_sleep,
        "duration_band": _duration_band(tst, unstaged, max_h),
        "meets": meets,
        "unjudged_for_stage_gaps": unjudged,
        "corroboration": [_corroboration(other, session, window) for other in period.corroborating],
    }


def _corroboration(
    other: SessionMetrics, primary: SessionMetrics, window: Window
) -> dict[str, Any]:
    moved = change(
        whole_minutes(other.total_sleep_ms), whole_minutes(primary.total_sleep_ms), "more", "less"
    )
    return {
        "source": other.source,
        "source_name": source_name(other.source),
        "bedtime": clock(window.local(other.start_ms, other.start_offset)),
        "out_of_bed": clock(window.local(other.end_ms, other.end_offset)),
        "time_in_bed_min": whole_minutes(other.time_in_bed_ms),
        "total_sleep_min": whole_minutes(other.total_sleep_ms),
        "total_sleep_difference_min": None if moved is None else moved["difference"],
        "total_sleep_direction": None if moved is None else moved["direction"],
    }


def nap_row(period: SleepPeriod, night: date, window: Window) -> dict[str, Any]:
    """A nap (or a further night-length period), reported apart from the night."""
    session = period.primary
    start = window.local(session.start_ms, session.start_offset)
    return {
        "night_of": night.isoformat(),
        "date": start.date().isoformat(),
        "weekday": WEEKDAYS[start.weekday()],
        "source_name": source_name(session.source),
        "start": clock(start),
        "end": clock(window.local(session.end_ms, session.end_offset)),
        "time_in_bed_min": whole_minutes(session.time_in_bed_ms),
        "total_sleep_min": whole_minutes(session.total_sleep_ms),
        "corroborated_by": sorted({source_name(s.source) for s in period.corroborating}),
    }


# -- shared parts ----------------------------------------------------------------------------


def _common(
    window: Window, sleep: WindowSleep, settings: SleepSettings, kind: str
) -> dict[str, Any]:
    sessions = [s for night in sleep.nights.values() for p in night.periods for s in p.sessions]
    offsets: list[str | None] = []
    for session in sessions:
        offsets.extend([session.start_offset, session.end_offset])
    age = window.user.age_years
    return {
        "window": {
            "kind": kind,
            "key": window.key,
            "first_day": window.first_day.isoformat(),
            "last_day": window.last_day.isoformat(),
            "local_start": window.local_start.isoformat(timespec="minutes"),
            "local_end": window.local_end.isoformat(timespec="minutes"),
        },
        "sessions": len(sessions),
        "sessions_skipped": sleep.sessions_skipped,
        "clock": str(window.clock),
        "clock_is_record_offsets": window.clock.name == "RECORD_OFFSETS",
        "timezone": describe_zone_use(offsets, window.user.timezone),
        "age_years": age,
        "adult_targets_apply": age is None or age >= ADULT_AGE,
        "nsf_recommended_h": None
        if age is None or age < ADULT_AGE
        else ("7-9" if age < 65 else "7-8"),
        "recommended_max_h": recommended_max_h(age),
        "targets": dict(REFERENCE_VALUES),
        "primary_source_rule": settings.source_rule.as_insight(),
        "night_rule": {
            "min_night_time_in_bed_min": settings.min_night_minutes,
            "setting": MIN_NIGHT_ENV,
        },
    }


def _naps_of(nights: Sequence[NightOfSleep], window: Window) -> list[dict[str, Any]]:
    return [nap_row(p, n.night_of, window) for n in nights for p in n.naps]


def _others_of(nights: Sequence[NightOfSleep], window: Window) -> list[dict[str, Any]]:
    return [nap_row(p, n.night_of, window) for n in nights for p in n.other]


# -- night window ------------------------------------------------------------------------------


def night_window_insights(
    window: Window,
    sleep: WindowSleep,
    previous: WindowSleep | None,
    previous_window: Window | None,
    settings: SleepSettings,
) -> dict[str, Any]:
    """The insights of one noon-to-noon night window."""
    insights = _common(window, sleep, settings, "night")
    adult = insights["adult_targets_apply"]
    night = sleep.nights.get(window.first_day) or NightOfSleep(window.first_day, None, (), ())
    row = None if night.main is None else night_row(night.main, night.night_of, window, adult)
    insights["window"]["night_of"] = window.first_day.isoformat()
    insights["window"]["weekday"] = WEEKDAYS[window.first_day.weekday()]
    insights["night"] = row
    insights["naps"] = _naps_of([night], window)
    insights["nap_count"] = len(insights["naps"])
    insights["other_sleep"] = _others_of([night], window)
    before = None
    if previous is not None and previous_window is not None:
        prior = previous.nights.get(previous_window.first_day)
        if prior is not None and prior.main is not None:
            before = night_row(prior.main, prior.night_of, previous_window, adult)
    comparable = (
        row is not None
        and before is not None
        and row["has_sleep_stages"]
        and before["has_sleep_stages"]
    )
    insights["previous_night"] = (
        None
        if not comparable or before is None
        else {
            key: before[key]
            for key in (
                "night_of",
                "weekday",
                "total_sleep_min",
                "total_sleep_h",
                "efficiency_percent",
                "waso_min",
                "sleep_onset",
                "unstaged_min",
                "duration_band",
            )
        }
    )
    insights["change_from_previous_night"] = (
        None
        if not comparable or row is None or before is None
        else {
            "total_sleep_min": change(
                row["total_sleep_min"], before["total_sleep_min"], "more", "less"
            ),
            "efficiency_percent": change(
                row["efficiency_percent"], before["efficiency_percent"], "higher", "lower"
            ),
            "waso_min": change(row["waso_min"], before["waso_min"], "more", "less"),
            "sleep_onset": clock_change(row["sleep_onset"], before["sleep_onset"]),
        }
    )
    insights["missing"] = _night_missing(row)
    return insights


def _night_missing(row: Mapping[str, Any] | None) -> list[str]:
    if row is None:
        return ["the night's sleep: no night-length session was recorded"]
    if not row["has_sleep_stages"]:
        return ["sleep stages: the record holds time in bed only"]
    missing = []
    if row["latency_missing"] == "starts asleep":
        missing.append("onset latency: not recorded (the session starts asleep)")
    elif row["latency_missing"] is not None:
        missing.append(
            f"onset latency: unknown ({row['pre_onset_unstaged_min']} min before sleep onset "
            "carry no stage)"
        )
    if row["unstaged_min"]:
        missing.append(f"stage data: {row['unstaged_min']} min of time in bed carry no stage")
    return missing


# -- week window -----------------------------------------------------------------------------


def week_window_insights(
    window: Window,
    sleep: WindowSleep,
    previous: WindowSleep | None,
    previous_window: Window | None,
    settings: SleepSettings,
) -> dict[str, Any]:
    """The insights of one week of nights (Monday night to Sunday night)."""
    insights = _common(window, sleep, settings, "week")
    insights.update(_week_figures(window, sleep, insights["adult_targets_apply"]))
    insights["previous_week"] = None
    insights["change_from_previous_week"] = None
    if previous is not None and previous_window is not None and previous.nights:
        before = _week_figures(previous_window, previous, insights["adult_targets_apply"])
        insights["previous_week"] = {
            "first_day": previous_window.first_day.isoformat(),
            "last_day": previous_window.last_day.isoformat(),
            "nights_recorded": before["nights_recorded"],
            "sufficient": before["sufficient"],
            "weekly": before["weekly"],
            "sleep_regularity_index": before["sleep_regularity_index"],
        }
        if insights["sufficient"] and before["sufficient"]:
            insights["change_from_previous_week"] = _week_change(insights, before)
    return insights


def _week_figures(window: Window, sleep: WindowSleep, adult: bool) -> dict[str, Any]:
    days = window.days()
    nights = [sleep.nights[d] for d in days if d in sleep.nights]
    mains = [(n.night_of, n.main) for n in nights if n.main is not None]
    rows = [night_row(main, night, window, adult) for night, main in mains]
    staged = [(night, main.primary) for night, main in mains if main.primary.has_sleep_stages]
    recorded = {night for night, _ in mains}
    missing_days = [d for d in days if d not in recorded]
    sufficient = len(staged) >= MIN_NIGHTS_WEEKLY
    weekly = _weekly(window, staged, rows, adult) if sufficient else None
    sri, pairs = week_regularity(window, sleep)
    sri_row = None
    if sufficient and sri is not None and pairs >= MIN_SRI_DAY_PAIRS:
        sri_row = {"value": round(sri.value), "day_pairs": pairs}
    return {
        "nights_possible": len(days),
        "nights_recorded": len(mains),
        "nights_with_sleep_stages": len(staged),
        "missing_nights": [
            {"night_of": d.isoformat(), "weekday": WEEKDAYS[d.weekday()]} for d in missing_days
        ],
        "sufficient": sufficient,
        "nights": rows,
        "weekly": weekly,
        "consecutive_staged_night_pairs": pairs,
        "sleep_regularity_index": sri_row,
        "social_jet_lag": _jet_lag(window, staged) if sufficient else None,
        "naps": _naps_of(nights, window),
        "nap_count": sum(len(night.naps) for night in nights),
        "other_sleep": _others_of(nights, window),
        "corroborated_nights": sum(1 for row in rows if row["corroboration"]),
        "missing": _week_missing(len(days), len(mains), len(staged), missing_days, pairs, sri_row),
    }


def _weekly(
    window: Window,
    staged: Sequence[tuple[date, SessionMetrics]],
    rows: Sequence[dict[str, Any]],
    adult: bool,
) -> dict[str, Any]:
    sessions = [session for _, session in staged]
    sleep_ms = [float(s.total_sleep_ms) for s in sessions if s.total_sleep_ms is not None]
    efficiencies = [s.efficiency for s in sessions if s.efficiency is not None]
    waso_ms = [float(s.waso_ms) for s in sessions if s.waso_ms is not None]
    timings = [t for s in sessions if (t := night_timing(s, window)) is not None]
    onsets = [minute_of_day(t.onset) for t in timings]
    mids = [minute_of_day(t.mid_sleep) for t in timings]
    onset_sd = clock_time_sd(onsets)
    mid_sd = clock_time_sd(mids)
    judged = [row for row in rows if row["meets"]["duration"] is not None]
    return {
        "nights": len(sessions),
        "mean_total_sleep_min": whole_minutes(statistics.fmean(sleep_ms)),
        "mean_total_sleep_h": hours1(statistics.fmean(sleep_ms)),
        "mean_efficiency_percent": whole_percent(statistics.fmean(efficiencies)),
        "mean_waso_min": whole_minutes(statistics.fmean(waso_ms)),
        "nights_meeting_7h": sum(1 for row in judged if row["meets"]["duration"])
        if adult
        else None,
        "nights_judged_7h": len(judged) if adult else None,
        "nights_above_range": sum(1 for row in rows if row["duration_band"] == "above")
        if adult
        else None,
        "mean_sleep_onset": clock_of_minute(circular_mean_minute(onsets)),
        "sleep_onset_sd_min": None if onset_sd is None else round(onset_sd),
        "mean_mid_sleep": clock_of_minute(circular_mean_minute(mids)),
        "mid_sleep_sd_min": None if mid_sd is None else round(mid_sd),
    }


def _jet_lag(
    window: Window, staged: Sequence[tuple[date, SessionMetrics]]
) -> dict[str, Any] | None:
    free: list[float] = []
    work: list[float] = []
    for night, session in staged:
        timing = night_timing(session, window)
        if timing is not None:
            (free if is_free_night(night) else work).append(minute_of_day(timing.mid_sleep))
    shift = social_jet_lag(free, work)
    if shift is None:
        return None
    minutes = round(shift)
    return {
        "free_nights": len(free),
        "work_nights": len(work),
        "free_mean_mid_sleep": clock_of_minute(circular_mean_minute(free)),
        "work_mean_mid_sleep": clock_of_minute(circular_mean_minute(work)),
        "minutes": abs(minutes),
        "direction": "same" if minutes == 0 else "later" if minutes > 0 else "earlier",
    }


def _week_missing(
    possible: int,
    recorded: int,
    staged: int,
    missing_days: Sequence[date],
    pairs: int,
    sri: Mapping[str, Any] | None,
) -> list[str]:
    missing = []
    if recorded < possible:
        listed = ", ".join(f"{WEEKDAYS[d.weekday()]} {d.isoformat()}" for d in missing_days)
        missing.append(f"nights: {recorded} of {possible} recorded; no record for {listed}")
    if staged < recorded:
        missing.append(f"sleep stages: {recorded - staged} of {recorded} nights have none")
    if staged < MIN_NIGHTS_WEEKLY:
        missing.append(
            f"weekly figures: {staged} of {possible} nights carry sleep stages, "
            f"at least {MIN_NIGHTS_WEEKLY} are needed"
        )
    elif sri is None:
        missing.append(
            f"sleep regularity index: {pairs} pairs of consecutive nights with stages, "
            f"at least {MIN_SRI_DAY_PAIRS} are needed"
        )
    return missing


def _week_change(current: Mapping[str, Any], before: Mapping[str, Any]) -> dict[str, Any]:
    now, then = current["weekly"], before["weekly"]
    sri_now = current["sleep_regularity_index"]
    sri_then = before["sleep_regularity_index"]
    return {
        "mean_total_sleep_min": change(
            now["mean_total_sleep_min"], then["mean_total_sleep_min"], "more", "less"
        ),
        "mean_efficiency_percent": change(
            now["mean_efficiency_percent"], then["mean_efficiency_percent"], "higher", "lower"
        ),
        "mean_waso_min": change(now["mean_waso_min"], then["mean_waso_min"], "more", "less"),
        "nights_meeting_7h": change(
            now["nights_meeting_7h"], then["nights_meeting_7h"], "more", "fewer"
        ),
        "sleep_onset_sd_min": change(
            now["sleep_onset_sd_min"], then["sleep_onset_sd_min"], "larger", "smaller"
        ),
        "mid_sleep_sd_min": change(
            now["mid_sleep_sd_min"], then["mid_sleep_sd_min"], "larger", "smaller"
        ),
        "sleep_regularity_index": None
        if sri_now is None or sri_then is None
        else change(sri_now["value"], sri_then["value"], "higher", "lower"),
        "mean_sleep_onset": clock_change(now["mean_sleep_onset"], then["mean_sleep_onset"]),
    }


def data_bounds(window: Window, sleep: WindowSleep) -> tuple[datetime, datetime] | None:
    sessions = [s for night in sleep.nights.values() for p in night.periods for s in p.sessions]
    if not sessions:
        return None
    first = min(sessions, key=lambda s: s.start_ms)
    last = max(sessions, key=lambda s: s.end_ms)
    return window.local(first.start_ms, first.start_offset), window.local(
        last.end_ms, last.end_offset
    )
