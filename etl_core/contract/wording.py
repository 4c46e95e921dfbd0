"""Varied but reproducible wording for training examples.

A model trained on one template per record type learns the template. Plugins therefore write
several phrasings of each sentence and let :func:`choose` pick one from the content it
describes: different windows read differently, and the same window always reads the same, so
rebuilding an example never changes it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import TypeVar

__all__ = [
    "choose",
    "mask_digits",
]


T = TypeVar("T")

_DIGITS = re.compile(r"\d")


def choose(options: Sequence[T], *seed: object) -> T:
    """One of ``options``, picked by a hash of ``seed`` (the figures or keys a sentence is
    about, plus a label naming the sentence so that sentences vary independently)."""
    if not options:
        raise ValueError("choose() needs at least one option")
    material = "\x1f".join(repr(part) for part in seed).encode("utf-8")
    index = int.from_bytes(hashlib.sha256(material).digest()[:8], "big") % len(options)
    return options[index]


def mask_digits(text: str) -> str:
    """``text`` with every digit replaced by ``#``: two outputs that differ only in their
    figures mask to the same string (the measure of a template)."""
    return _DIGITS.sub("#", text)
