"""Objects in an S3 bucket (AWS, MinIO, or moto's server in tests) behind :class:`ObjectStore`.

One boto3 client serves every worker thread (botocore clients are thread-safe); its connection
pool holds one connection per worker thread plus a little headroom, so no thread waits for a
socket. Keys pass the same :func:`~etl_core.stores.objects.base.check_key` as local paths.

Guarantees:

- ``put`` is a single PUT: readers see the old object or the new one, never a part.
- ``put(if_absent=True)`` is a conditional write (``If-None-Match: *``). S3 decides it
  atomically: of several concurrent writers of one key exactly one gets 200 and the others
  ``412 PreconditionFailed`` (returned as ``False``). A ``409 ConditionalRequestConflict`` (a
  concurrent write still in flight) is retried a few times, then raised as retriable.
- ``get`` refuses an object larger than its limit from the response's ``Content-Length``,
  before any of the body is read, and never reads more than the limit even when the length is
  absent. Using the GET's own headers instead of a HEAD first saves a round trip, leaves no
  window for the object to change between the two requests, and tells a missing bucket from a
  missing key (a HEAD answers a bare 404 for both).

Errors: a missing object is :class:`ObjectNotFoundError`; throttling, 5xx, timeouts, dropped
connections and a missing bucket are :class:`StorageError` (retriable: the bucket may be
re-created, the service may come back); access denied, bad credentials and invalid requests
are :class:`StorageRejectedError` (not retriable); an object over the limit is
:class:`~etl_core.contract.errors.FileTooLargeError`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    NoCredentialsError,
    ParamValidationError,
    PartialCredentialsError,
)

from etl_core.contract.errors import FileTooLargeError
from etl_core.settings import Settings, SettingsError, redact_url
from etl_core.stores.objects.base import (
    ObjectNotFoundError,
    ObjectStoreRequest,
    StorageError,
    StorageRejectedError,
    check_key,
)

POOL_HEADROOM = 2
"""Connections beyond one per worker thread: the readiness probe and the odd listing."""

_RETRIABLE_CODES = frozenset(
    {
        "NoSuchBucket",
        "SlowDown",
        "Throttling",
        "ThrottlingException",
        "RequestLimitExceeded",
        "TooManyRequests",
        "RequestTimeout",
        "InternalError",
        "ServiceUnavailable",
        "OperationAborted",
        "ConditionalRequestConflict",
    }
)
_NOT_FOUND_CODES = frozenset({"NoSuchKey", "NotFound", "404"})
_CONTENT_TYPES = {
    ".json": "application/json",
    ".jsonl": "application/x-ndjson",
    ".avro": "avro/binary",
}


class S3ObjectStore:
    """One bucket. Safe to share between threads."""

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        access_key: str | None = None,
        secret_key: str | None = None,
        region: str = "us-east-1",
        pool_size: int = 10,
        max_bytes: int | None = None,
        max_attempts: int = 3,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        list_page_size: int = 1000,
        conflict_attempts: int = 3,
    ) -> None:
        """``pool_size`` is the number of threads that will use the store; ``max_bytes`` the
        default size limit of :meth:`get`; ``max_attempts`` the tries botocore makes of one
        request, the first included, on throttling, 5xx and connection errors (the worker's
        retry queues take over after that)."""
        self.bucket = bucket
        self.max_bytes = max_bytes
        self._list_page_size = list_page_size
        self._conflict_attempts = max(1, conflict_attempts)
        config = Config(
            region_name=region,
            max_pool_connections=max(1, pool_size) + POOL_HEADROOM,
            # total_max_attempts counts the first try; botocore's max_attempts would not.
            retries={"total_max_attempts": max(1, max_attempts), "mode": "standard"},
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            # A custom endpoint (MinIO, moto) rarely resolves bucket sub-domains.
            s3={"addressing_style": "path" if endpoint_url else "auto"},
        )
        # A session of its own: boto3's default session is not safe to create clients from
        # concurrently, and the client made here is then shared by all threads.
        session = boto3.session.Session()
        try:
            self._client: Any = session.client(
                "s3",
                endpoint_url=endpoint_url,
                aws_access_key_id=access_key,
                aws_secret_access_key=secret_key,
                config=config,
            )
        except ValueError as exc:
            # botocore's message quotes the endpoint whole, password included.
            raise SettingsError(
                f"ETL_S3_ENDPOINT_URL is not a usable endpoint: {redact_url(endpoint_url or '')}"
            ) from exc

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        bucket: str | None = None,
        pool_size: int | None = None,
        **options: Any,
    ) -> S3ObjectStore:
        """The store for ``bucket`` (default ``ETL_S3_BUCKET_NAME``) from the ``ETL_S3_*``
        settings, its pool sized to ``pool_size`` threads (default ``ETL_WORKER_THREADS``) and
        :meth:`get` limited to ``ETL_MAX_FILE_SIZE_MB``."""
        threads = pool_size if pool_size is not None else settings.worker_threads
        options.setdefault("max_bytes", settings.max_file_size_bytes)
        return cls(
            bucket or settings.s3_bucket_name,
            endpoint_url=settings.s3_endpoint_url,
            access_key=settings.s3_access_key,
            secret_key=settings.s3_secret_key,
            region=settings.s3_region,
            pool_size=threads,
            **options,
        )

    # -- ObjectStore --------------------------------------------------------------------------

    def get(self, key: str, *, max_bytes: int | None = None) -> bytes:
        """The object's bytes; :class:`FileTooLargeError` when it is over ``max_bytes`` (default:
        the store's limit), decided before the body is downloaded."""
        check_key(key)
        limit = self.max_bytes if max_bytes is None else max_bytes
        try:
            response = self._client.get_object(Bucket=self.bucket, Key=key)
        except (ClientError, BotoCoreError) as exc:
            raise self._error(exc, "GetObject", key) from exc
        body = response["Body"]
        try:
            length = response.get("ContentLength")
            if limit is not None and isinstance(length, int) and length > limit:
                raise _too_large(key, length, limit)
            data: bytes = body.read() if limit is None else body.read(limit + 1)
            if limit is not None and len(data) > limit:
                raise _too_large(key, len(data), limit)
            return data
        except BotoCoreError as exc:
            raise self._error(exc, "GetObject", key) from exc
        finally:
            # Closing a body that was not read to the end drops its connection instead of
            # returning it to the pool, which is what an oversized object deserves.
            body.close()

    def put(self, key: str, data: bytes, *, if_absent: bool = False) -> bool:
        check_key(key)
        request: dict[str, Any] = {
            "Bucket": self.bucket,
            "Key": key,
            "Body": data,
            "ContentType": _content_type(key),
        }
        if if_absent:
            request["IfNoneMatch"] = "*"
        for attempt in range(1, self._conflict_attempts + 1):
            try:
                self._client.put_object(**request)
                return True
            except ClientError as exc:
                code = _code(exc)
                if if_absent and code == "PreconditionFailed":
                    return False
                if code == "ConditionalRequestConflict" and attempt < self._conflict_attempts:
                    time.sleep(0.05 * 2**attempt)
                    continue
                raise self._error(exc, "PutObject", key) from exc
            except BotoCoreError as exc:
                raise self._error(exc, "PutObject", key) from exc
        raise AssertionError("unreachable: the last attempt returns or raises")

    def exists(self, key: str) -> bool:
        check_key(key)
        try:
            self._client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _code(exc) not in _NOT_FOUND_CODES:
                raise self._error(exc, "HeadObject", key) from exc
        except BotoCoreError as exc:
            raise self._error(exc, "HeadObject", key) from exc
        else:
            return True
        # A HEAD answers a bare 404 for a missing bucket too: ask the bucket before saying no.
        self._require_bucket()
        return False

    def list(self, prefix: str) -> Iterator[str]:
        """Keys under the folder ``prefix``, sorted, all pages read before the first is
        returned. As in a local folder, ``a`` means ``a/`` (not ``ab/...``), and folder
        placeholder objects ending in ``/`` are left out."""
        if prefix:
            prefix = check_key(prefix.rstrip("/")) + "/"
        paginator = self._client.get_paginator("list_objects_v2")
        keys: list[str] = []
        try:
            pages = paginator.paginate(
                Bucket=self.bucket,
                Prefix=prefix,
                PaginationConfig={"PageSize": self._list_page_size},
            )
            for page in pages:
                keys.extend(
                    item["Key"]
                    for item in page.get("Contents", ())
                    if not item["Key"].endswith("/")
                )
        except (ClientError, BotoCoreError) as exc:
            raise self._error(exc, "ListObjectsV2", prefix or "/") from exc
        return iter(sorted(keys))

    def delete(self, key: str) -> None:
        check_key(key)
        try:
            self._client.delete_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _code(exc) not in _NOT_FOUND_CODES:
                raise self._error(exc, "DeleteObject", key) from exc
        except BotoCoreError as exc:
            raise self._error(exc, "DeleteObject", key) from exc

    def describe(self) -> str:
        return f"s3://{self.bucket}"

    # -- readiness ----------------------------------------------------------------------------

    def ping(self) -> bool:
        """Whether the bucket answers (HEAD bucket); for readiness probes, never raises."""
        try:
            self._client.head_bucket(Bucket=self.bucket)
        except (ClientError, BotoCoreError):
            return False
        return True

    def close(self) -> None:
        self._client.close()

    # -- errors -------------------------------------------------------------------------------

    def _require_bucket(self) -> None:
        try:
            self._client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            if _code(exc) in _NOT_FOUND_CODES:
                raise StorageError(f"{self.describe()}: the bucket does not exist") from exc
            raise self._error(exc, "HeadBucket", "/") from exc
        except BotoCoreError as exc:
            raise self._error(exc, "HeadBucket", "/") from exc

    def _error(self, exc: Exception, operation: str, key: str) -> Exception:
        where = f"{self.describe()}/{key}"
        if isinstance(exc, ClientError):
            code = _code(exc)
            status = _status(exc)
            text = f"{where}: {operation} failed: {code} (HTTP {status})"
            if code == "NoSuchBucket":
                return StorageError(f"{where}: {operation} failed: the bucket does not exist")
            if code in _NOT_FOUND_CODES:
                return ObjectNotFoundError(key)
            if code in _RETRIABLE_CODES or status >= 500 or status in (408, 429):
                return StorageError(text)
            return StorageRejectedError(text)
        if isinstance(exc, NoCredentialsError | PartialCredentialsError | ParamValidationError):
            return StorageRejectedError(f"{where}: {operation} refused: {type(exc).__name__}")
        return StorageError(f"{where}: {operation} failed: {type(exc).__name__}")


def open_store(request: ObjectStoreRequest) -> S3ObjectStore:
    """The ``s3`` object store (the default ``ETL_OBJECT_STORE``): bucket ``request.bucket``
    at the ``ETL_S3_*`` endpoint, its pool sized for ``request.pool_size`` threads."""
    return S3ObjectStore.from_settings(
        request.settings, bucket=request.bucket, pool_size=request.pool_size
    )


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _status(exc: ClientError) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)


def _content_type(key: str) -> str:
    suffix = key[key.rfind(".") :] if "." in key.rsplit("/", 1)[-1] else ""
    return _CONTENT_TYPES.get(suffix, "application/octet-stream")


def _too_large(key: str, size: int, limit: int) -> FileTooLargeError:
    return FileTooLargeError(f"{key}: {size} bytes is over the limit of {limit} bytes")
