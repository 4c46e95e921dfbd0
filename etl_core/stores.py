"""Choosing the object store and dedup store a command runs with, from settings."""

from __future__ import annotations

import threading

from etl_core.dedup import open_dedup_store
from etl_core.settings import Settings
from etl_core.storage import ObjectStore

__all__ = ["SourceStores", "open_dedup_store", "open_object_store"]


def open_object_store(settings: Settings, bucket: str, *, pool_size: int) -> ObjectStore:
    """S3 (or MinIO, or moto) bucket ``bucket`` from the ``ETL_S3_*`` settings."""
    from etl_core.s3storage import S3ObjectStore

    return S3ObjectStore.from_settings(settings, bucket=bucket, pool_size=pool_size)


class SourceStores:
    """One store per source bucket named in upload messages, made on first use."""

    def __init__(
        self, settings: Settings, *, pool_size: int, known: dict[str, ObjectStore] | None = None
    ) -> None:
        self._settings = settings
        self._pool_size = pool_size
        self._stores: dict[str, ObjectStore] = dict(known or {})
        self._lock = threading.Lock()

    def get(self, bucket: str) -> ObjectStore:
        with self._lock:
            store = self._stores.get(bucket)
            if store is None:
                store = open_object_store(self._settings, bucket, pool_size=self._pool_size)
                self._stores[bucket] = store
            return store
