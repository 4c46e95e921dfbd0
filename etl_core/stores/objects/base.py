"""Object storage: where input files are read from and artifacts written to.

The pipeline speaks only :class:`ObjectStore`. The embedded runner uses a
:class:`~etl_core.stores.objects.local.LocalObjectStore` rooted at a folder; the worker opens
the store ``ETL_OBJECT_STORE`` names (S3 by default) from the ``etl_core.object_stores``
entry-point group, whose factories take an :class:`ObjectStoreRequest`. Keys are
``/``-separated and relative; a key that could escape the root is refused everywhere, so that a
hostile file name can never write outside the output folder.
"""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from etl_core.contract.errors import EtlError, RequestError, TransientError

if TYPE_CHECKING:
    from etl_core.settings import Settings

    # Re-exported (see __getattr__ below), for type checkers.
    from etl_core.stores.objects.local import LocalObjectStore as LocalObjectStore


class StorageError(TransientError):
    """A storage operation failed for a reason worth retrying (I/O, network, an outage).
    Keeps the ``error_type`` ``transient`` a file failed by a storage outage always had."""


NO_SPACE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
"""A full file system and an exhausted quota: freeing space is the only way on."""
_SQLITE_FULL = 13


class StorageFullError(StorageError):
    """A write failed because the file system is full or the quota is used up. A
    :class:`StorageError` (to a worker it is one more outage); ``etl run`` stops on it."""

    error_type = "storage_full"

    def __init__(self, message: str, path: str) -> None:
        super().__init__(message)
        self.path = path


def no_space_path(exc: BaseException) -> str | None:
    """If ``exc`` or an error behind it (``__cause__``, ``__context__``) says the disk is full
    or over quota: the path being written (the nearest ``path`` or OS file name the chain
    names, ``""`` when none does); else ``None``."""
    full = False
    path: str | None = None
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        full = full or _says_no_space(current)
        named = getattr(current, "path", None)
        if not isinstance(named, str) and isinstance(current, OSError):
            named = current.filename if isinstance(current.filename, str) else None
        if path is None and isinstance(named, str) and named:
            path = named
        current = current.__cause__ or current.__context__
    if not full:
        return None
    return path or ""


def _says_no_space(exc: BaseException) -> bool:
    if isinstance(exc, OSError):
        return exc.errno in NO_SPACE_ERRNOS
    if isinstance(exc, sqlite3.Error):
        return getattr(exc, "sqlite_errorcode", None) == _SQLITE_FULL
    return False


class StorageRejectedError(EtlError):
    """The storage refused the operation for a reason retrying cannot fix: access denied,
    bad credentials, an invalid request. Deliberately not a :class:`StorageError` (nor any
    :class:`~etl_core.contract.errors.TransientError`): ``retriable`` is false, so the
    pipeline reports it as a non-retriable failure and nobody retries it."""

    error_type = "storage_rejected"


class UnsafeKeyError(RequestError, ValueError):
    """A key that is absolute, empty or climbs out of the root."""

    error_type = "unsafe_key"


class ObjectNotFoundError(RequestError, KeyError):
    """No object at that key."""

    error_type = "missing_object"


def check_key(key: str) -> str:
    """Return ``key`` if it is a safe relative object key, else raise :class:`UnsafeKeyError`."""
    if not key or key.startswith("/") or "\\" in key or "\x00" in key:
        raise UnsafeKeyError(f"unsafe object key: {key!r}")
    if any(part in ("..", ".", "") for part in key.split("/")):
        raise UnsafeKeyError(f"unsafe object key: {key!r}")
    return key


class ObjectStore(Protocol):
    """The storage a pipeline needs. Implementations are safe to share between threads."""

    def get(self, key: str) -> bytes: ...

    def put(self, key: str, data: bytes, *, if_absent: bool = False) -> bool:
        """Write ``data`` at ``key`` atomically (readers see the old or the new object, never a
        part). With ``if_absent`` the write happens only if no object exists; the result says
        whether it was written."""
        ...

    def exists(self, key: str) -> bool: ...

    def list(self, prefix: str) -> Iterator[str]:
        """Keys under ``prefix`` (a folder-like prefix ending in ``/`` or empty), sorted."""
        ...

    def delete(self, key: str) -> None: ...

    def describe(self) -> str:
        """Where this store writes, for messages to the user (``/path/out``, ``s3://b``)."""
        ...


@dataclass(frozen=True, slots=True)
class ObjectStoreRequest:
    """What an object store factory (an ``etl_core.object_stores`` entry point) is given:
    the settings, the bucket to open (``ETL_S3_BUCKET_NAME``, or a source bucket named by an
    upload message) and how many threads will share the store, so a pooled client can size its
    pool. A factory raises :class:`~etl_core.settings.SettingsError` for a bad setting."""

    settings: Settings
    bucket: str
    pool_size: int = 1


def __getattr__(name: str) -> Any:
    # LocalObjectStore moved to .local, which imports this module: a lazy re-export keeps
    # ``from etl_core.stores.objects.base import LocalObjectStore`` working without a cycle.
    if name == "LocalObjectStore":
        from etl_core.stores.objects.local import LocalObjectStore

        return LocalObjectStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
