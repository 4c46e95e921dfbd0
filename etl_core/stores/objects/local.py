"""The ``local`` object store: objects as files under a root folder.

The embedded runner (``etl run``) writes its outputs here. Writes are atomic (a temporary file
in the same folder, then a rename, or a hard link for ``if_absent``), and every key passes
:func:`~etl_core.stores.objects.base.check_key` and must resolve inside the root, so neither a
hostile file name nor a symbolic link can write outside it. Registered as ``local`` in the
``etl_core.object_stores`` group, where each bucket is a folder of that name.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from etl_core.stores.objects.base import (
    NO_SPACE_ERRNOS,
    ObjectNotFoundError,
    ObjectStoreRequest,
    StorageError,
    StorageFullError,
    UnsafeKeyError,
    check_key,
)

__all__ = ["LocalObjectStore", "open_store"]


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
            try:
                fd, temp_name = _temporary_beside(path)
            except FileNotFoundError:  # the key's first object: only then create its folders
                path.parent.mkdir(parents=True, exist_ok=True)
                fd, temp_name = _temporary_beside(path)
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


def _temporary_beside(path: Path) -> tuple[int, str]:
    return tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)


def open_store(request: ObjectStoreRequest) -> LocalObjectStore:
    """The ``local`` object store: bucket ``request.bucket`` is the folder of that name (relative
    to the working directory unless absolute), created when missing, as a bucket a development
    set-up would otherwise have to create by hand."""
    from etl_core.settings import SettingsError

    if not request.bucket.strip():
        raise SettingsError("ETL_OBJECT_STORE=local needs a bucket name: it names the folder")
    root = Path(request.bucket)
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SettingsError(
            f"ETL_OBJECT_STORE=local cannot use the folder of bucket {request.bucket!r}: "
            f"{exc.strerror}"
        ) from exc
    return LocalObjectStore(root)
