"""What goes into the pipeline (:class:`Job`, one input file) and what comes out of it
(:class:`Outcome`). Kept apart from :mod:`etl_core.engine.pipeline` so that the stages
(:mod:`etl_core.engine.stages`) can fill an outcome without importing the pipeline that runs
them."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field

from etl_core.contract.model import UserContext
from etl_core.engine.window_stage import WindowOutcome


class Status(enum.StrEnum):
    PROCESSED = "processed"
    """New records reached the history (their windows are rebuilt), or, for a per-upload
    processor, an example was written."""
    DUPLICATE_FILE = "duplicate_file"
    """This exact input was completed before; nothing was done."""
    DUPLICATE_CONTENT = "duplicate_content"
    """The history already held every record of this input (or, per upload, another input
    with the same record set already made the example)."""
    QUARANTINED = "quarantined"
    """Below the quality threshold or blocked: kept under ``quarantine/`` with its reasons."""
    FAILED = "failed"
    """An error; ``retriable`` says whether the same input may succeed later."""


@dataclass(frozen=True, slots=True)
class Job:
    """One input file and what is known about it."""

    data: bytes
    bucket: str
    key: str
    """The object key (or relative path) of the input; it keeps the original file name. The
    pipeline carries it on only as :meth:`Pipeline.redacted_key` leaves it."""
    user_id: str
    correlation_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    idempotency_key: str | None = None
    """Defaults to one derived from the user's pseudonym and the file's sha256."""
    user: UserContext = field(default_factory=UserContext)
    expected_record_type: str | None = None
    """The record type an upload message announced; a file of another type is an error."""


@dataclass
class Outcome:
    status: Status
    key: str
    record_type: str | None = None
    health_domain: str | None = None
    records: int = 0
    quality_score: float | None = None
    examples: list[str] = field(default_factory=list)
    quarantine_key: str | None = None
    quarantine_reason: str | None = None
    """Why the input was quarantined, as a code: ``below_quality_threshold`` or
    ``too_many_days``."""
    error_type: str | None = None
    message: str = ""
    retriable: bool = False
    events: dict[str, int] = field(default_factory=dict)
    counters: dict[str, float] = field(default_factory=dict)
    finding_codes: list[str] = field(default_factory=list)
    """Codes of the warning-or-worse validation findings (for metrics)."""
    excluded_records: int = 0
    """Records validation left out of processing (and out of the person's history)."""
    exclusions: dict[str, int] = field(default_factory=dict)
    """Records each excluding finding left out, by its code (a record may have several)."""
    timings: dict[str, float] = field(default_factory=dict)
    windows: list[WindowOutcome] = field(default_factory=list)
    """The windows rebuilt while handling this input (none when the runner builds them at the
    end of a run)."""
    no_space: str | None = None
    """Set when the failure was a full disk or an exhausted quota: the path being written
    (``""`` if unknown). Retriable for a worker; ``etl run`` stops on it."""

    @property
    def ok(self) -> bool:
        return self.status is not Status.FAILED
