"""Figures as the text writes them, and reproducible choice among phrasings.

Every figure a sentence states is formatted here from a rounded insight, so the text says
exactly what the insights hold (the summary and every output are checked against them).
"""

from __future__ import annotations

import hashlib
import string
from collections.abc import Sequence
from datetime import date
from functools import cache

from etl_core import choose

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def count(value: int) -> str:
    """``4014`` -> ``4,014``."""
    return f"{value:,}"


def one(value: float) -> str:
    """A figure shown to one decimal (means, SD, percentages): ``99.0``."""
    return f"{value:.1f}"


def level(value: float) -> str:
    """A reading as the device gave it: ``49`` (CGMs report whole mg/dL), ``99.1`` otherwise."""
    return f"{value:g}"


def clock(iso_text: str) -> str:
    """``2025-09-20T03:10:00-05:00`` -> ``03:10``."""
    return iso_text[11:16]


def day(iso_text: str) -> str:
    """``2025-09-20T03:10:00-05:00`` -> ``2025-09-20``."""
    return iso_text[:10]


def weekday(iso_text: str) -> str:
    """``2025-09-20...`` -> ``Saturday``."""
    return WEEKDAYS[date.fromisoformat(iso_text[:10]).weekday()]


def hour(value: int) -> str:
    """``7`` -> ``07:00``."""
    return f"{value:02d}:00"


def plural(amount: int, singular: str, many: str | None = None) -> str:
    return singular if amount == 1 else (many or singular + "s")


def number_word(amount: int) -> str:
    """Small counts in words (``one``, ``two``), larger ones as figures."""
    words = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
    return words[amount] if 0 <= amount < len(words) else count(amount)


def join(parts: Sequence[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def capital(text: str) -> str:
    return text[:1].upper() + text[1:]


@cache
def _fields(template: str) -> frozenset[str]:
    return frozenset(name for _, name, _, _ in string.Formatter().parse(template) if name)


class Writer:
    """Picks one phrasing per sentence from the window's key, the sentence's label and the
    figures it states: the same window always reads the same, different windows differ."""

    def __init__(self, key: str) -> None:
        self.key = key

    def pick(self, label: str, options: Sequence[str], **values: str) -> str:
        """One of the ``options`` templates whose fields ``values`` all provide, filled in.
        A figure the window does not have (wear of sparse readings, the SD of one reading) is
        left out of ``values``, so only phrasings that do without it can be chosen."""
        usable = [option for option in options if _fields(option) <= values.keys()]
        if not usable:
            raise KeyError(f"no phrasing of {label!r} fits the figures given")
        template = choose(usable, self.key, label, sorted(values.items()))
        return template.format(**values)

    def option(self, label: str, options: Sequence[str], *seed: object) -> str:
        """One of ``options`` as it stands (a fragment without figures)."""
        return choose(options, self.key, label, *seed)

    def shuffled(self, label: str, items: Sequence[str]) -> list[str]:
        """``items`` in an order fixed by the window and ``label``."""

        def rank(item: str) -> bytes:
            return hashlib.sha256(f"{self.key}\x1f{label}\x1f{item}".encode()).digest()

        return sorted(items, key=rank)
