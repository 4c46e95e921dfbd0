"""Windows of the synthetic person and of the real exports, built once per test session the way
core builds them (``etl_core.testing.windows_from_exports``), with each window's result."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from etl_core import ProcessResult, RecordTypeSpec, Window
from etl_core.testing import (
    SyntheticExport,
    real_samples,
    records_of,
    synthetic_person,
    windows_from_exports,
)
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


@pytest.fixture(scope="session")
def person_exports() -> list[SyntheticExport]:
    return synthetic_person(SYNTHETIC_DAYS)


@pytest.fixture(scope="session")
def person_windows(person_exports: list[SyntheticExport]) -> dict[tuple[str, str], list[Processed]]:
    return process_all(list(person_exports))


@pytest.fixture(scope="session")
def person_records(person_exports: list[SyntheticExport]) -> dict[str, list[dict[str, object]]]:
    return {name: records_of(name, person_exports) for name in (HR, HRV)}


@pytest.fixture(scope="session")
def real_exports() -> list[object]:
    paths = [path for name in (HR, HRV) for path in real_samples(name)]
    if not paths:
        pytest.skip("the real Health Connect exports are not available")
    return list(paths)


@pytest.fixture(scope="session")
def real_windows(real_exports: list[object]) -> dict[tuple[str, str], list[Processed]]:
    return process_all(real_exports)


@pytest.fixture(scope="session")
def real_records(real_exports: list[object]) -> dict[str, list[dict[str, object]]]:
    return {name: records_of(name, real_exports) for name in (HR, HRV)}  # type: ignore[arg-type]
