"""Deduplication stores: the exactly-once ledger of processed files and record sets.

The interface is :class:`DedupStore`; a store is opened by name (``ETL_DEDUPLICATION_STORE``)
from the ``etl_core.dedup_stores`` entry-point group, where core registers ``sqlite``,
``postgresql``, ``redis`` and ``memory`` and any distribution may register more. Importing
this package loads no database driver; a store's module is imported when it is opened.
"""

from __future__ import annotations

from pathlib import Path

from etl_core.settings import Settings
from etl_core.stores.dedup.base import (
    Claim,
    ClaimStatus,
    DedupStore,
    DedupStoreRequest,
    DedupUnavailableError,
    ProcessHolder,
    new_owner_token,
)

__all__ = [
    "Claim",
    "ClaimStatus",
    "DedupStore",
    "DedupStoreRequest",
    "DedupUnavailableError",
    "ProcessHolder",
    "new_owner_token",
    "open_dedup_store",
]


def open_dedup_store(
    settings: Settings, default_sqlite_path: Path, *, holder: ProcessHolder | None = None
) -> DedupStore:
    """The dedup store ``ETL_DEDUPLICATION_STORE`` names, opened by its registered factory.

    Raises :class:`~etl_core.settings.SettingsError` for an unknown store, a missing extra or a
    bad URL, and :class:`DedupUnavailableError` when the store cannot be reached at start-up.
    """
    from etl_core.engine.backends import DEDUP_STORES, load_backend

    factory = load_backend(
        DEDUP_STORES, settings.deduplication_store, setting="ETL_DEDUPLICATION_STORE"
    )
    store: DedupStore = factory(DedupStoreRequest(settings, default_sqlite_path, holder))
    return store
