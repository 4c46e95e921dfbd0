"""The Sleep Regularity Index (Phillips et al., Sci Rep 2017;7:3216), epoch by epoch.

The SRI is the probability of being in the same state (asleep or awake) at two times 24 h
apart, scaled so that chance agreement is 0 and identical days are 100:

    SRI = -100 + 200 x (agreeing epoch pairs / compared epoch pairs)

Here the 24-hour clock is cut into 30-second epochs from a start instant; each epoch takes the
state at its midpoint. An epoch is *asleep* inside a sleep stage, *unknown* inside a recorded
session where no stage (or the UNKNOWN stage) says what the person was doing, and *awake*
otherwise. Only days whose night was recorded with sleep stages take part: a pair of epochs 24 h
apart is compared when both of its days are valid and neither epoch is unknown. (Pooling every
valid pair is Phillips' formula with missing data left out.)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

EPOCH_MS = 30_000
EPOCHS_PER_DAY = 2880
AWAKE, ASLEEP, UNKNOWN = 0, 1, 2


@dataclass(frozen=True, slots=True)
class RegularityIndex:
    value: float
    day_pairs: int
    """Pairs of consecutive valid days compared."""
    epoch_pairs: int
    """Epoch pairs compared (unknown epochs left out)."""


def _first_epoch_at_or_after(instant_ms: int, start_ms: int) -> int:
    """The first epoch whose midpoint is at or after ``instant_ms``."""
    offset = instant_ms - start_ms - EPOCH_MS // 2
    return -(-offset // EPOCH_MS)


def epoch_states(
    start_ms: int,
    days: int,
    asleep: Iterable[tuple[int, int]],
    unknown: Iterable[tuple[int, int]] = (),
) -> bytearray:
    """One state per epoch over ``days`` days from ``start_ms``: awake unless a half-open
    ``[start, end)`` interval of ``asleep`` or ``unknown`` holds the epoch's midpoint (asleep
    wins where both do)."""
    count = days * EPOCHS_PER_DAY
    states = bytearray(count)
    for state, intervals in ((UNKNOWN, unknown), (ASLEEP, asleep)):
        for begin, end in intervals:
            first = max(0, _first_epoch_at_or_after(begin, start_ms))
            last = min(count, _first_epoch_at_or_after(end, start_ms))
            if last > first:
                states[first:last] = bytes([state]) * (last - first)
    return states


def sleep_regularity_index(
    states: bytes | bytearray, valid_days: Sequence[bool]
) -> RegularityIndex | None:
    """The SRI over consecutive valid days, or ``None`` when no epoch pair can be compared."""
    compared = agreed = pairs = 0
    for day in range(len(valid_days) - 1):
        if not (valid_days[day] and valid_days[day + 1]):
            continue
        pairs += 1
        first = states[day * EPOCHS_PER_DAY : (day + 1) * EPOCHS_PER_DAY]
        second = states[(day + 1) * EPOCHS_PER_DAY : (day + 2) * EPOCHS_PER_DAY]
        for a, b in zip(first, second, strict=True):
            if a != UNKNOWN and b != UNKNOWN:
                compared += 1
                agreed += a == b
    if compared == 0:
        return None
    return RegularityIndex(-100 + 200 * agreed / compared, pairs, compared)
