from __future__ import annotations

import importlib.metadata
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from etl_core.engine.pipeline import Pipeline
from etl_core.engine.registry import ENTRY_POINT_GROUP, PluginRegistry, load_plugins
from etl_core.settings import Settings
from etl_core.stores.dedup.sql import SqlDedupStore
from etl_core.stores.objects.base import LocalObjectStore
from etl_core.testing import real_samples, real_samples_dir


@pytest.fixture
def samples_dir() -> Path:
    folder = real_samples_dir()
    if folder is None:
        pytest.skip(
            "the real samples (../shared/samples/health-connect) are not beside the checkout"
        )
    return folder


@pytest.fixture(scope="session")
def real_exports() -> list[tuple[str, bytes]]:
    """The 26 real exports as (file name, bytes)."""
    paths = real_samples()
    if not paths:
        pytest.skip("the real samples (../shared/samples/health-connect) are not here")
    return [(path.name, path.read_bytes()) for path in paths]


@pytest.fixture(scope="session")
def installed_registry() -> PluginRegistry:
    """Every installed plugin (none in the core-only session)."""
    return load_plugins()


@pytest.fixture(params=["sqlite", "postgresql"])
def history_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A history database: a SQLite file, then the test PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'history.sqlite'}"
    else:
        yield request.getfixturevalue("postgres_url")


def temperature_entry_point() -> importlib.metadata.EntryPoint:
    return importlib.metadata.EntryPoint(
        name="temperature", value="tests.support.temperature_plugin", group=ENTRY_POINT_GROUP
    )


@pytest.fixture
def temperature_registry() -> PluginRegistry:
    return load_plugins(entry_points=[temperature_entry_point()])


@pytest.fixture
def settings() -> Settings:
    return Settings(_env_file=None, pseudonym_key="test-key")  # type: ignore[call-arg]


@pytest.fixture
def make_pipeline(
    tmp_path: Path, settings: Settings, temperature_registry: PluginRegistry
) -> Callable[..., Pipeline]:
    stores: list[SqlDedupStore] = []

    def build(registry: PluginRegistry | None = None, **overrides: object) -> Pipeline:
        dedup = SqlDedupStore.sqlite_file(tmp_path / "state" / "dedup.sqlite")
        stores.append(dedup)
        configured = settings.replace(**overrides)
        return Pipeline(
            registry or temperature_registry, LocalObjectStore(tmp_path / "out"), dedup, configured
        )

    yield build  # type: ignore[misc]
    for store in stores:
        store.close()


# Real services for the distributed stores and the worker (see tests/services.py).
from tests.services import (  # noqa: E402, F401  (fixtures pytest finds here)
    moto_server,
    postgres_url,
    rabbitmq,
    redis_service,
    s3_bucket,
)
