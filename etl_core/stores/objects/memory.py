"""The ``memory`` object store: objects held in one process's memory.

For tests and for trying a set-up without S3. It keeps the :class:`ObjectStore` guarantees
(atomic writes, an atomic ``if_absent``, keys checked by
:func:`~etl_core.stores.objects.base.check_key`, sorted listings) and forgets everything when
the process ends, so it never serves workers that share a queue.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

from etl_core.stores.objects.base import ObjectNotFoundError, ObjectStoreRequest, check_key

__all__ = ["InMemoryObjectStore", "open_store"]


class InMemoryObjectStore:
    """One bucket's objects in a dict behind a lock. Thread-safe.

    A store made directly starts empty and is its own; :func:`open_store` hands every caller
    naming one bucket the same objects, as S3 would, so a process's writer and readers of one
    bucket see each other's objects.
    """

    def __init__(self, bucket: str = "memory") -> None:
        self.bucket = bucket
        self._objects: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes:
        check_key(key)
        with self._lock:
            try:
                return self._objects[key]
            except KeyError:
                raise ObjectNotFoundError(key) from None

    def put(self, key: str, data: bytes, *, if_absent: bool = False) -> bool:
        check_key(key)
        # A copy: a caller's bytearray changed later must not change the stored object.
        value = bytes(data)
        with self._lock:
            if if_absent and key in self._objects:
                return False
            self._objects[key] = value
            return True

    def exists(self, key: str) -> bool:
        check_key(key)
        with self._lock:
            return key in self._objects

    def list(self, prefix: str) -> Iterator[str]:
        """Keys under the folder ``prefix``, sorted; as in a local folder and in S3, ``a`` means
        ``a/`` (not ``ab/...``)."""
        if prefix:
            prefix = check_key(prefix.rstrip("/")) + "/"
        with self._lock:
            keys = sorted(key for key in self._objects if key.startswith(prefix))
        return iter(keys)

    def delete(self, key: str) -> None:
        check_key(key)
        with self._lock:
            self._objects.pop(key, None)

    def describe(self) -> str:
        return f"memory://{self.bucket}"

    def ping(self) -> bool:
        return True

    def close(self) -> None:
        """Nothing to release; the objects stay for other users of the bucket."""


_buckets: dict[str, InMemoryObjectStore] = {}
_buckets_lock = threading.Lock()


def open_store(request: ObjectStoreRequest) -> InMemoryObjectStore:
    """The ``memory`` object store of bucket ``request.bucket``: one per bucket name in this
    process, made empty on first use."""
    with _buckets_lock:
        store = _buckets.get(request.bucket)
        if store is None:
            store = _buckets[request.bucket] = InMemoryObjectStore(request.bucket)
        return store
