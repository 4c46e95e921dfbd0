"""Small text helpers shared by the window examples: dates, amounts, lists, and reproducible
choice among phrasings (:func:`etl_core.choose`, seeded by the window key and a label)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from etl_activity.measures import STEPS, Measure
from etl_core import choose


class Say:
    """Picks one phrasing per sentence label for one window: the same window always reads the
    same, different windows (and different sentences) read differently."""

    def __init__(self, key: str) -> None:
        self.key = key

    def __call__(
        self, label: str, options: Sequence[str], *figures: object, **fields: object
    ) -> str:
        return choose(options, self.key, label, *figures).format(**fields)


MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
"""English names whatever the process locale (``%A``/``%B`` follow it)."""


def _month(day: date) -> str:
    return MONTHS[day.month - 1]


def day_month(iso_date: str) -> str:
    """``2025-06-03`` -> ``3 June``."""
    day = date.fromisoformat(iso_date)
    return f"{day.day} {_month(day)}"


def long_date(iso_date: str) -> str:
    """``2025-06-03`` -> ``Tuesday 3 June 2025``."""
    return f"{weekday_date(iso_date)} {date.fromisoformat(iso_date).year}"


def weekday(iso_date: str) -> str:
    return WEEKDAYS[date.fromisoformat(iso_date).weekday()]


def weekday_date(iso_date: str) -> str:
    """``2025-06-03`` -> ``Tuesday 3 June``."""
    return f"{weekday(iso_date)} {day_month(iso_date)}"


def span(first_iso: str, last_iso: str) -> str:
    """``2 to 8 June 2025``, ``30 June to 6 July 2025``, ``29 December 2025 to 4 January
    2026``."""
    first, last = date.fromisoformat(first_iso), date.fromisoformat(last_iso)
    if first.year != last.year:
        return f"{day_month(first_iso)} {first.year} to {day_month(last_iso)} {last.year}"
    if first.month != last.month:
        return f"{day_month(first_iso)} to {day_month(last_iso)} {last.year}"
    return f"{first.day} to {day_month(last_iso)} {last.year}"


def join(items: Sequence[str]) -> str:
    if len(items) <= 2:
        return " and ".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def plural(count: int, singular: str, many: str | None = None) -> str:
    return f"{count} {singular if count == 1 else (many or singular + 's')}"


def amount(measure: Measure, value: float) -> str:
    """``7,915 steps``, ``412.3 kcal`` (a day's energy, one decimal), ``412 kcal`` (a mean)."""
    if isinstance(value, int):
        return f"{value:,} {measure.unit}"
    return f"{value:,.1f} {measure.unit}"


def per_day(measure: Measure, value: float) -> str:
    return f"{amount(measure, value)} a day"


def clock(iso_moment: str) -> str:
    """``2025-06-12T07:30:00-05:00`` -> ``07:30``."""
    return iso_moment[11:16]


def fetch_moment(iso_moment: str | None, day_iso: str | None = None) -> str:
    """When the data were fetched, as a reader says it: ``at 07:30`` on the day in question,
    else ``at 07:30 on 12 June``."""
    if iso_moment is None:
        return "at an unknown time"
    if day_iso is not None and iso_moment[:10] == day_iso:
        return f"at {clock(iso_moment)}"
    return f"at {clock(iso_moment)} on {day_month(iso_moment[:10])}"


def noun(measure: Measure) -> str:
    """What is counted, as a sentence names it."""
    return "steps" if measure is STEPS else "active energy"
