"""Choosing the object store and dedup store a command runs with, from settings."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from etl_core.settings import Settings, SettingsError
from etl_core.stores.dedup import open_dedup_store
from etl_core.stores.objects.base import ObjectNotFoundError, ObjectStore, ObjectStoreRequest
from etl_core.stores.objects.local import LocalObjectStore

if TYPE_CHECKING:
    from etl_core.observability.metrics import EtlMetrics

    # SQLAlchemy comes with these: imported where a store is opened, not with this module.
    from etl_core.stores.history.sql import SqlHistoryStore

T = TypeVar("T")

__all__ = [
    "MeteredObjectStore",
    "SourceStores",
    "open_dedup_store",
    "open_object_store",
    "open_output_location",
    "open_worker_history_store",
    "worker_history_url",
]


_STATE_HISTORY = "history.sqlite"
"""The workers' history file in their state folder, beside a SQLite dedup store."""


def worker_history_url(settings: Settings, state_dir: Path) -> str:
    """The SQLAlchemy URL of the workers' history: ``ETL_HISTORY_URL``; else beside the dedup
    store: the PostgreSQL dedup store's database, or, with the single-machine SQLite dedup
    store, a SQLite file in ``state_dir``. Workers sharing a Redis dedup store on several
    machines must name a shared PostgreSQL history: :class:`SettingsError` otherwise. Opens
    nothing (a deployment's settings can be checked without its database)."""
    from etl_core.stores.dedup.sql import postgresql_url

    if settings.history_url:
        if settings.history_url.startswith("sqlite"):
            return settings.history_url
        return postgresql_url(settings.history_url, "ETL_HISTORY_URL")
    if settings.deduplication_store == "postgresql" and settings.deduplication_url:
        return postgresql_url(settings.deduplication_url)
    if settings.deduplication_store == "sqlite":
        return f"sqlite:///{state_dir / _STATE_HISTORY}"
    raise SettingsError(
        "ETL_DEDUPLICATION_STORE=redis needs ETL_HISTORY_URL: a PostgreSQL URL for the "
        "record history every worker shares"
    )


def open_worker_history_store(settings: Settings, state_dir: Path) -> SqlHistoryStore:
    """The workers' history at :func:`worker_history_url`."""
    from etl_core.stores.history.sql import SqlHistoryStore

    url = worker_history_url(settings, state_dir)
    retention = settings.history_retention_days or None
    if url == f"sqlite:///{state_dir / _STATE_HISTORY}":  # the state folder may not exist yet
        return SqlHistoryStore.sqlite_file(state_dir / _STATE_HISTORY, retention_days=retention)
    return SqlHistoryStore(url, retention_days=retention)


def open_object_store(
    settings: Settings,
    bucket: str,
    *,
    pool_size: int,
    metrics: EtlMetrics | None = None,
    backend: str | None = None,
) -> ObjectStore:
    """Bucket ``bucket`` of the object store ``ETL_OBJECT_STORE`` names (``backend`` overrides
    it: an ``s3://`` location is S3 whatever the setting), opened by its factory in the
    ``etl_core.object_stores`` entry-point group; the default, ``s3``, is S3 (or MinIO, or moto)
    from the ``ETL_S3_*`` settings. With ``metrics``, every request is counted in
    ``etl_s3_requests_total``.

    Raises :class:`SettingsError` for a store no installed distribution registers or whose extra
    is not installed (``pip install 'etl-core[s3]'``).
    """
    from etl_core.engine.backends import OBJECT_STORES, load_backend

    name = backend or settings.object_store
    factory = load_backend(OBJECT_STORES, name, setting="ETL_OBJECT_STORE")
    store: ObjectStore = factory(ObjectStoreRequest(settings, bucket, pool_size))
    return MeteredObjectStore(store, metrics) if metrics is not None else store


def open_output_location(
    location: str, settings: Settings, *, pool_size: int = 8
) -> tuple[ObjectStore, str, str]:
    """An output root, ``s3://bucket[/prefix]`` or a local folder, as (store, key prefix,
    label for messages). S3 uses the ``ETL_S3_*`` settings for the endpoint and credentials;
    a missing local folder is a :class:`SettingsError`."""
    if location.startswith("s3://"):
        bucket, _, prefix = location.removeprefix("s3://").partition("/")
        if not bucket:
            raise SettingsError(f"{location}: name a bucket, as in s3://bucket/prefix")
        prefix = prefix.strip("/")
        prefix = f"{prefix}/" if prefix else ""
        store = open_object_store(settings, bucket, pool_size=pool_size, backend="s3")
        return store, prefix, f"s3://{bucket}/{prefix}"
    folder = Path(location)
    if not folder.is_dir():
        raise SettingsError(f"{location}: no such folder")
    # Not the path: a folder name may carry a person's identifier, and the label goes into
    # data set cards.
    return LocalObjectStore(folder), "", "a local output folder"


class MeteredObjectStore:
    """Counts each request of the store it wraps by operation and outcome. A missing object
    is an answer, not an error."""

    def __init__(self, store: ObjectStore, metrics: EtlMetrics) -> None:
        self._store = store
        self._requests = metrics.s3_requests

    def _call(self, operation: str, call: Callable[[], T]) -> T:
        try:
            result = call()
        except ObjectNotFoundError:
            self._requests.labels(operation, "success").inc()
            raise
        except Exception:
            self._requests.labels(operation, "error").inc()
            raise
        self._requests.labels(operation, "success").inc()
        return result

    def get(self, key: str) -> bytes:
        return self._call("get", lambda: self._store.get(key))

    def put(self, key: str, data: bytes, *, if_absent: bool = False) -> bool:
        return self._call("put", lambda: self._store.put(key, data, if_absent=if_absent))

    def exists(self, key: str) -> bool:
        return self._call("head", lambda: self._store.exists(key))

    def list(self, prefix: str) -> Iterator[str]:
        return self._call("list", lambda: iter(list(self._store.list(prefix))))

    def delete(self, key: str) -> None:
        self._call("delete", lambda: self._store.delete(key))

    def describe(self) -> str:
        return str(self._store.describe())

    def ping(self) -> bool:
        """Not counted: readiness probes every few seconds would drown the S3 failure rate."""
        ping: Callable[[], Any] | None = getattr(self._store, "ping", None)
        return True if ping is None else bool(ping())


class SourceStores:
    """One store per source bucket named in upload messages, made on first use."""

    def __init__(
        self,
        settings: Settings,
        *,
        pool_size: int,
        known: dict[str, ObjectStore] | None = None,
        metrics: EtlMetrics | None = None,
    ) -> None:
        self._metrics = metrics
        self._settings = settings
        self._pool_size = pool_size
        self._stores: dict[str, ObjectStore] = dict(known or {})
        self._lock = threading.Lock()

    def get(self, bucket: str) -> ObjectStore:
        with self._lock:
            store = self._stores.get(bucket)
            if store is None:
                store = open_object_store(
                    self._settings, bucket, pool_size=self._pool_size, metrics=self._metrics
                )
                self._stores[bucket] = store
            return store
