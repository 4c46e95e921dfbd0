"""What every window's insights share: the window itself and the clock its times are read in."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any

from etl_core import ClockSource, Window
from etl_core.contract.timeutil import constant_offset
from etl_heartrate.formatting import clock as clock_of
from etl_heartrate.formatting import date_and_clock, join_words, local_iso, offset_at


def window_insight(window: Window) -> dict[str, Any]:
    """The window as insight fields (rule, key, first and last day, local start and end)."""
    return {
        "rule": window.rule.name,
        "key": window.key,
        "first_day": window.first_day.isoformat(),
        "last_day": window.last_day.isoformat(),
        "days": window.rule.days,
        "local_start": window.local_start.isoformat(timespec="minutes"),
        "local_end": window.local_end.isoformat(timespec="minutes"),
    }


def offset_label(moment: datetime) -> str:
    """``-05:00`` for an aware datetime."""
    return _label(moment.utcoffset() or timedelta(0))


def _label(offset: timedelta) -> str:
    total = int(offset.total_seconds())
    sign = "-" if total < 0 else "+"
    total = abs(total)
    return f"{sign}{total // 3600:02d}:{(total % 3600) // 60:02d}"


MAX_OFFSET_CHANGES = 4
"""More changes than this (records of two devices set to different zones, interleaved) are
summarised as the offsets seen, not listed one by one."""


def _transition_ms(before_ms: int, after_ms: int, zone: tzinfo, offset: timedelta) -> int:
    """The first instant after ``before_ms``, up to ``after_ms``, at which ``zone`` gives
    ``offset``: where a daylight-saving change fell between two samples read in one zone."""
    low, high = before_ms, after_ms
    while high - low > 1:
        middle = (low + high) // 2
        if offset_at(middle, zone) == offset:
            high = middle
        else:
            low = middle
    return high


STEADY_SPAN_MS = 6 * 3_600_000
"""Two readings of one zone this close with the same offset are taken to have had it in
between: no zone changes its offset twice within six hours (core's ``PersonZone.offset_range``
rests on the same fact). It lets a week of per-second samples be read in a few dozen offset
look-ups instead of one per sample."""


def _changes_within(
    times: Sequence[int], zone: tzinfo, first: int, last: int, offsets: dict[int, timedelta]
) -> list[int]:
    """Indices in ``first + 1 .. last`` whose sample has another offset than the one before."""
    for index in (first, last):
        if index not in offsets:
            offsets[index] = offset_at(times[index], zone)
    if offsets[first] == offsets[last] and times[last] - times[first] <= STEADY_SPAN_MS:
        return []
    if last == first + 1:
        return [last] if offsets[first] != offsets[last] else []
    middle = (first + last) // 2
    return _changes_within(times, zone, first, middle, offsets) + _changes_within(
        times, zone, middle, last, offsets
    )


def offset_runs(moments: Sequence[tuple[int, tzinfo]]) -> list[tuple[int, timedelta]]:
    """``(instant ms, zone)`` pairs in time order -> the runs of one offset, each as (the instant
    its offset began, the offset). Between two samples read in one zone the run begins where the
    zone changed its offset; between samples of records with different offsets, at the first
    sample of the new one."""
    runs: list[tuple[int, timedelta]] = []
    start = 0
    while start < len(moments):
        zone = moments[start][1]
        end = start
        while end + 1 < len(moments) and moments[end + 1][1] is zone:
            end += 1
        times = [time_ms for time_ms, _ in moments[start : end + 1]]
        steady = constant_offset(zone)
        offsets: dict[int, timedelta] = {}
        if steady is not None:
            pieces = [(0, steady)]
        else:
            changes = _changes_within(times, zone, 0, len(times) - 1, offsets)
            pieces = [(index, offsets[index]) for index in [0, *changes]]
        for index, offset in pieces:
            if runs and runs[-1][1] == offset:
                continue
            began = times[index]
            if index > 0:
                began = _transition_ms(times[index - 1], times[index], zone, offset)
            runs.append((began, offset))
        start = end + 1
    return runs


def clock_insight(window: Window, moments: Sequence[tuple[int, tzinfo]]) -> dict[str, Any]:
    """Where the window's local times come from, and which offsets they carry.

    ``moments`` are the window's ``(instant ms, zone)`` readings in time order. ``offset`` is
    the offset the person's zone gave at the first of them when some record carried none
    (``None`` when every record had its own); ``offsets`` lists every offset in the order they
    applied, and ``offset_changes`` when each began (``None`` when there are too many to list):
    on the day daylight saving time ends, 01:30 happens twice, and only the offset tells which.
    """
    offset: str | None = None
    if window.clock is not ClockSource.RECORD_OFFSETS and moments:
        zone = window.user.timezone or UTC
        offset = _label(offset_at(moments[0][0], zone))
    runs = offset_runs(moments)
    labels = list(dict.fromkeys(_label(run_offset) for _, run_offset in runs))
    changes: list[dict[str, str]] | None = [
        {
            "from": _label(runs[i - 1][1]),
            "to": _label(runs[i][1]),
            "at": local_iso(runs[i][0], timezone(runs[i][1])),
        }
        for i in range(1, len(runs))
    ]
    if changes is not None and len(changes) > MAX_OFFSET_CHANGES:
        changes = None
    return {
        "source": window.clock.value,
        "offset": offset,
        "offsets": labels,
        "offset_changes": changes,
    }


CLOCK_PHRASES = {
    ClockSource.INFERRED.value: "local time ({offset}), taken from your other devices' records",
    ClockSource.CONFIGURED.value: "local time ({offset}), from the time zone set for you",
    ClockSource.UTC.value: "UTC: the records carry no zone and none is known for you",
}
OWN_OFFSETS_PHRASE = "local time as the records give it ({offset})"
"""A window whose records all carry their own offset needs no word about its clock, unless the
offset changed inside it."""


def several_offsets(clock: Mapping[str, Any]) -> bool:
    return len(clock.get("offsets") or ()) > 1


def _offsets_text(clock: Mapping[str, Any]) -> str:
    """``-04:00, then -05:00 from 2025-11-02 01:00``."""
    changes = clock["offset_changes"]
    if changes is None:
        return f"offsets {join_words(clock['offsets'])}, changing several times"
    steps = [changes[0]["from"]] + [
        f"then {change['to']} from {date_and_clock(change['at'])}" for change in changes
    ]
    return ", ".join(steps)


def _clock_phrase(clock: Mapping[str, Any]) -> str | None:
    template = CLOCK_PHRASES.get(clock["source"])
    if not several_offsets(clock):
        return None if template is None else template.format(offset=clock["offset"])
    if template is None:
        return OWN_OFFSETS_PHRASE.format(offset=_offsets_text(clock))
    if clock["source"] == ClockSource.UTC.value:
        return f"{template}; other records in their own offsets, {_offsets_text(clock)}"
    return template.format(offset=_offsets_text(clock))


def clock_sentence(clock: Mapping[str, Any]) -> str | None:
    """A sentence for outputs when times are not the records' own, or their offset changed;
    ``None`` otherwise."""
    phrase = _clock_phrase(clock)
    return None if phrase is None else f"Times are in {phrase}."


def clock_line(clock: Mapping[str, Any]) -> str | None:
    """The summary line stating the clock (only when it is not the records' own offsets, or
    their offset changed)."""
    phrase = _clock_phrase(clock)
    return None if phrase is None else f"clock: {phrase}"


def wall_time(moment_iso: str, clock: Mapping[str, Any]) -> str:
    """``03:12`` from a local ISO time; ``01:30 (-05:00)`` when the window's offset changed, as
    a clock time alone is then ambiguous."""
    if several_offsets(clock):
        return f"{clock_of(moment_iso)} ({moment_iso[-6:]})"
    return clock_of(moment_iso)
