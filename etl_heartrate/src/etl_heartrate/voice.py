"""Reproducible sentence variants for the window examples.

Each sentence of an example has several phrasings; :class:`Voice` picks one with
:func:`etl_core.choose`, seeded by the window key, the example kind, the sentence label and
the figures the sentence states. The same window therefore always reads the same, different
windows read differently, and sentences vary independently of each other.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from etl_core import choose
from etl_heartrate.formatting import join_words, show

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class Voice:
    """The phrasing choices of one example (one window, one kind, one question)."""

    def __init__(self, window_key: str, kind: str) -> None:
        self.window_key = window_key
        self.kind = kind

    def pick(self, label: str, options: Sequence[str], **values: object) -> str:
        """One of ``options`` (``str.format`` templates) filled with ``values``.

        A value named ``*_n`` is a count phrase (``1 sample``) restating the figure of another
        value, so it stays out of the seed: wording a count never changes which phrasing a
        window gets."""
        seed = tuple(
            sorted((name, str(value)) for name, value in values.items() if not name.endswith("_n"))
        )
        template = choose(options, self.window_key, self.kind, label, seed)
        return template.format(**values)

    def order(self, label: str, parts: Sequence[str]) -> list[str]:
        """``parts`` in one of a few reading orders: as given, or with the first part moved
        after the second. For sentences that read well either way."""
        if len(parts) < 2:
            return list(parts)
        swapped = [parts[1], parts[0], *parts[2:]]
        return list(choose((list(parts), swapped), self.window_key, self.kind, label))


def weekday(day: str | date) -> str:
    value = date.fromisoformat(day) if isinstance(day, str) else day
    return WEEKDAYS[value.weekday()]


MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def spoken_date(day: str | date) -> str:
    """``2025-06-10`` -> ``Tuesday 10 June``: how a person names a day (its figures are those of
    the ISO date, so an input stating the date grounds it)."""
    value = date.fromisoformat(day) if isinstance(day, str) else day
    return f"{WEEKDAYS[value.weekday()]} {value.day} {MONTHS[value.month - 1]}"


def bpm(value: float | int) -> str:
    return show(value)


def ln(value: float) -> str:
    return show(value, 2)


def sentences(*parts: str | None) -> str:
    """Non-empty parts joined as one paragraph."""
    return " ".join(part for part in parts if part)


def paragraphs(*parts: str | None) -> str:
    return "\n\n".join(part for part in parts if part)


def count_phrase(count: int, singular: str, plural_form: str | None = None) -> str:
    """``1 night`` / ``3 nights`` (digits, so every count is a figure of the input)."""
    word = singular if count == 1 else (plural_form or f"{singular}s")
    return f"{count:,} {word}"


def listed(items: Sequence[str]) -> str:
    return join_words(list(items))


def first_upper(text: str) -> str:
    return f"{text[0].upper()}{text[1:]}" if text else text
