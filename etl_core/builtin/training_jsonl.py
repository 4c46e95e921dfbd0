"""Core's built-in emitter: one training example per processed batch.

Layout (documented in the README): every example is its own immutable object,
``<prefix><domain>/<YYYY>/<MM>/examples/<example id>.json``, partitioned by the month the data
starts in, and named by a hash of (pseudonymous user, record type, record-set fingerprint). A
redelivered or concurrently processed input therefore writes the same key again, never a second
example. ``health_journal_<YYYY>_<MM>.jsonl`` beside it is a view rebuilt from those objects by
:mod:`etl_core.compaction`.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from etl_core import hookimpl
from etl_core.model import Artifact, ProcessedBatch
from etl_core.timeutil import iso


def example_id(user_pseudonym: str, record_type: str, content_fingerprint: str) -> str:
    material = f"{user_pseudonym}\x1f{record_type}\x1f{content_fingerprint}".encode()
    return hashlib.sha256(material).hexdigest()[:40]


def choose_instruction(instructions: tuple[str, ...] | list[str], fingerprint: str) -> str:
    """The same record set always gets the same phrasing; different sets spread over all."""
    return instructions[int(fingerprint[:12], 16) % len(instructions)]


def build_example(processed: ProcessedBatch) -> dict[str, Any]:
    spec, batch, result = processed.spec, processed.batch, processed.result
    instructions = list(spec.instructions) or [f"Describe this {spec.name} data."]
    example: dict[str, Any] = {
        "instruction": choose_instruction(instructions, processed.content_fingerprint),
        "input": result.summary,
        "output": result.narrative,
    }
    if processed.include_metadata:
        example["metadata"] = {
            "record_type": batch.record_type,
            "health_domain": spec.health_domain,
            "user": processed.user_pseudonym,
            "correlation_id": batch.correlation_id,
            "source_bucket": batch.source.bucket,
            "source_key": batch.source.key,
            "data_start": iso(processed.data_start),
            "data_end": iso(processed.data_end),
            "processed_at": iso(processed.processed_at),
            "processor": processed.processor,
            "quality_score": processed.validation.quality_score,
            "validation_warnings": processed.validation.warnings,
            "record_count": len(batch.records),
            "clinical_insights": dict(result.insights),
            "idempotency_key": processed.idempotency_key,
            "content_fingerprint": processed.content_fingerprint,
        }
    return example


class TrainingJsonlWriter:
    """Registered as a plugin object so that it knows the configured key prefix."""

    def __init__(self, prefix: str = "training/") -> None:
        self.prefix = prefix

    def key_for(self, processed: ProcessedBatch) -> str:
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
        line = json.dumps(build_example(processed), ensure_ascii=False, allow_nan=False)
        return [Artifact(key=self.key_for(processed), data=(line + "\n").encode("utf-8"))]
