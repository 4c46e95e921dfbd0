"""What every window's insights share: the window itself and the clock its times are read in."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from etl_core import ClockSource, Window


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
    offset = moment.utcoffset()
    total = int(offset.total_seconds()) if offset is not None else 0
    sign = "-" if total < 0 else "+"
    total = abs(total)
    return f"{sign}{total // 3600:02d}:{(total % 3600) // 60:02d}"


def clock_insight(window: Window, some_instant_ms: int | None) -> dict[str, Any]:
    """Where the window's local times come from; with the offset the person's zone gave when
    some record carried none (``offset`` is ``None`` when every record had its own)."""
    offset: str | None = None
    if window.clock is not ClockSource.RECORD_OFFSETS and some_instant_ms is not None:
        zone = window.user.timezone or UTC
        offset = offset_label(datetime.fromtimestamp(some_instant_ms / 1000, tz=zone))
    return {"source": window.clock.value, "offset": offset}


CLOCK_PHRASES = {
    ClockSource.INFERRED.value: "local time ({offset}), taken from your other devices' records",
    ClockSource.CONFIGURED.value: "local time ({offset}), from the time zone set for you",
    ClockSource.UTC.value: "UTC: the records carry no zone and none is known for you",
}


def clock_sentence(clock: dict[str, Any]) -> str | None:
    """A sentence for outputs when times are not the records' own; ``None`` when they are."""
    template = CLOCK_PHRASES.get(clock["source"])
    if template is None:
        return None
    return f"Times are in {template.format(offset=clock['offset'])}."


def clock_line(clock: dict[str, Any]) -> str | None:
    """The summary line stating the clock (only when it is not the records' own offsets)."""
    template = CLOCK_PHRASES.get(clock["source"])
    if template is None:
        return None
    return f"clock: {template.format(offset=clock['offset'])}"
