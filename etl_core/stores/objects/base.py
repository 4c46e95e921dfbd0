"""Object storage: where input files are read from and artifacts written to.

The pipeline speaks only :class:`ObjectStore`. The embedded runner uses
:class:`LocalObjectStore`, rooted at a folder; the worker uses S3 with the same interface.
Keys are ``/``-separated and relative; a key that could escape the root is refused everywhere,
so that a hostile file name can never write outside the output folder.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from etl_core.contract.errors import EtlError, RequestError, TransientError


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


class LocalObjectStore:
    """Objects as files under a root folder."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def path_for(self, key: str) -> Path:
        path = (self.root / check_key(key)).resolve()
        if self.root not in path.parents:
            raise UnsafeKeyError(f"unsafe object key: {key!r}")
        return path

    def get(self, key: str) -> bytes:
        try:
            return self.path_for(key).read_bytes()
        except FileNotFoundError as exc:
            raise ObjectNotFoundError(key) from exc
        except OSError as exc:
            raise StorageError(f"cannot read {key}: {exc.strerror}") from exc

    def put(self, key: str, data: bytes, *, if_absent: bool = False) -> bool:
        path = self.path_for(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                if if_absent:
                    # link() fails if the target exists: an atomic create-if-absent.
                    try:
                        os.link(temp_name, path)
                    except FileExistsError:
                        return False
                else:
                    os.replace(temp_name, path)
                    temp_name = ""
            finally:
                if temp_name:
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(temp_name)
        except OSError as exc:
            if exc.errno in NO_SPACE_ERRNOS:
                raise StorageFullError(f"cannot write {key}: {exc.strerror}", str(path)) from exc
            raise StorageError(f"cannot write {key}: {exc.strerror}") from exc
        return True

    def exists(self, key: str) -> bool:
        return self.path_for(key).is_file()

    def list(self, prefix: str) -> Iterator[str]:
        base = self.root / prefix if prefix else self.root
        if prefix:
            check_key(prefix.rstrip("/"))
        if not base.is_dir():
            return iter(())
        keys = sorted(
            path.relative_to(self.root).as_posix()
            for path in base.rglob("*")
            if path.is_file() and not path.name.startswith(".tmp-")
        )
        return iter(keys)

    def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path_for(key).unlink()

    def describe(self) -> str:
        return str(self.root)
