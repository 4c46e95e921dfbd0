"""Windows of the synthetic person and of the real exports, built once per test session the way
core builds them (``etl_core.testing.windows_from_exports``), with each window's result."""

from __future__ import annotations

import pytest
from heartrate_window_support import HR, HRV, SYNTHETIC_DAYS, Processed, process_all

from etl_core.testing import (
    SyntheticExport,
    real_samples,
    records_of,
    synthetic_person,
)


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
