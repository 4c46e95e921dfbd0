"""The structured insights of one batch: every figure the narrative may state.

Values are computed unrounded elsewhere and rounded here, for display only: minutes, hours
and percentages to one decimal. Labels (target met or not) compare the rounded values that
are reported, so that a label never contradicts the figure printed beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, tzinfo
from typing import Any

from etl_core.contract.timeutil import describe_zone_use, iso, to_local
from etl_sleep.metrics import AWAKENING_MIN_MS, SessionMetrics
from etl_sleep.nights import MIN_NIGHT_ENV, SleepPeriod
from etl_sleep.regularity import (
    MIN_NIGHTS_FOR_MEAN,
    MIN_NIGHTS_FOR_REGULARITY,
    MIN_NIGHTS_FOR_WEEKDAY_WEEKEND,
    circular_mean_minute,
    clock_time_sd,
    is_weekend_night,
    mean_or_none,
    spans_a_week,
)
from etl_sleep.source_rule import SourceRule

MS_PER_MIN = 60_000
TARGETS: dict[str, Any] = {
    "sleep_duration_min_h": 7,
    "sleep_duration_min_min": 420,
    "efficiency_min_percent": 85,
    "latency_max_min": 30,
    "waso_max_min": 20,
    "awakening_longer_than_min": AWAKENING_MIN_MS // MS_PER_MIN,
    "min_nights_for_mean": MIN_NIGHTS_FOR_MEAN,
    "min_nights_for_regularity": MIN_NIGHTS_FOR_REGULARITY,
    "min_nights_for_weekday_weekend": MIN_NIGHTS_FOR_WEEKDAY_WEEKEND,
    "typical_stage_percent": {"light": "45-55", "deep": "15-20", "rem": "20-25"},
    "sources": {
        "duration": "AASM/SRS consensus, Watson et al. 2015: adults >= 7 h",
        "quality": "NSF, Ohayon et al. 2017: efficiency >= 85%, latency <= 30 min, WASO <= 20 min",
    },
}
ADULT_AGE = 18

SOURCE_NAMES = {
    "com.sec.android.app.shealth": "Samsung Health",
    "com.ouraring.oura": "Oura",
    "com.google.android.apps.fitness": "Google Fit",
    "com.fitbit.FitbitMobile": "Fitbit",
    "com.garmin.android.apps.connectmobile": "Garmin Connect",
    "com.withings.wiscale2": "Withings Health Mate",
    "com.urbandroid.sleep": "Sleep as Android",
}


def source_name(package: str) -> str:
    """A readable app name for a data origin, or the package name itself."""
    return SOURCE_NAMES.get(package, package)


def one_decimal(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def minutes(ms: int | float | None) -> float | None:
    return None if ms is None else round(ms / MS_PER_MIN, 1)


def hours(ms: int | float | None) -> float | None:
    return None if ms is None else round(ms / 3_600_000, 1)


def percent(fraction: float | None) -> float | None:
    return None if fraction is None else round(100 * fraction, 1)


def _at_least(value: float | None, bound: float) -> bool | None:
    return None if value is None else value >= bound


def _at_most(value: float | None, bound: float) -> bool | None:
    return None if value is None else value <= bound


def _local_start(session: SessionMetrics, zone: tzinfo | None) -> datetime:
    return to_local(session.start_ms, session.start_offset, zone)


def _local_end(session: SessionMetrics, zone: tzinfo | None) -> datetime:
    return to_local(session.end_ms, session.end_offset, zone)


def _minute_of_day(moment: datetime) -> float:
    return moment.hour * 60 + moment.minute + moment.second / 60


def _clock(minute_of_day: float) -> str:
    whole = round(minute_of_day) % 1440
    return f"{whole // 60:02d}:{whole % 60:02d}"


def session_insight(
    session: SessionMetrics, zone: tzinfo | None, kind: str, role: str
) -> dict[str, Any]:
    """One session's figures, as reported in ``sessions``."""
    stage = session.stage_ms
    return {
        "source": session.source,
        "source_name": source_name(session.source),
        "period": kind,
        "role": role,
        "start": iso(_local_start(session, zone)),
        "end": iso(_local_end(session, zone)),
        "time_in_bed_min": minutes(session.time_in_bed_ms),
        "has_sleep_stages": session.has_sleep_stages,
        "total_sleep_min": minutes(session.total_sleep_ms),
        "efficiency_percent": percent(session.efficiency),
        "latency_min": minutes(session.latency_ms),
        "waso_min": minutes(session.waso_ms),
        "awake_min": minutes(session.awake_ms),
        "awakenings_over_5_min": session.awakenings,
        "light_min": minutes(stage["LIGHT"]),
        "deep_min": minutes(stage["DEEP"]),
        "rem_min": minutes(stage["REM"]),
        "sleeping_unstaged_min": minutes(stage["SLEEPING"]),
        "unknown_min": minutes(stage["UNKNOWN"]),
        "light_percent": percent(session.stage_share("LIGHT")),
        "deep_percent": percent(session.stage_share("DEEP")),
        "rem_percent": percent(session.stage_share("REM")),
        "stage_coverage_percent": percent(session.coverage),
        "unstaged_gap_min": minutes(session.gap_ms),
        "unstaged_gaps": [
            {
                "start": iso(to_local(start, session.end_offset, zone)),
                "end": iso(to_local(end, session.end_offset, zone)),
                "minutes": minutes(end - start),
            }
            for start, end in session.gaps
        ],
        "stage_corrections": _corrections(session),
    }


def _corrections(session: SessionMetrics) -> dict[str, Any]:
    """What cleaning the stage list had to do (see :mod:`etl_sleep.stages`)."""
    hyp = session.hypnogram
    return {
        "stages": hyp.stage_count,
        "unsorted": hyp.was_unsorted,
        "overlapping_min": minutes(hyp.overlap_ms),
        "outside_session_min": minutes(hyp.clipped_ms),
        "stages_outside_session": hyp.clipped_stages,
        "invalid_stages": hyp.invalid_stages,
    }


def _difference(other: float | None, primary: float | None) -> tuple[float | None, str | None]:
    """Absolute difference and its direction (``more``/``less``/``same``) of two reported
    values; the narrative states the size and the word, never a signed number."""
    if other is None or primary is None:
        return None, None
    delta = round(other - primary, 1)
    direction = "same" if delta == 0 else ("more" if delta > 0 else "less")
    return abs(delta), direction


def corroboration_insight(
    other: SessionMetrics, primary: SessionMetrics, zone: tzinfo | None
) -> dict[str, Any]:
    other_tib, primary_tib = minutes(other.time_in_bed_ms), minutes(primary.time_in_bed_ms)
    other_tst, primary_tst = minutes(other.total_sleep_ms), minutes(primary.total_sleep_ms)
    tib_diff, tib_direction = _difference(other_tib, primary_tib)
    tst_diff, tst_direction = _difference(other_tst, primary_tst)
    shared = max(0, min(other.end_ms, primary.end_ms) - max(other.start_ms, primary.start_ms))
    return {
        "source": other.source,
        "source_name": source_name(other.source),
        "start": iso(_local_start(other, zone)),
        "end": iso(_local_end(other, zone)),
        "time_in_bed_min": other_tib,
        "total_sleep_min": other_tst,
        "time_in_bed_difference_min": tib_diff,
        "time_in_bed_direction": tib_direction,
        "total_sleep_difference_min": tst_diff,
        "total_sleep_direction": tst_direction,
        "overlap_min": minutes(shared),
    }


def night_insight(period: SleepPeriod, zone: tzinfo | None, adult_targets: bool) -> dict[str, Any]:
    session = period.primary
    wake = _local_end(session, zone)
    tst = minutes(session.total_sleep_ms)
    efficiency = percent(session.efficiency)
    latency = minutes(session.latency_ms)
    waso = minutes(session.waso_ms)
    return {
        "date": wake.date().isoformat(),
        "weekday": wake.strftime("%A"),
        "source": session.source,
        "source_name": source_name(session.source),
        "bedtime": iso(_local_start(session, zone)),
        "wake_time": iso(wake),
        "time_in_bed_min": minutes(session.time_in_bed_ms),
        "time_in_bed_h": hours(session.time_in_bed_ms),
        "has_sleep_stages": session.has_sleep_stages,
        "total_sleep_min": tst,
        "total_sleep_h": hours(session.total_sleep_ms),
        "efficiency_percent": efficiency,
        "latency_min": latency,
        "waso_min": waso,
        "awake_min": minutes(session.awake_ms),
        "awakenings_over_5_min": session.awakenings,
        "light_percent": percent(session.stage_share("LIGHT")),
        "deep_percent": percent(session.stage_share("DEEP")),
        "rem_percent": percent(session.stage_share("REM")),
        "stage_coverage_percent": percent(session.coverage),
        "unstaged_gap_min": minutes(session.gap_ms),
        "meets": {
            "duration": _at_least(tst, TARGETS["sleep_duration_min_min"])
            if adult_targets
            else None,
            "efficiency": _at_least(efficiency, TARGETS["efficiency_min_percent"])
            if adult_targets
            else None,
            "latency": _at_most(latency, TARGETS["latency_max_min"]) if adult_targets else None,
            "waso": _at_most(waso, TARGETS["waso_max_min"]) if adult_targets else None,
        },
        "stage_corrections": _corrections(session),
        "corroboration": [
            corroboration_insight(other, session, zone) for other in period.corroborating
        ],
    }


def nap_insight(period: SleepPeriod, zone: tzinfo | None) -> dict[str, Any]:
    session = period.primary
    start = _local_start(session, zone)
    return {
        "date": start.date().isoformat(),
        "weekday": start.strftime("%A"),
        "source": session.source,
        "source_name": source_name(session.source),
        "start": iso(start),
        "end": iso(_local_end(session, zone)),
        "time_in_bed_min": minutes(session.time_in_bed_ms),
        "has_sleep_stages": session.has_sleep_stages,
        "total_sleep_min": minutes(session.total_sleep_ms),
        "stage_coverage_percent": percent(session.coverage),
        "unstaged_gap_min": minutes(session.gap_ms),
        "stage_corrections": _corrections(session),
        "corroboration": [
            corroboration_insight(other, session, zone) for other in period.corroborating
        ],
    }


def across_nights(nights: Sequence[SleepPeriod], zone: tzinfo | None) -> dict[str, Any]:
    """Means and regularity over the primary records of several nights; a figure the number
    of nights cannot support is ``None``."""
    primaries = [p.primary for p in nights]
    staged = [s for s in primaries if s.total_sleep_ms is not None]
    wake_dates: list[date] = [_local_end(s, zone).date() for s in primaries]
    bedtimes = [_minute_of_day(_local_start(s, zone)) for s in primaries]
    wake_times = [_minute_of_day(_local_end(s, zone)) for s in primaries]
    mid_sleeps = [
        _minute_of_day(to_local((s.start_ms + s.end_ms) // 2, s.end_offset, zone))
        for s in primaries
    ]
    enough_for_regularity = len(primaries) >= MIN_NIGHTS_FOR_REGULARITY
    tst_values = [float(s.total_sleep_ms) for s in staged if s.total_sleep_ms is not None]
    efficiencies = [s.efficiency for s in staged if s.efficiency is not None]
    summary: dict[str, Any] = {
        "nights": len(primaries),
        "nights_with_sleep_stages": len(staged),
        "first_date": min(wake_dates).isoformat() if wake_dates else None,
        "last_date": max(wake_dates).isoformat() if wake_dates else None,
        "mean_time_in_bed_min": minutes(mean_or_none([float(s.time_in_bed_ms) for s in primaries])),
        "mean_total_sleep_min": minutes(mean_or_none(tst_values)),
        "mean_total_sleep_h": hours(mean_or_none(tst_values)),
        "mean_efficiency_percent": percent(mean_or_none(efficiencies)),
        "mean_mid_sleep_time": _clock(circular_mean_minute(mid_sleeps))
        if enough_for_regularity
        else None,
        "mid_sleep_sd_min": one_decimal(clock_time_sd(mid_sleeps))
        if enough_for_regularity
        else None,
        "bedtime_sd_min": one_decimal(clock_time_sd(bedtimes)) if enough_for_regularity else None,
        "wake_time_sd_min": one_decimal(clock_time_sd(wake_times))
        if enough_for_regularity
        else None,
        "weekday_weekend": _weekday_weekend(staged, zone) if spans_a_week(wake_dates) else None,
    }
    return summary


def _weekday_weekend(staged: Sequence[SessionMetrics], zone: tzinfo | None) -> dict[str, Any]:
    weekday: list[float] = []
    weekend: list[float] = []
    for session in staged:
        if session.total_sleep_ms is None:
            continue
        bucket = weekend if is_weekend_night(_local_end(session, zone).date()) else weekday
        bucket.append(float(session.total_sleep_ms))
    weekday_mean = minutes(mean_or_none(weekday, 1))
    weekend_mean = minutes(mean_or_none(weekend, 1))
    difference, direction = _difference(weekend_mean, weekday_mean)
    return {
        "weekday_nights": len(weekday),
        "weekend_nights": len(weekend),
        "weekday_mean_total_sleep_min": weekday_mean,
        "weekend_mean_total_sleep_min": weekend_mean,
        "weekend_difference_min": difference,
        "weekend_direction": direction,
    }


def build_insights(
    sessions: Sequence[SessionMetrics],
    periods: Sequence[SleepPeriod],
    rule: SourceRule,
    min_night_minutes: int,
    zone: tzinfo | None,
    age_years: int | None,
    excluded_sessions: int,
) -> dict[str, Any]:
    """Everything a narrative may state about one batch of sleep sessions."""
    adult_targets = age_years is None or age_years >= ADULT_AGE
    session_rows: list[dict[str, Any]] = []
    for period in periods:
        session_rows.append(session_insight(period.primary, zone, period.kind, "primary"))
        session_rows.extend(
            session_insight(other, zone, period.kind, "corroborating")
            for other in period.corroborating
        )
    nights = [p for p in periods if p.kind == "night"]
    naps = [p for p in periods if p.kind == "nap"]
    offsets: list[str | None] = []
    for session in sessions:
        offsets.extend([session.start_offset, session.end_offset])
    targets = dict(TARGETS)
    targets["adult_targets_apply"] = adult_targets
    targets["nsf_recommended_h"] = _nsf_range(age_years)
    night_rows = [night_insight(p, zone, adult_targets) for p in nights]
    summary = across_nights(nights, zone)
    summary["nights_meeting"] = _nights_meeting(night_rows) if len(night_rows) >= 2 else None
    return {
        "session_count": len(sessions),
        "night_count": len(nights),
        "nap_count": len(naps),
        "sessions": session_rows,
        "nights": night_rows,
        "naps": [nap_insight(p, zone) for p in naps],
        "across_nights": summary,
        "primary_source_rule": rule.as_insight(),
        "night_rule": {
            "min_night_time_in_bed_min": min_night_minutes,
            "setting": MIN_NIGHT_ENV,
            "description": "overlapping sessions are one sleep period; a period with a session "
            "of at least the minimum time in bed is a night, otherwise a nap",
        },
        "targets": targets,
        "age_years": age_years,
        "timezone": describe_zone_use(offsets, zone),
        "data_quality": {
            "sessions_excluded": excluded_sessions,
            "sessions_without_sleep_stages": sum(1 for s in sessions if not s.has_sleep_stages),
            "sessions_with_stage_corrections": sum(1 for s in sessions if _corrected(s)),
        },
    }


def _nights_meeting(night_rows: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """How many nights met each target, out of the nights where it could be judged."""
    counts: dict[str, Any] = {}
    for target in ("duration", "efficiency", "latency", "waso"):
        judged = [row["meets"][target] for row in night_rows if row["meets"][target] is not None]
        counts[target] = {"met": sum(judged), "judged": len(judged)} if judged else None
    return counts if any(counts.values()) else None


def _corrected(session: SessionMetrics) -> bool:
    hyp = session.hypnogram
    return bool(hyp.was_unsorted or hyp.overlap_ms or hyp.clipped_ms or hyp.invalid_stages)


def _nsf_range(age_years: int | None) -> str | None:
    """NSF's recommended range for the person's age band, when the age is known."""
    if age_years is None or age_years < ADULT_AGE:
        return None
    return "7-9" if age_years < 65 else "7-8"
