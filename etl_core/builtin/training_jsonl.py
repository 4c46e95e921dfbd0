"""Core's built-in emitter: the training examples of each processed window (or upload).

Layout (documented in the README), under ``<prefix><domain>/<YYYY>/<MM>/examples/``, partitioned
by the local month a window starts in (the data's first month for per-upload results):

- a window's examples: ``<window id>/r<revision>.jsonl``, one line per example, where the
  window id hashes (pseudonymous user, record type, window key) and the revision is the
  window's version the result was built from. A rebuilt window writes a higher revision;
  the monthly journal keeps only the highest (:mod:`etl_core.outputs.compaction`), so it never holds
  two revisions of one window, while earlier revisions stay for audit. An empty revision
  withdraws a window whose owner no longer describes it.
- a per-upload result: ``<example id>.json``, one example, named by a hash of (pseudonymous
  user, record type, record-set fingerprint).

Keys are content-derived, so a redelivered input or a concurrent builder writes the same key
again, never a second example.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from etl_core import hookimpl
from etl_core.contract.model import (
    Artifact,
    ExampleKind,
    ExampleText,
    ProcessedBatch,
    RecordTypeSpec,
)
from etl_core.contract.timeutil import iso
from etl_core.contract.wording import choose

VOLATILE_METADATA = ("processed_at", "correlation_id", "revision")
"""Metadata fields that say when and how an example was built, not what it says: two builds of
the same window differ only in these."""


def example_id(user_pseudonym: str, record_type: str, content_fingerprint: str) -> str:
    material = f"{user_pseudonym}\x1f{record_type}\x1f{content_fingerprint}".encode()
    return hashlib.sha256(material).hexdigest()[:40]


def window_id(user_pseudonym: str, record_type: str, window_key: str) -> str:
    material = f"{user_pseudonym}\x1f{record_type}\x1fwindow\x1f{window_key}".encode()
    return hashlib.sha256(material).hexdigest()[:40]


def window_example_key(
    prefix: str, domain: str, first_day: date, identifier: str, revision: int
) -> str:
    month = f"{prefix}{domain}/{first_day:%Y}/{first_day:%m}"
    return f"{month}/examples/{identifier}/r{revision:08d}.jsonl"


def choose_instruction(instructions: Sequence[str], *seed: object) -> str:
    """The same content always gets the same phrasing; different content spreads over all."""
    return choose(list(instructions), *seed)


def instructions_for(spec: RecordTypeSpec, kind: ExampleKind) -> list[str]:
    phrasings = list(spec.instructions_by_kind.get(kind, ()) or spec.instructions)
    return phrasings or [f"Describe this {spec.name} data."]


def _metadata(processed: ProcessedBatch, kind: ExampleKind | None) -> dict[str, Any]:
    spec, batch, result = processed.spec, processed.batch, processed.result
    metadata: dict[str, Any] = {
        "record_type": batch.record_type,
        "health_domain": spec.health_domain,
        "user": processed.user_pseudonym,
        "correlation_id": batch.correlation_id,
    }
    window = processed.window
    if window is None:
        metadata["source_bucket"] = batch.source.bucket
        metadata["source_key"] = batch.source.key
    else:
        metadata["window"] = {
            "rule": window.rule.name,
            "key": window.key,
            "first_day": window.first_day.isoformat(),
            "last_day": window.last_day.isoformat(),
            "days": window.rule.days,
            "start": window.local_start.isoformat(timespec="minutes"),
            "end": window.local_end.isoformat(timespec="minutes"),
        }
        metadata["clock"] = str(window.clock)
        metadata["revision"] = processed.revision
        metadata["example_kind"] = str(kind or ExampleKind.SUMMARY)
    metadata.update(
        {
            "data_start": iso(processed.data_start),
            "data_end": iso(processed.data_end),
            "processed_at": iso(processed.processed_at),
            "processor": processed.processor,
            "quality_score": processed.validation.quality_score,
            "validation_warnings": processed.validation.warnings,
            "record_count": len(batch.records),
            "clinical_insights": dict(result.insights),
        }
    )
    if result.methods:
        metadata["methods"] = dict(result.methods)
    if window is None:
        metadata["idempotency_key"] = processed.idempotency_key
    metadata["content_fingerprint"] = processed.content_fingerprint
    return metadata


def build_example(processed: ProcessedBatch) -> dict[str, Any]:
    """The one example of a per-upload result."""
    spec, result = processed.spec, processed.result
    example: dict[str, Any] = {
        "instruction": choose_instruction(
            instructions_for(spec, ExampleKind.SUMMARY), processed.content_fingerprint
        ),
        "input": result.summary,
        "output": result.narrative,
    }
    if processed.include_metadata:
        example["metadata"] = _metadata(processed, None)
    return example


def window_texts(processed: ProcessedBatch) -> list[ExampleText]:
    result = processed.result
    return list(result.examples) or [ExampleText(ExampleKind.SUMMARY, result.narrative)]


def build_window_examples(processed: ProcessedBatch) -> list[dict[str, Any]]:
    """Every example of a window's result, in the order the plugin gave them."""
    window = processed.window
    assert window is not None
    examples = []
    for index, text in enumerate(window_texts(processed)):
        if text.kind is ExampleKind.QUESTION and text.question:
            instruction = text.question
        else:
            instruction = choose_instruction(
                instructions_for(processed.spec, text.kind),
                processed.user_pseudonym,
                window.key,
                str(text.kind),
                index,
            )
        example: dict[str, Any] = {
            "instruction": instruction,
            "input": processed.result.summary,
            "output": text.output,
        }
        if processed.include_metadata:
            example["metadata"] = _metadata(processed, text.kind)
        examples.append(example)
    return examples


def stable_form(example: dict[str, Any]) -> dict[str, Any]:
    """An example without the fields that change from one build of the same content to the
    next (:data:`VOLATILE_METADATA`): equal stable forms mean equal examples."""
    metadata = example.get("metadata")
    if not isinstance(metadata, dict):
        return example
    kept = {k: v for k, v in metadata.items() if k not in VOLATILE_METADATA}
    return {**example, "metadata": kept}


def jsonl(examples: Sequence[dict[str, Any]]) -> bytes:
    lines = [json.dumps(e, ensure_ascii=False, allow_nan=False) + "\n" for e in examples]
    return "".join(lines).encode("utf-8")


class TrainingJsonlWriter:
    """Registered as a plugin object so that it knows the configured key prefix."""

    def __init__(self, prefix: str = "training/") -> None:
        self.prefix = prefix

    def key_for(self, processed: ProcessedBatch) -> str:
        window = processed.window
        if window is not None:
            identifier = window_id(processed.user_pseudonym, window.record_type, window.key)
            return window_example_key(
                self.prefix,
                processed.spec.health_domain,
                window.first_day,
                identifier,
                processed.revision,
            )
        start = processed.data_start
        identifier = example_id(
            processed.user_pseudonym, processed.batch.record_type, processed.content_fingerprint
        )
        return (
            f"{self.prefix}{processed.spec.health_domain}/{start:%Y}/{start:%m}/examples/"
            f"{identifier}.json"
        )

    @hookimpl
    def etl_emit(self, processed: ProcessedBatch) -> list[Artifact]:
        if processed.window is not None:
            data = jsonl(build_window_examples(processed))
            return [
                Artifact(
                    key=self.key_for(processed), data=data, content_type="application/x-ndjson"
                )
            ]
        line = json.dumps(build_example(processed), ensure_ascii=False, allow_nan=False)
        return [Artifact(key=self.key_for(processed), data=(line + "\n").encode("utf-8"))]
