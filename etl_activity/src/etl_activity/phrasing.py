"""Instruction phrasings per example kind (core picks one per example, deterministically). A
``QUESTION`` example's instruction is its own question, so only the other kinds are here.
Each phrasing fits both a local day and an ISO week."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from etl_core import ExampleKind

STEPS_INSTRUCTIONS: Mapping[str, Sequence[str]] = {
    ExampleKind.SUMMARY: (
        "Summarise this person's step data below for a clinician.",
        "Write a clinician's summary of the daily steps shown below.",
        "Give a clinical summary of these step counts: what they show and what they cannot.",
        "As a clinician's note, summarise the step findings below and their limits.",
        "Review the daily step data below and summarise it for the care team.",
        "Summarise the step counts below for a physician, noting anything missing.",
        "Write a brief clinical summary of this person's walking from the data below.",
        "Report the step findings below to a clinician in plain sentences.",
    ),
    ExampleKind.NOTE: (
        "Write a short, encouraging note to this person about their steps.",
        "Explain these step counts to the person in plain language.",
        "As a coach, tell this person what their step data shows.",
        "Write a friendly message to the person about the daily steps below.",
        "In a few plain sentences, tell the person how their walking went.",
        "Give the person a plain-language update on their steps.",
        "Speak directly to the person: what do these step numbers mean for them?",
        "Write a brief personal note on the step data below, addressed to the person.",
    ),
    ExampleKind.COMPARISON: (
        "Compare this week's steps with the previous week's.",
        "How do the daily steps below compare with the week before?",
        "Describe the change in daily steps from the previous week.",
        "Write a comparison of this week's and last week's step averages.",
        "Set this week's step data against the previous week for a clinician.",
        "Summarise how step activity changed between the two weeks below.",
        "Compare the two weeks of step data below and say what the difference means.",
        "Explain how this week's walking compares with the week before.",
    ),
}

ENERGY_INSTRUCTIONS: Mapping[str, Sequence[str]] = {
    ExampleKind.SUMMARY: (
        "Summarise this person's active energy data below for a clinician.",
        "Write a clinician's summary of the daily active calories shown below.",
        "Give a clinical summary of this active energy data: what it shows and what it cannot.",
        "As a clinician's note, summarise the active energy findings below and their limits.",
        "Review the active calorie data below and summarise it for the care team.",
        "Summarise the active energy below for a physician, noting anything missing.",
        "Write a brief clinical summary of this person's active energy expenditure.",
        "Report the active calorie findings below to a clinician in plain sentences.",
    ),
    ExampleKind.NOTE: (
        "Write a short note to this person about their active calories.",
        "Explain this active energy data to the person in plain language.",
        "As a coach, tell this person what their active energy data shows.",
        "Write a friendly message to the person about the active calories below.",
        "In a few plain sentences, tell the person how active they were.",
        "Give the person a plain-language update on their active energy.",
        "Speak directly to the person: what do these active calorie numbers mean?",
        "Write a brief personal note on the active energy below, addressed to the person.",
    ),
    ExampleKind.COMPARISON: (
        "Compare this week's active energy with the previous week's.",
        "How does the daily active energy below compare with the week before?",
        "Describe the change in daily active calories from the previous week.",
        "Write a comparison of this week's and last week's active energy averages.",
        "Set this week's active energy against the previous week for a clinician.",
        "Summarise how active energy changed between the two weeks below.",
        "Compare the two weeks of active calories below and say what the difference means.",
        "Explain how this week's active energy compares with the week before.",
    ),
}
