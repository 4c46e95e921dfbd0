"""Which sleep a calendar window owns, night by night.

Core hands a window every record that touches it, so a session crossing the window's edge
reaches two windows. Each sleep period (sessions chained by overlap, see
:mod:`etl_sleep.nights`) belongs to exactly one window: the one holding the local start of its
earliest session. Night and week windows both begin at local noon, so a period also belongs to
one *night*: the noon-to-noon day it starts in, named by the date of that evening (a session
from 00:50 to 08:07 on a Saturday is Friday's night; a 14:30 nap on Saturday belongs to
Saturday's night).

Per night, the longest night-length period (by the primary session's time in bed) is the
night's sleep; shorter-than-night periods are naps, reported apart; any further night-length
period (segmented sleep) is kept as ``other``, also apart, so no night is ever counted twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from etl_core import Window
from etl_sleep.declared import NIGHT_START_HOUR as NIGHT_START_HOUR
from etl_sleep.metrics import SessionMetrics, session_metrics
from etl_sleep.nights import SleepPeriod, sleep_periods
from etl_sleep.settings import SleepSettings
from etl_sleep.validation import MAX_SESSION_MS


@dataclass(frozen=True, slots=True)
class NightOfSleep:
    """The sleep that began in one noon-to-noon night."""

    night_of: date
    main: SleepPeriod | None
    """The night's sleep: its longest night-length period, or ``None`` (naps only)."""
    naps: tuple[SleepPeriod, ...]
    other: tuple[SleepPeriod, ...]
    """Night-length periods beside the main one (segmented sleep), reported apart."""

    @property
    def periods(self) -> tuple[SleepPeriod, ...]:
        every = (*(() if self.main is None else (self.main,)), *self.naps, *self.other)
        return tuple(sorted(every, key=period_start))


@dataclass(frozen=True, slots=True)
class WindowSleep:
    """A window's nights (only those with sleep), plus what had to be left out."""

    nights: Mapping[date, NightOfSleep]
    sessions_skipped: int
    """Records without usable bounds or longer than 24 h (validation's limit)."""


def period_start(period: SleepPeriod) -> int:
    return min(session.start_ms for session in period.sessions)


def _earliest(period: SleepPeriod) -> SessionMetrics:
    return min(period.sessions, key=lambda s: (s.start_ms, s.record_id))


def night_of(moment: datetime) -> date:
    """The night a local time falls in (03:00 on the 20th is the night of the 19th)."""
    return (moment.replace(tzinfo=None) - timedelta(hours=NIGHT_START_HOUR)).date()


def window_sessions(records: Sequence[Mapping[str, Any]]) -> tuple[list[SessionMetrics], int]:
    """Metrics of every usable session, and how many records were not usable."""
    sessions: list[SessionMetrics] = []
    skipped = 0
    for record in records:
        start = record.get("startTimeEpochMillis")
        end = record.get("endTimeEpochMillis")
        if (
            not isinstance(start, int)
            or not isinstance(end, int)
            or end < start
            or end - start > MAX_SESSION_MS
        ):
            skipped += 1
            continue
        sessions.append(session_metrics(record))
    return sessions, skipped


def window_sleep(window: Window, settings: SleepSettings) -> WindowSleep:
    """The periods ``window`` owns, grouped by night."""
    sessions, skipped = window_sessions(window.records)
    periods = sleep_periods(sessions, settings.source_rule, settings.min_night_minutes)
    by_night: dict[date, list[SleepPeriod]] = {}
    for period in periods:
        first = _earliest(period)
        if not window.contains(first.start_ms, first.start_offset):
            continue
        night = night_of(window.local(first.start_ms, first.start_offset))
        by_night.setdefault(night, []).append(period)
    nights = {night: _night(night, found) for night, found in sorted(by_night.items())}
    return WindowSleep(nights, skipped)


def _night(night: date, periods: Sequence[SleepPeriod]) -> NightOfSleep:
    full = sorted(
        (p for p in periods if p.kind == "night"),
        key=lambda p: (-p.primary.time_in_bed_ms, period_start(p), p.primary.record_id),
    )
    naps = tuple(sorted((p for p in periods if p.kind == "nap"), key=period_start))
    main = full[0] if full else None
    other = tuple(sorted(full[1:], key=period_start))
    return NightOfSleep(night, main, naps, other)
