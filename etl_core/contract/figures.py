"""Reading the figures of a text: the checks behind "a narrative states only what its insights
hold" and "a finding never quotes a health value".

What counts as a figure:

- every run of digits, with an optional decimal part: ``7``, ``95.5``, ``0.25``;
- thousands separators belong to the figure: ``"1,210"`` is one figure, 1210;
- a unit or a sign around it does not matter: ``"95%"`` is 95, ``"-5"`` is 5, ``"120mmHg"``
  is 120;
- times and dates are figures, part by part: ``"03:10"`` is 3 and 10, ``"2025-09-20"`` is
  2025, 9 and 20;
- digits glued to the end of a word are part of a name, not a figure: ``"SpO2"``, ``"HbA1c"``,
  ``"CO2"``, ``"T2"`` hold none (a letter between digits, as in ``"20T03"`` of a timestamp or
  ``"3x2"``, separates two figures).

Figures are compared as decimal values, so ``"95%"`` matches the insight ``95.0`` and
``"1,210"`` matches ``1210``, while ``"123.4"`` does not match an unrounded ``123.4567``: round
the insight to what the narrative states. Numbers inside string insights (dates, times, ranges)
count too, so ``"03:10"`` is supported by ``"2025-09-20T03:10:00-05:00"``; there every digit
run counts, names included, so a key or value ``"stage1_hypertension"`` supports "stage 1".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

_NUMBER = re.compile(
    r"(?<![\d_])"  # never the middle of a longer run of digits
    r"(?<!(?<!\d)[^\W\d_])"  # not glued to a name (SpO2), but 20T03 in a timestamp is
    r"(?<!\w\.)"  # nor the decimal part of a name's number (v1.2)
    r"(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
)
__all__ = [
    "REDACTED",
    "figure_spans",
    "figure_value",
    "figures_in",
    "figures_outside",
    "grounding_values",
    "redact_figures",
    "stated_values",
    "supported_values",
    "ungrounded_figures",
    "unsupported_figures",
]


_ANY_NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")
"""Every digit run, names included: what an insight string can support (an insight
``"stage1_hypertension"`` supports the narrative's "stage 1")."""
REDACTED = "#"
"""What :func:`redact_figures` puts in place of a figure."""


def figures_in(text: str) -> list[str]:
    """The figures of a text, as written (``["7", "1,210", "95.5"]``); see the module's rules."""
    return _NUMBER.findall(text)


def figure_spans(text: str) -> list[tuple[int, int, str]]:
    """Where each figure of :func:`figures_in` stands in ``text``: ``(start, end, token)``."""
    return [(m.start(), m.end(), m.group(0)) for m in _NUMBER.finditer(text)]


def figure_value(token: str) -> Decimal | None:
    """A figure as a normalised decimal (``"1,210"`` -> 1210, ``"95.0"`` -> 95)."""
    try:
        return Decimal(token.replace(",", "")).normalize()
    except InvalidOperation:
        return None


_TOKEN_VALUES: dict[str, Decimal | None] = {}
"""Figure tokens already read: insights repeat the same dates, times and round numbers."""


def _token_value(token: str) -> Decimal | None:
    try:
        return _TOKEN_VALUES[token]
    except KeyError:
        if len(_TOKEN_VALUES) >= 65_536:  # bounded: tokens come from many people's data
            _TOKEN_VALUES.clear()
        value = _TOKEN_VALUES[token] = figure_value(token)
        return value


def supported_values(insights: Mapping[str, Any]) -> set[Decimal]:
    """Every figure the insights hold, as normalised decimals, by magnitude: a text states a
    change of -15.0 as "15.0 lower" (figures in text are read without a sign)."""
    found: set[Decimal | None] = set()
    # A stack, not recursion: window insights hold tens of thousands of values.
    pending: list[Any] = [insights]
    while pending:
        node = pending.pop()
        if isinstance(node, str):
            found.update(map(_token_value, _ANY_NUMBER.findall(node)))
        elif isinstance(node, bool) or node is None:
            continue
        elif isinstance(node, int):
            found.add(abs(Decimal(node)).normalize())
        elif isinstance(node, float):
            found.add(_token_value(repr(abs(node))))
        elif isinstance(node, Mapping):
            pending.extend(node.keys())
            pending.extend(node.values())
        elif isinstance(node, list | tuple | set | frozenset):
            pending.extend(node)
    return {value for value in found if value is not None}


def stated_values(text: str) -> set[Decimal]:
    """The values of the figures ``text`` states."""
    return {v for token in figures_in(text) if (v := _token_value(token)) is not None}


def figures_outside(text: str, allowed: set[Decimal]) -> list[str]:
    """The figures of ``text``, as written, whose values are not in ``allowed``."""
    return [token for token in figures_in(text) if _token_value(token) not in allowed]


def unsupported_figures(narrative: str, insights: Mapping[str, Any]) -> list[str]:
    """Figures in ``narrative`` that appear nowhere in ``insights`` (empty when consistent)."""
    return figures_outside(narrative, supported_values(insights))


def redact_figures(text: str, only: Iterable[str] | None = None) -> str:
    """``text`` with its figures (or only the figures written as in ``only``) replaced by
    :data:`REDACTED`: for messages that might quote a health value."""
    chosen = None if only is None else set(only)
    return _NUMBER.sub(
        lambda match: REDACTED if chosen is None or match.group(0) in chosen else match.group(0),
        text,
    )


def ungrounded_figures(
    output: str, input_text: str, reference_values: Mapping[str, float] | None = None
) -> list[str]:
    """Figures in a training example's ``output`` that its ``input`` does not state and that
    are not one of the record type's declared reference values (thresholds, targets): what a
    model trained on the example would learn to invent. Empty when the example is grounded."""
    return figures_outside(output, grounding_values(input_text, reference_values))


def grounding_values(
    input_text: str, reference_values: Mapping[str, float] | None = None
) -> set[Decimal]:
    """What an example's output may state (:func:`ungrounded_figures`): the figures of its
    input and the record type's reference values. Read once, it checks every example that
    shares the input."""
    return stated_values(input_text) | supported_values(dict(reference_values or {}))
