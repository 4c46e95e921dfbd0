"""From sessions to nights and naps.

A person sleeps one night however many apps record it, so:

1. sessions that overlap in time (directly or through a chain of overlaps) form one sleep
   period, whichever apps recorded them;
2. a period holding at least one session of :data:`DEFAULT_MIN_NIGHT_MIN` minutes in bed or
   more is a night; a period of shorter sessions only is a nap (configurable through
   ``ETL_SLEEP_MIN_NIGHT_MINUTES``; 3 hours is this project's convention, not a clinical one);
3. one session per period is the primary record (:mod:`etl_sleep.source_rule`); the others
   only corroborate it. Figures are never averaged or added across sources.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from etl_sleep.metrics import SessionMetrics
from etl_sleep.source_rule import SourceRule

MIN_NIGHT_ENV = "ETL_SLEEP_MIN_NIGHT_MINUTES"
DEFAULT_MIN_NIGHT_MIN = 180


@dataclass(frozen=True, slots=True)
class SleepPeriod:
    kind: str
    """``"night"`` or ``"nap"``."""
    primary: SessionMetrics
    corroborating: tuple[SessionMetrics, ...]

    @property
    def sessions(self) -> tuple[SessionMetrics, ...]:
        return (self.primary, *self.corroborating)


def parse_min_night_minutes(setting: str | None) -> int:
    """The night threshold from the environment variable's text (positive whole minutes);
    the default when it is unset or unusable."""
    if setting is None:
        return DEFAULT_MIN_NIGHT_MIN
    try:
        minutes = int(setting.strip())
    except ValueError:
        return DEFAULT_MIN_NIGHT_MIN
    return minutes if minutes > 0 else DEFAULT_MIN_NIGHT_MIN


def overlap_ms(a: SessionMetrics, b: SessionMetrics) -> int:
    return max(0, min(a.end_ms, b.end_ms) - max(a.start_ms, b.start_ms))


def group_overlapping(sessions: Sequence[SessionMetrics]) -> list[list[SessionMetrics]]:
    """Clusters of sessions chained by positive overlap, in time order. Sessions that only
    touch (one ends when the next starts) stay apart."""
    clusters: list[list[SessionMetrics]] = []
    cluster_end = 0
    for session in sorted(sessions, key=lambda s: (s.start_ms, s.end_ms, s.record_id)):
        if clusters and session.start_ms < cluster_end:
            clusters[-1].append(session)
            cluster_end = max(cluster_end, session.end_ms)
        else:
            clusters.append([session])
            cluster_end = session.end_ms
    return clusters


def sleep_periods(
    sessions: Sequence[SessionMetrics], rule: SourceRule, min_night_minutes: int
) -> list[SleepPeriod]:
    """Nights and naps, in time order."""
    threshold_ms = min_night_minutes * 60_000
    periods: list[SleepPeriod] = []
    for cluster in group_overlapping(sessions):
        kind = "night" if any(s.time_in_bed_ms >= threshold_ms for s in cluster) else "nap"
        ranked = rule.choose(cluster)
        periods.append(SleepPeriod(kind, ranked[0], tuple(ranked[1:])))
    return periods
