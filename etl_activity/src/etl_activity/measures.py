"""The two record types this plugin reads, and how their amounts are reported."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Measure:
    record_type: str
    value_field: str
    unit: str
    """Insight key and unit word: ``steps`` or ``kcal``."""
    decimals: int
    """Reported precision: steps are counts, energy one decimal."""

    def rounded(self, value: float) -> int | float:
        if self.decimals == 0:
            return round(value)
        return round(value, self.decimals)


STEPS = Measure("StepsRecord", "count", "steps", 0)
ACTIVE_ENERGY = Measure("ActiveCaloriesBurnedRecord", "energyInKilocalories", "kcal", 1)
MEASURES = {measure.record_type: measure for measure in (STEPS, ACTIVE_ENERGY)}
