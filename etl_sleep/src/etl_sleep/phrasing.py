"""Varied, reproducible wording: each sentence has several phrasings and
:func:`etl_core.choose` picks one from the window and the figures the sentence states, so the
same window always reads the same and different windows read differently."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from etl_core import ClockSource, ExampleKind, choose


@dataclass(frozen=True, slots=True)
class Writer:
    """Picks phrasings for one window (``key`` is the window key)."""

    key: str

    def say(self, label: str, options: Sequence[str], **values: object) -> str:
        """One of ``options`` (``str.format`` templates) filled with ``values``."""
        seed = tuple(f"{name}={values[name]}" for name in sorted(values))
        return choose(options, self.key, label, *seed).format(**values)

    def pick(self, label: str, options: Sequence[str], *seed: object) -> str:
        return choose(options, self.key, label, *seed)

    def one_of(
        self, label: str, facts: Sequence[tuple[str, Sequence[str], Mapping[str, object]]]
    ) -> str:
        """One sentence about one of several facts (``(name, templates, values)``), both
        picked from the window: for answers that add a finding beside the one asked about."""
        if not facts:
            return ""
        name, templates, values = choose(facts, self.key, label, tuple(f[0] for f in facts))
        return self.say(f"{label} {name}", templates, **values)

    def order(self, label: str, items: Sequence[str]) -> list[str]:
        """``items`` in an order chosen from the window (for lists whose order means nothing)."""
        remaining = list(items)
        ordered: list[str] = []
        while remaining:
            chosen = choose(remaining, self.key, label, len(remaining))
            ordered.append(chosen)
            remaining.remove(chosen)
        return ordered


def join(parts: Sequence[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def sentences(*parts: str) -> str:
    return " ".join(part for part in parts if part)


INSTRUCTIONS_BY_KIND: dict[str, tuple[str, ...]] = {
    ExampleKind.SUMMARY: (
        "Summarise this sleep record for a clinician.",
        "Write a clinician's summary of the sleep data below: findings, what they mean and "
        "their limits.",
        "As a sleep clinician, review these sleep findings and summarise them.",
        "Give a concise clinical summary of this person's sleep for the period shown.",
        "Interpret the sleep data below for a physician, noting what cannot be concluded.",
        "Prepare a short clinical note on the sleep recorded here.",
        "Summarise duration, continuity and timing of sleep from these findings for a clinician.",
        "Review the sleep findings and report the clinically relevant points.",
        "Draft a clinician-facing sleep summary from the data below.",
    ),
    ExampleKind.NOTE: (
        "Write a short, friendly note to this person about their sleep.",
        "Explain these sleep results to the person in plain language.",
        "As a sleep coach, tell the person how they slept.",
        "Write a plain-language message to the person about the sleep shown here.",
        "Describe this sleep data to the person in everyday words, with one practical tip.",
        "Give the person a brief, encouraging note on their sleep.",
        "Tell the person what their sleep tracker recorded and what it means for them.",
        "Write a coach's note to the person about the sleep below.",
        "Summarise this sleep for the person themselves, without jargon.",
    ),
    ExampleKind.COMPARISON: (
        "Compare this sleep with the previous period.",
        "How does this sleep compare with the one before it?",
        "Describe what changed in sleep since the previous period.",
        "Contrast these sleep findings with the previous period's.",
        "Set this period's sleep against the previous one and describe the differences.",
        "Write a comparison of this sleep with the period just before.",
        "What is different about sleep here compared with the previous period?",
        "Compare the sleep figures below with those of the preceding period.",
        "Report how sleep moved from the previous period to this one.",
    ),
}

INSTRUCTIONS = (
    "Summarise this person's sleep from the recorded sleep sessions.",
    "Interpret these sleep session records for a clinician: duration, quality and timing.",
    "Describe the night's sleep and how it compares with adult sleep recommendations.",
    "Review this sleep data and explain what it shows about sleep duration and continuity.",
)


CLOCK_SENTENCES: dict[str, tuple[str, ...]] = {
    ClockSource.INFERRED: (
        "Times are local, taken from the person's other devices, as these records carry no "
        "offset of their own.",
        "These records carry no time zone, so local times come from the person's other records.",
    ),
    ClockSource.CONFIGURED: (
        "Times are local in the configured time zone, as the records carry no offset.",
        "The records carry no offset; local times use the time zone set for the person.",
    ),
    ClockSource.UTC: (
        "Times are in UTC: the records carry no offset and no time zone is known, so clock "
        "times may be shifted from local time.",
        "No time zone is known for these records, so times are shown in UTC and may not be local.",
    ),
}
"""What to say about a window's clock when it is not the records' own offsets."""


def clock_sentence(writer: Writer, clock: str, is_record_offsets: bool) -> str:
    if is_record_offsets:
        return ""
    return writer.pick("clock", CLOCK_SENTENCES.get(clock, CLOCK_SENTENCES[ClockSource.UTC]))
