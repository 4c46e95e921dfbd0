"""The maths of a week of nights: timing, regularity and social jet lag (unrounded).

- Sleep onset is the start of the first sleep stage; the final awakening the end of the last;
  mid-sleep the instant halfway between them (Wittmann 2006 uses sleep onset and sleep end).
- Clock times wrap at midnight, so their mean is the circular mean and their spread the SD
  (ddof = 1) of each time's signed distance from it (:mod:`etl_sleep.regularity`): onsets at
  23:50 and 00:10 are 20 min apart.
- Free nights are the nights before a free day: Friday and Saturday nights (the nights before
  Saturday and Sunday); the others are work nights. Social jet lag (Wittmann 2006) is
  |mean mid-sleep of free nights - mean mid-sleep of work nights|, on the 24-hour circle.
- A weekly figure needs at least :data:`MIN_NIGHTS_WEEKLY` of the week's 7 nights to carry it
  (clinical.md, "Longitudinal windows").
- The Sleep Regularity Index (:mod:`etl_sleep.sri`) needs that too, plus at least
  :data:`MIN_SRI_DAY_PAIRS` pairs of consecutive nights recorded with sleep stages (the SRI
  compares each day with the next; this minimum is the project's convention).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from itertools import pairwise

from etl_core import Window
from etl_core.contract.timeutil import readable_offset, resolve_tz
from etl_sleep.declared import MIN_NIGHTS_WEEKLY as MIN_NIGHTS_WEEKLY
from etl_sleep.declared import MIN_SRI_DAY_PAIRS as MIN_SRI_DAY_PAIRS
from etl_sleep.declared import NIGHTS_PER_WEEK as NIGHTS_PER_WEEK
from etl_sleep.metrics import SessionMetrics
from etl_sleep.periods import WindowSleep
from etl_sleep.regularity import circular_mean_minute, signed_clock_difference
from etl_sleep.sri import RegularityIndex, epoch_states, sleep_regularity_index
from etl_sleep.stages import SLEEP_STAGES, WAKE_STAGES

FREE_NIGHT_WEEKDAYS = frozenset({4, 5})
"""Nights of Friday and Saturday (``date.weekday()`` of the evening): before Saturday and
Sunday, the usual free days."""


def is_free_night(night_of: date) -> bool:
    return night_of.weekday() in FREE_NIGHT_WEEKDAYS


@dataclass(frozen=True, slots=True)
class NightTiming:
    """Local clock times of one night's sleep."""

    onset: datetime
    final_wake: datetime
    mid_sleep: datetime


def night_timing(session: SessionMetrics, window: Window) -> NightTiming | None:
    """Sleep onset, final awakening and mid-sleep of a session with sleep stages."""
    if session.onset_ms is None or session.final_wake_ms is None:
        return None
    middle = (session.onset_ms + session.final_wake_ms) // 2
    return NightTiming(
        onset=window.local(session.onset_ms, session.start_offset),
        final_wake=window.local(session.final_wake_ms, session.end_offset),
        mid_sleep=window.local(middle, session.end_offset),
    )


def minute_of_day(moment: datetime) -> float:
    return moment.hour * 60 + moment.minute + (moment.second + moment.microsecond / 1e6) / 60


def social_jet_lag(free: Sequence[float], work: Sequence[float]) -> float | None:
    """Mean free-night mid-sleep minus mean work-night mid-sleep, in minutes on the 24-hour
    circle (positive: later on free nights); ``None`` unless both kinds exist."""
    if not free or not work:
        return None
    return signed_clock_difference(circular_mean_minute(free), circular_mean_minute(work))


def sleep_state_intervals(
    session: SessionMetrics,
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """A session's asleep intervals and the intervals whose state it does not record (stage
    gaps and UNKNOWN stages; the whole session when it has no stages)."""
    spans = session.hypnogram.spans
    if not spans:
        return [], [(session.start_ms, session.end_ms)]
    asleep = [(s.start_ms, s.end_ms) for s in spans if s.stage in SLEEP_STAGES]
    unknown = [(s.start_ms, s.end_ms) for s in spans if s.stage not in SLEEP_STAGES | WAKE_STAGES]
    unknown.extend(session.gaps)
    return asleep, unknown


def week_regularity(window: Window, sleep: WindowSleep) -> tuple[RegularityIndex | None, int]:
    """The SRI over the window's days (each day a noon-to-noon night), and the number of pairs
    of consecutive nights recorded with sleep stages. ``None`` when no pair exists."""
    days = window.days()
    valid = [
        (night := sleep.nights.get(day)) is not None
        and night.main is not None
        and night.main.primary.has_sleep_stages
        for day in days
    ]
    pairs = sum(1 for a, b in pairwise(valid) if a and b)
    primaries = [p.primary for night in sleep.nights.values() for p in night.periods]
    if not pairs or not primaries:
        return None, pairs
    first = min(primaries, key=lambda s: s.start_ms)
    zone = resolve_tz(readable_offset(first.start_offset), window.user.timezone)
    start_ms = int(window.local_start.replace(tzinfo=zone).timestamp() * 1000)
    asleep: list[tuple[int, int]] = []
    unknown: list[tuple[int, int]] = []
    for session in primaries:
        sleeping, unrecorded = sleep_state_intervals(session)
        asleep.extend(sleeping)
        unknown.extend(unrecorded)
    states = epoch_states(start_ms, len(days), asleep, unknown)
    return sleep_regularity_index(states, valid), pairs
