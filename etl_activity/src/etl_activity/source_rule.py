"""Which data origin's total stands for a local day.

Several apps often report the same day (a phone and a ring); their totals describe the same
steps and are never added. For each local day one source is chosen by two criteria applied in
a configurable order:

- **coverage**: how much of the day the source's records span (the union of their intervals
  within the day, to the nearest whole minute, so a record ending at 23:59:59.999 ties with
  one ending at midnight);
- **priority**: the position of the source's package name in a configured list; sources that
  are not listed rank after every listed one.

A tie on both falls to the package name in alphabetical order, so the choice never depends on
record order.

Configuration, from the environment (read and validated once, at start-up, through
:class:`ActivitySettings`):

- ``ETL_ACTIVITY_SOURCE_RULE``: ``coverage-first`` (default) or ``priority-first``;
- ``ETL_ACTIVITY_SOURCE_PRIORITY``: comma-separated package names, most trusted first
  (default: none).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from etl_core import EnvSettings, setting

RULE_VARIABLE = "ETL_ACTIVITY_SOURCE_RULE"
PRIORITY_VARIABLE = "ETL_ACTIVITY_SOURCE_PRIORITY"
COVERAGE_FIRST = "coverage-first"
PRIORITY_FIRST = "priority-first"
_MINUTE_MS = 60_000


def covered_minutes(covered_ms: int) -> int:
    """Coverage as compared: to the nearest whole minute, so that sub-minute differences such
    as an end at 23:59:59.999 instead of midnight never decide."""
    return (covered_ms + _MINUTE_MS // 2) // _MINUTE_MS


class Criterion(enum.StrEnum):
    """What decided between the chosen source and the runner-up."""

    ONLY_SOURCE = "only_source"
    COVERAGE = "coverage"
    PRIORITY = "priority"
    NAME = "name"


@dataclass(frozen=True, slots=True)
class Candidate:
    """One source's claim on a day: its package name and the time of the day it covers."""

    source: str
    covered_ms: int


@dataclass(frozen=True, slots=True)
class SourceRule:
    priority_first: bool = False
    priority: tuple[str, ...] = ()

    def _criteria(self) -> tuple[Criterion, Criterion, Criterion]:
        if self.priority_first:
            return Criterion.PRIORITY, Criterion.COVERAGE, Criterion.NAME
        return Criterion.COVERAGE, Criterion.PRIORITY, Criterion.NAME

    def rank_key(self, candidate: Candidate) -> tuple[int | str, ...]:
        parts: dict[Criterion, int | str] = {
            # Negated so that wider coverage sorts first.
            Criterion.COVERAGE: -covered_minutes(candidate.covered_ms),
            Criterion.PRIORITY: (
                self.priority.index(candidate.source)
                if candidate.source in self.priority
                else len(self.priority)
            ),
            Criterion.NAME: candidate.source,
        }
        return tuple(parts[criterion] for criterion in self._criteria())

    def choose(self, candidates: Sequence[Candidate]) -> tuple[Candidate, Criterion]:
        """The winning candidate and the criterion that set it apart from the runner-up."""
        if not candidates:
            raise ValueError("no candidate source")
        ranked = sorted(candidates, key=self.rank_key)
        winner = ranked[0]
        if len(ranked) == 1:
            return winner, Criterion.ONLY_SOURCE
        winner_key, runner_key = self.rank_key(winner), self.rank_key(ranked[1])
        for criterion, mine, theirs in zip(self._criteria(), winner_key, runner_key, strict=True):
            if mine != theirs:
                return winner, criterion
        # Unreachable in practice: candidates are distinct packages, so names differ.
        return winner, Criterion.NAME

    def describe(self) -> str:
        listed = ", ".join(self.priority) if self.priority else "none configured"
        first, second, _ = self._criteria()
        wording = {
            Criterion.COVERAGE: "the source covering most of the day (to the nearest minute)",
            Criterion.PRIORITY: f"the source earliest in the priority list ({listed})",
        }
        return (
            f"one source per day, never a sum: {wording[first]}; on a tie, {wording[second]}; "
            "then the package name in alphabetical order"
        )

    def as_insight(self) -> dict[str, Any]:
        return {
            "order": [str(c) for c in self._criteria()],
            "priority": list(self.priority),
            "description": self.describe(),
            "settings": [RULE_VARIABLE, PRIORITY_VARIABLE],
        }


def source_rule_from_env(env: Mapping[str, str]) -> SourceRule:
    """The rule the environment configures; unset variables give the default rule.

    :raises ValueError: for a rule name other than the two documented ones.
    """
    rule_name = env.get(RULE_VARIABLE, "").strip().lower() or COVERAGE_FIRST
    if rule_name not in (COVERAGE_FIRST, PRIORITY_FIRST):
        raise ValueError(
            f"{RULE_VARIABLE} must be {COVERAGE_FIRST!r} or {PRIORITY_FIRST!r}, got {rule_name!r}"
        )
    priority: list[str] = []
    for item in env.get(PRIORITY_VARIABLE, "").split(","):
        name = item.strip()
        if name and name not in priority:
            priority.append(name)
    return SourceRule(priority_first=rule_name == PRIORITY_FIRST, priority=tuple(priority))


def _known_rule(value: str) -> str:
    # The same check as for a mapping, so the message names the variable.
    source_rule_from_env({RULE_VARIABLE: value})
    return value


class ActivitySettings(EnvSettings):
    """``ETL_ACTIVITY_*`` from the environment, then a ``.env`` file (as core's settings),
    which core instantiates (so validates) once at start-up; an empty value counts as unset
    (the default)."""

    env_prefix = "ETL_ACTIVITY_"
    env_ignore_empty = True

    source_rule: str = setting(COVERAGE_FIRST, check=_known_rule)
    """``ETL_ACTIVITY_SOURCE_RULE``: ``coverage-first`` or ``priority-first`` (any case)."""
    source_priority: str = ""
    """``ETL_ACTIVITY_SOURCE_PRIORITY``: comma-separated package names, most trusted first."""

    def rule(self) -> SourceRule:
        """The rule these settings configure."""
        return source_rule_from_env(
            {RULE_VARIABLE: self.source_rule, PRIORITY_VARIABLE: self.source_priority}
        )
