"""Per-session sleep metrics, by the definitions in the project's clinical reference.

- time in bed (TIB) = session end - session start;
- total sleep time (TST) = LIGHT + DEEP + REM + SLEEPING;
- efficiency = TST / TIB;
- sleep onset latency = first sleep stage's start - session start, when that whole stretch is
  recorded as wake (AWAKE / OUT_OF_BED). It is *not recorded* (``None``) when the session starts
  with a sleep stage (no in-bed-awake period was recorded, so a zero would be the device's
  framing, not a measurement), and *unknown* (``None``, with ``pre_onset_unknown_ms`` > 0)
  when part of that stretch carries no stage or the UNKNOWN stage: time the device did not
  classify is not evidence of lying awake;
- WASO = AWAKE + OUT_OF_BED between the first sleep stage's start and the last one's end;
- stage percent = stage / (LIGHT + DEEP + REM);
- an awakening is a run of touching AWAKE / OUT_OF_BED spans inside the WASO window lasting
  longer than :data:`AWAKENING_MIN_MS`.

Everything is computed in milliseconds on the clean hypnogram (:mod:`etl_sleep.stages`);
rounding happens only when insights are built. A session without sleep stages has a time in
bed and nothing else: every stage-based value is ``None``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from etl_core.contract.timeutil import readable_offset
from etl_sleep.stages import (
    ARCHITECTURE_STAGES,
    SLEEP_STAGES,
    WAKE_STAGES,
    Hypnogram,
    StageSpan,
    clean_stages,
    gaps,
    stage_totals,
)

AWAKENING_MIN_MS = 5 * 60_000
"""An awakening counts when it lasts longer than 5 minutes."""


@dataclass(frozen=True, slots=True)
class SessionMetrics:
    """One sleep session's figures, unrounded."""

    record_id: str
    source: str
    """The data origin's package name (``metadata.dataOriginPackageName``)."""
    start_ms: int
    end_ms: int
    start_offset: str | None
    end_offset: str | None
    hypnogram: Hypnogram
    stage_ms: Mapping[str, int]
    covered_ms: int
    gaps: tuple[tuple[int, int], ...]
    total_sleep_ms: int | None
    latency_ms: int | None
    """``None`` without sleep stages, when the session starts with a sleep stage, and when part
    of the time before sleep onset is not recorded as wake (:attr:`pre_onset_unknown_ms`)."""
    pre_onset_unknown_ms: int | None
    """Time between the session start and sleep onset recorded neither as AWAKE nor as
    OUT_OF_BED (unstaged gaps and the UNKNOWN stage); ``None`` without sleep stages."""
    onset_ms: int | None
    """Start of the first sleep stage (sleep onset), ``None`` without sleep stages."""
    final_wake_ms: int | None
    """End of the last sleep stage (the final awakening), ``None`` without sleep stages."""
    waso_ms: int | None
    awake_ms: int | None
    """All AWAKE + OUT_OF_BED time in the session, before sleep onset and after the final
    awakening included."""
    awakenings: int | None

    @property
    def time_in_bed_ms(self) -> int:
        return self.end_ms - self.start_ms

    @property
    def has_sleep_stages(self) -> bool:
        """Whether any sleep stage was recorded, so that sleep time is measured at all."""
        return self.total_sleep_ms is not None

    @property
    def has_architecture(self) -> bool:
        """Whether LIGHT, DEEP or REM was recorded (not only unspecified SLEEPING)."""
        return self.architecture_ms > 0

    @property
    def architecture_ms(self) -> int:
        return sum(self.stage_ms[stage] for stage in ARCHITECTURE_STAGES)

    @property
    def efficiency(self) -> float | None:
        """TST / TIB as a fraction, or ``None`` without sleep stages or time in bed."""
        if self.total_sleep_ms is None or self.time_in_bed_ms <= 0:
            return None
        return self.total_sleep_ms / self.time_in_bed_ms

    def stage_share(self, stage: str) -> float | None:
        """``stage`` / (LIGHT + DEEP + REM) as a fraction, or ``None`` when that sum is 0."""
        denominator = self.architecture_ms
        if denominator <= 0:
            return None
        return self.stage_ms[stage] / denominator

    @property
    def coverage(self) -> float | None:
        """Share of the time in bed that stages cover, or ``None`` for a zero-length session."""
        if self.time_in_bed_ms <= 0:
            return None
        return self.covered_ms / self.time_in_bed_ms

    @property
    def gap_ms(self) -> int:
        return sum(end - start for start, end in self.gaps)

    @property
    def gap_in_sleep_ms(self) -> int:
        """Unstaged time between sleep onset and the final awakening: time that may have been
        wake after sleep onset, so WASO is a lower bound when it is not 0."""
        if self.onset_ms is None or self.final_wake_ms is None:
            return 0
        return sum(
            max(0, min(end, self.final_wake_ms) - max(start, self.onset_ms))
            for start, end in self.gaps
        )


def session_metrics(record: Mapping[str, Any]) -> SessionMetrics:
    """The metrics of one ``SleepSessionRecord`` (end must not precede start)."""
    metadata = record.get("metadata") or {}
    start_ms = int(record["startTimeEpochMillis"])
    end_ms = int(record["endTimeEpochMillis"])
    if end_ms < start_ms:
        raise ValueError("sleep session ends before it starts")
    hypnogram = clean_stages(record.get("stages"), start_ms, end_ms)
    spans = hypnogram.spans
    totals = stage_totals(spans)
    sleep_spans = [s for s in spans if s.stage in SLEEP_STAGES]

    total_sleep: int | None = None
    onset: int | None = None
    final_wake: int | None = None
    latency: int | None = None
    pre_onset_unknown: int | None = None
    waso: int | None = None
    awake: int | None = None
    awakenings: int | None = None
    if sleep_spans:
        onset = sleep_spans[0].start_ms
        final_wake = sleep_spans[-1].end_ms
        total_sleep = sum(s.duration_ms for s in sleep_spans)
        awake_before = sum(
            s.duration_ms for s in spans if s.end_ms <= onset and s.stage in WAKE_STAGES
        )
        pre_onset_unknown = onset - start_ms - awake_before
        latency = onset - start_ms if onset > start_ms and pre_onset_unknown == 0 else None
        inside = [s for s in spans if onset <= s.start_ms and s.end_ms <= final_wake]
        waso = sum(s.duration_ms for s in inside if s.stage in WAKE_STAGES)
        awake = sum(totals[stage] for stage in WAKE_STAGES)
        awakenings = _count_awakenings(inside)

    return SessionMetrics(
        record_id=str(metadata.get("id", "")),
        source=str(metadata.get("dataOriginPackageName") or "unknown source"),
        start_ms=start_ms,
        end_ms=end_ms,
        # An unreadable offset is read like a missing one (the user's zone, else UTC).
        start_offset=readable_offset(record.get("startZoneOffsetId")),
        end_offset=readable_offset(record.get("endZoneOffsetId")),
        hypnogram=hypnogram,
        stage_ms=totals,
        covered_ms=sum(s.duration_ms for s in spans),
        gaps=tuple(gaps(spans, start_ms, end_ms)),
        total_sleep_ms=total_sleep,
        latency_ms=latency,
        pre_onset_unknown_ms=pre_onset_unknown,
        onset_ms=onset,
        final_wake_ms=final_wake,
        waso_ms=waso,
        awake_ms=awake,
        awakenings=awakenings,
    )


def _count_awakenings(spans: list[StageSpan]) -> int:
    """Runs of touching wake spans longer than :data:`AWAKENING_MIN_MS` (a gap ends a run)."""
    count = 0
    run_ms = 0
    run_end: int | None = None
    for span in spans:
        if span.stage in WAKE_STAGES:
            if run_end == span.start_ms:
                run_ms += span.duration_ms
            else:
                count += run_ms > AWAKENING_MIN_MS
                run_ms = span.duration_ms
            run_end = span.end_ms
            continue
        if run_ms > AWAKENING_MIN_MS:
            count += 1
        run_ms = 0
        run_end = None
    if run_ms > AWAKENING_MIN_MS:
        count += 1
    return count
