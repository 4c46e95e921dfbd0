"""The values that flow between pipeline stages and plugins.

Everything here is immutable so that one batch can be handed to several plugins (and several
threads) without anyone seeing another's changes. Plugins receive and return these types; they
never touch storage, queues or the dedup store.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any

__all__ = [
    "Artifact",
    "Batch",
    "Chart",
    "Dimension",
    "ExampleKind",
    "ExampleText",
    "Finding",
    "PluginCounter",
    "ProcessResult",
    "ProcessedBatch",
    "RecordTypeSpec",
    "Severity",
    "SourceRef",
    "UserContext",
    "ValidationReport",
    "ValueRange",
]


if TYPE_CHECKING:
    from etl_core.contract.windows import Window

Record = Mapping[str, Any]
"""One decoded Health Connect record, with the export's flat field names
(``timeEpochMillis``, ``levelInMilligramsPerDeciliter``, ``metadata.id`` ...)."""

JSONValue = Any
"""A value that :func:`json.dumps` accepts (insights must be JSON-serialisable)."""


@dataclass(frozen=True, slots=True)
class ValueRange:
    """Physiologically plausible values of one field, inclusive at both ends."""

    low: float
    """The lowest plausible value."""
    high: float
    """The highest plausible value; ``low < high``, both inside Health Connect's own limits
    for the field where they are known (checked at start-up)."""
    unit: str = ""
    """Shown in findings (``outside 20-600 mg/dL``)."""

    def __contains__(self, value: object) -> bool:
        if not isinstance(value, int | float) or isinstance(value, bool):
            return False
        # NaN compares false with everything, so it is never in range.
        return self.low <= value <= self.high


@dataclass(frozen=True, slots=True)
class RecordTypeSpec:
    """What a plugin declares about one record type it owns (see ``etl_record_types``).

    Field paths are dotted (``metadata.id``); ``[]`` descends into every item of an array
    (``samples[].beatsPerMinute``).
    """

    name: str
    """Health Connect record type, e.g. ``BloodGlucoseRecord``."""
    health_domain: str
    """Training-data partition, e.g. ``metabolic_diabetes``."""
    reader_schema: Mapping[str, Any] | None
    """The Avro reader schema the plugin understands (parsed ``.avsc``); ``None`` accepts any."""
    required_fields: Sequence[str] = ()
    """Fields every record must hold (not missing, not null); core's generic checks leave out
    records without them. Each must exist in ``reader_schema``."""
    ranges: Mapping[str, ValueRange] = field(default_factory=dict)
    """Plausible values by field: records outside are left out (``[]`` paths: array items
    outside only lower the score). Each field must be a number in ``reader_schema``."""
    time_fields: Sequence[str] = ()
    """Either one instant field (``timeEpochMillis``) or a start and an end field: top-level
    epoch-millisecond fields of the record. They date the example (and the month it is filed
    under) when the result gives no ``data_start``/``data_end``."""
    instructions: Sequence[str] = ()
    """Instruction phrasings for training examples; one is picked per example, deterministically."""
    instructions_by_kind: Mapping[str, Sequence[str]] = field(default_factory=dict)
    """Instruction phrasings per :class:`ExampleKind` (at least 8 each is the target); core
    picks one per example deterministically from its content. A kind without phrasings uses
    ``instructions``. A ``QUESTION`` example's instruction is its own question."""
    reference_values: Mapping[str, float] = field(default_factory=dict)
    """Fixed figures an output may state that are not the person's data: thresholds and
    targets (``{"tir_low_mg_dl": 70, "tir_high_mg_dl": 180}``). Every other figure in an
    example's output must appear in its input."""


class Dimension(enum.StrEnum):
    """The four parts of the quality score (weights in :mod:`etl_core.engine.validate`)."""

    SCHEMA = "schema"
    COMPLETENESS = "completeness"
    PHYSIOLOGICAL = "physiological"
    TEMPORAL = "temporal"


class Severity(enum.StrEnum):
    """How much a finding matters."""

    INFO = "info"
    """Recorded only."""
    WARNING = "warning"
    """Counts against the score; nothing is left out."""
    ERROR = "error"
    """Counts against the score; the affected records are left out of processing."""
    BLOCKING = "blocking"
    """The batch cannot be processed at all: it is quarantined whatever its score."""


@dataclass(frozen=True, slots=True)
class Finding:
    """One validation observation. ``message`` must never quote a health value or a user id:
    it says what is wrong and how many records, not which reading was 9999."""

    dimension: Dimension
    """Which part of the quality score it counts against."""
    severity: Severity
    code: str
    """A short stable identifier, ``<plugin>_<what>`` (``bp_diastolic_not_below_systolic``):
    metrics count findings by it."""
    message: str
    """One sentence: what is wrong and how many records, never a record's value (core
    redacts figures that equal a value of the records and logs a contract violation)."""
    affected: int = 0
    """How many records (or array items, for ``[]`` paths) the finding concerns."""
    out_of: int = 0
    """What ``affected`` is a share of; ``0`` means the batch's record count."""
    record_indices: frozenset[int] = frozenset()
    """Positions in ``batch.records`` of the records to leave out of processing. An ``ERROR``
    finding must name at least one, all inside the batch (else core fails the file naming the
    plugin); other severities leave nothing out."""


@dataclass(frozen=True, slots=True)
class UserContext:
    """What is known about the person, from settings or the upload message."""

    timezone: tzinfo | None = None
    """Reads instants of records that carry no offset of their own: a configured IANA zone, or
    (for calendar windows) the person's offsets inferred from their other records."""
    age_years: int | None = None
    """For age-based targets; ``None`` when unknown."""


@dataclass(frozen=True, slots=True)
class SourceRef:
    """Where a batch came from; ``key`` keeps the original file name."""

    bucket: str
    key: str
    """The object key or relative path of the input file."""
    size_bytes: int
    sha256: str


@dataclass(frozen=True, slots=True)
class Batch:
    """One input file, decoded: the unit every hook works on."""

    record_type: str
    """The Health Connect record type of every record, from the file's writer schema."""
    records: Sequence[Record]
    """The decoded records, in file order (after validation: without the excluded ones)."""
    source: SourceRef
    correlation_id: str
    """Ties the log lines and the example of one input together."""
    user: UserContext = field(default_factory=UserContext)
    writer_schema: Mapping[str, Any] | None = None
    """The schema the file was written with."""

    def without(self, indices: frozenset[int]) -> Batch:
        """The same batch minus the records at ``indices``."""
        if not indices:
            return self
        kept = [r for i, r in enumerate(self.records) if i not in indices]
        return Batch(
            record_type=self.record_type,
            records=kept,
            source=self.source,
            correlation_id=self.correlation_id,
            user=self.user,
            writer_schema=self.writer_schema,
        )


@dataclass(frozen=True, slots=True)
class ValidationReport:
    """All findings of every ``etl_validate`` implementation, scored."""

    findings: Sequence[Finding]
    scores: Mapping[Dimension, float]
    """Each part of the score, 0 to 1."""
    quality_score: float
    """0.3 schema + 0.3 completeness + 0.2 physiological + 0.2 temporal."""
    threshold: float
    excluded_indices: frozenset[int] = frozenset()
    """Positions of the records ``ERROR`` findings left out of processing."""

    @property
    def blocking(self) -> list[Finding]:
        """The ``BLOCKING`` findings."""
        return [f for f in self.findings if f.severity is Severity.BLOCKING]

    @property
    def passed(self) -> bool:
        """No blocking finding and a score at or above the threshold."""
        return not self.blocking and self.quality_score >= self.threshold

    @property
    def warnings(self) -> list[str]:
        """One line per non-info finding, fit for training-data metadata."""
        return [
            f"{f.dimension}:{f.code}: {f.message}"
            for f in self.findings
            if f.severity is not Severity.INFO
        ]


class ExampleKind(enum.StrEnum):
    """The tasks a window's training examples teach."""

    SUMMARY = "clinician_summary"
    """A clinician's summary of the window: findings, meaning, limits."""
    NOTE = "personal_note"
    """A plain-language note to the person about the same findings."""
    QUESTION = "question"
    """One focused question about the window and its answer."""
    COMPARISON = "comparison"
    """How the window compares with the previous one (only when both can be compared)."""


@dataclass(frozen=True, slots=True)
class ExampleText:
    """One training example's output, as a plugin writes it; core adds the instruction (from
    the spec's phrasings for ``kind``, or ``question``) and the input (the result's
    ``summary``, which must hold every figure ``output`` states)."""

    kind: ExampleKind
    output: str
    question: str | None = None
    """For ``QUESTION`` examples: the question asked, which becomes the instruction."""


@dataclass(frozen=True, slots=True)
class ProcessResult:
    """What the owner of a record type returns from ``etl_process``.

    ``narrative`` may only state figures that appear in ``insights``
    (:func:`etl_core.contract.figures.unsupported_figures` checks that).
    """

    narrative: str
    """The training example's ``output``: clinical prose whose every figure is in ``insights``."""
    insights: Mapping[str, JSONValue]
    """The structured findings (JSON-serialisable, no NaN): ``metadata.clinical_insights``."""
    summary: str
    """A compact factual summary of the data: the training example's ``input``."""
    events: Mapping[str, int] = field(default_factory=dict)
    """Clinical events detected, by event type (for metrics), e.g. ``{"hypo_level1": 2}``."""
    data_start: datetime | None = None
    """Where the data starts (aware); it decides the month the example is filed under."""
    data_end: datetime | None = None
    """Aware datetimes; when ``None`` core derives them from the spec's ``time_fields``."""
    generic: bool = False
    """Set only by core's fallback processor: no clinical plugin interpreted this batch."""
    counters: Mapping[str, float] = field(default_factory=dict)
    """Increments of the plugin's own counters (declared through ``etl_metrics``), by name."""
    examples: Sequence[ExampleText] = ()
    """The training examples of this result, each of one :class:`ExampleKind`; empty means
    one ``SUMMARY`` example whose output is ``narrative``."""
    methods: Mapping[str, str] = field(default_factory=dict)
    """Definitions and method notes behind the insights (``{"resting_hr": "lowest 30-minute
    rolling mean of the local day"}``): written to ``metadata.methods``, not the output."""


@dataclass(frozen=True, slots=True)
class PluginCounter:
    """A Prometheus counter a plugin declares (``etl_metrics``); core labels it by record type.
    The name must look like ``etl_<plugin>_<what>_total``."""

    name: str
    documentation: str
    """The counter's help text."""


@dataclass(frozen=True, slots=True)
class ProcessedBatch:
    """Everything ``etl_emit`` implementations get to build their artifacts from."""

    batch: Batch
    """The batch that was processed (excluded records removed)."""
    spec: RecordTypeSpec
    validation: ValidationReport
    result: ProcessResult
    processor: str
    """``<plugin name> <version>`` of the plugin that produced ``result``."""
    user_pseudonym: str
    """``u_`` + an HMAC of the user id: never the raw id."""
    content_fingerprint: str
    """Identifies the record set whatever file brought it: derive artifact keys from it."""
    idempotency_key: str
    data_start: datetime
    data_end: datetime
    processed_at: datetime
    include_metadata: bool = True
    """``ETL_INCLUDE_METADATA``: whether examples carry their ``metadata``."""
    window: Window | None = None
    """The calendar window the result describes (``None`` for per-upload processing); then
    ``batch`` holds the window's records and artifacts should be keyed by window and
    ``revision``, which a later rebuild of the window supersedes."""
    revision: int = 0
    """The window's version this result was built from; higher revisions replace lower ones."""


@dataclass(frozen=True, slots=True)
class Artifact:
    """An object for core to store. Keys are relative to the output root; core refuses keys
    that escape it. Keys should be derived from content so that writing twice is harmless."""

    key: str
    """Relative to the output root (``reports/bloodpressure/<fingerprint>.json``)."""
    data: bytes
    kind: str = "training_example"
    """``training_example`` for the built-in writer's examples; anything else for yours."""
    content_type: str = "application/json"


@dataclass(frozen=True, slots=True)
class Chart:
    """One chart of a window for the review report (``etl review``), from
    ``etl_review_charts``.

    Build it with :mod:`etl_core.review.svg`, which counts the marks it draws: core checks that
    ``svg`` is one ``<svg>`` element holding exactly ``marks`` elements of class ``mark`` (the
    data points, bars or segments a reader can count), and the report's browser test counts
    them again after the page has loaded.
    """

    title: str
    """Short, shown above the chart and as the SVG's ``<title>``."""
    svg: str
    """Inline SVG markup, self-contained (no script, no external reference)."""
    text: str
    """The text alternative: what the chart shows, in words, for screen readers and for
    readers who cannot tell its colours apart (also the SVG's ``<desc>``)."""
    marks: int
    """How many data marks (``class="mark"`` elements) the SVG holds."""
    table: tuple[tuple[str, ...], ...] = ()
    """The data drawn, as rows of cells, the first row the header: shown under the chart as a
    table (the accessible alternative of every figure in it)."""
