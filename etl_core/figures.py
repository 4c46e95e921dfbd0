"""Checks that a narrative states only figures its insights hold.

The rule behind every narrative: a number a reader sees must be a number in
``metadata.clinical_insights``. Figures are compared as decimal values after dropping
thousands separators, so ``"1,210"`` matches ``1210`` and ``"95%"`` matches ``95.0``, while
``"123.4"`` does not match an unrounded ``123.4567``. Numbers inside string insights (dates,
times, ranges) count too, so ``"03:10"`` is supported by ``"2025-09-20T03:10:00-05:00"``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

_NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")


def figures_in(text: str) -> list[str]:
    """The numeric tokens of a text, as written (``["7", "1,210", "95.5"]``)."""
    return _NUMBER.findall(text)


def _as_decimal(token: str) -> Decimal | None:
    try:
        return Decimal(token.replace(",", "")).normalize()
    except InvalidOperation:
        return None


def _values(node: Any) -> Iterator[Decimal]:
    if isinstance(node, bool) or node is None:
        return
    if isinstance(node, int | float):
        value = _as_decimal(repr(float(node)) if isinstance(node, float) else str(node))
        if value is not None:
            yield value
    elif isinstance(node, str):
        for token in figures_in(node):
            value = _as_decimal(token)
            if value is not None:
                yield value
    elif isinstance(node, Mapping):
        for key, item in node.items():
            yield from _values(key)
            yield from _values(item)
    elif isinstance(node, list | tuple | set | frozenset):
        for item in node:
            yield from _values(item)


def supported_values(insights: Mapping[str, Any]) -> set[Decimal]:
    """Every figure the insights hold, as normalised decimals, by magnitude: a text states a
    change of -15.0 as "15.0 lower" (figures in text are read without a sign)."""
    return {abs(value) for value in _values(insights)}


def unsupported_figures(narrative: str, insights: Mapping[str, Any]) -> list[str]:
    """Figures in ``narrative`` that appear nowhere in ``insights`` (empty when consistent)."""
    allowed = supported_values(insights)
    missing: list[str] = []
    for token in figures_in(narrative):
        value = _as_decimal(token)
        if value is None or value not in allowed:
            missing.append(token)
    return missing


def ungrounded_figures(
    output: str, input_text: str, reference_values: Mapping[str, float] | None = None
) -> list[str]:
    """Figures in a training example's ``output`` that its ``input`` does not state and that
    are not one of the record type's declared reference values (thresholds, targets): what a
    model trained on the example would learn to invent. Empty when the example is grounded."""
    allowed = {v for token in figures_in(input_text) if (v := _as_decimal(token)) is not None}
    allowed |= supported_values(dict(reference_values or {}))
    missing: list[str] = []
    for token in figures_in(output):
        value = _as_decimal(token)
        if value is None or value not in allowed:
            missing.append(token)
    return missing
