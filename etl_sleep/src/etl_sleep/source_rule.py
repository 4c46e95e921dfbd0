"""Which source speaks for a night when several apps recorded it.

The rule is an ordered list of terms, compared one after another until one decides:

- ``staged``: sessions with sleep stages (so that sleep time is measured) first;
- ``architecture``: sessions with LIGHT / DEEP / REM stages first;
- ``coverage``: the longest time covered by stages first;
- ``duration``: the longest time in bed first;
- a package name (contains a dot, e.g. ``com.ouraring.oura``): that app first.

The default is ``staged,coverage``. ``ETL_SLEEP_SOURCE_PRIORITY`` replaces it, for instance
``com.ouraring.oura,staged,coverage`` to trust the ring whenever it recorded the night.
Remaining ties go to the earlier start, then the record id, so the choice is deterministic.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from etl_sleep.metrics import SessionMetrics

SOURCE_PRIORITY_ENV = "ETL_SLEEP_SOURCE_PRIORITY"
DEFAULT_TERMS = ("staged", "coverage")

_CRITERIA = {
    "staged": "sessions with sleep stages",
    "architecture": "sessions with light, deep and REM stages",
    "coverage": "the longest stage coverage",
    "duration": "the longest time in bed",
}


@dataclass(frozen=True, slots=True)
class SourceRule:
    terms: tuple[str, ...]
    origin: str
    """``"default"`` or the environment variable the rule came from."""
    ignored: tuple[str, ...] = ()
    """Terms of the setting that are neither a criterion nor a package name."""

    def describe(self) -> str:
        """The rule in words, e.g. ``"sessions with sleep stages first, then the longest
        stage coverage"``."""
        parts = [_CRITERIA.get(term, f"records from {term}") for term in self.terms]
        return ", then ".join(f"{part} first" if i == 0 else part for i, part in enumerate(parts))

    def as_insight(self) -> dict[str, object]:
        return {
            "terms": list(self.terms),
            "description": self.describe(),
            "configured_by": self.origin,
            "setting": SOURCE_PRIORITY_ENV,
            "ignored_terms": list(self.ignored),
        }

    def sort_key(self, session: SessionMetrics) -> tuple[object, ...]:
        """Ascending order puts the preferred session first."""
        key: list[object] = []
        for term in self.terms:
            if term == "staged":
                key.append(0 if session.has_sleep_stages else 1)
            elif term == "architecture":
                key.append(0 if session.has_architecture else 1)
            elif term == "coverage":
                key.append(-session.covered_ms)
            elif term == "duration":
                key.append(-session.time_in_bed_ms)
            else:
                key.append(0 if session.source == term else 1)
        key.extend([session.start_ms, session.record_id])
        return tuple(key)

    def choose(self, sessions: Sequence[SessionMetrics]) -> list[SessionMetrics]:
        """``sessions`` with the primary first, the others in order of preference."""
        return sorted(sessions, key=self.sort_key)


def parse_source_rule(setting: str | None) -> SourceRule:
    """The rule from the environment variable's text; the default when it is unset or holds
    no usable term."""
    if setting is None or not setting.strip():
        return SourceRule(DEFAULT_TERMS, "default")
    terms: list[str] = []
    ignored: list[str] = []
    for raw in setting.split(","):
        term = raw.strip()
        if not term:
            continue
        normalised = term.lower()
        if normalised in _CRITERIA:
            if normalised not in terms:
                terms.append(normalised)
        elif "." in term and " " not in term:
            if term not in terms:
                terms.append(term)
        else:
            ignored.append(term)
    if not terms:
        return SourceRule(DEFAULT_TERMS, "default", tuple(ignored))
    return SourceRule(tuple(terms), SOURCE_PRIORITY_ENV, tuple(ignored))
