"""What the heart-rate window tests share: the record types, and the synthetic person's or the
real exports' windows built the way core builds them, each with its result."""

from __future__ import annotations

from dataclasses import dataclass

from etl_core import ProcessResult, RecordTypeSpec, Window
from etl_core.testing import windows_from_exports
from etl_heartrate import plugin

HR = "HeartRateRecord"
HRV = "HeartRateVariabilityRmssdRecord"
SYNTHETIC_DAYS = 42


@dataclass(frozen=True)
class Processed:
    window: Window
    spec: RecordTypeSpec
    result: ProcessResult | None


def specs() -> dict[str, RecordTypeSpec]:
    return {spec.name: spec for spec in plugin.etl_record_types()}


def process_all(exports: list[object]) -> dict[tuple[str, str], list[Processed]]:
    found: dict[tuple[str, str], list[Processed]] = {}
    for name, spec in specs().items():
        rules = plugin.etl_windows(spec=spec)
        assert rules is not None
        for rule in rules:
            windows = windows_from_exports(spec, rule, exports)  # type: ignore[arg-type]
            found[(name, rule.name)] = [
                Processed(w, spec, plugin.etl_process_window(window=w, spec=spec)) for w in windows
            ]
    return found
