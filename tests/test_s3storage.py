"""S3ObjectStore against moto's S3 server over real HTTP on loopback."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from etl_core.contract.errors import FileTooLargeError
from etl_core.settings import Settings
from etl_core.stores.objects.base import (
    ObjectNotFoundError,
    StorageError,
    StorageRejectedError,
    UnsafeKeyError,
)
from etl_core.stores.objects.s3 import POOL_HEADROOM, S3ObjectStore
from tests.services import S3_ACCESS_KEY, S3_REGION, S3_SECRET_KEY, MotoS3Server

pytestmark = pytest.mark.services


def make_store(server: MotoS3Server, bucket: str, **options: object) -> S3ObjectStore:
    return S3ObjectStore(
        bucket,
        endpoint_url=server.endpoint_url,
        access_key=S3_ACCESS_KEY,
        secret_key=S3_SECRET_KEY,
        region=S3_REGION,
        **options,  # type: ignore[arg-type]
    )


@pytest.fixture
def store(moto_server: MotoS3Server, s3_bucket: str) -> Iterator[S3ObjectStore]:
    s3 = make_store(moto_server, s3_bucket, pool_size=8)
    yield s3
    s3.close()


def test_put_get_exists_delete(store: S3ObjectStore, moto_server: MotoS3Server) -> None:
    assert store.describe() == f"s3://{store.bucket}"
    assert store.ping()
    assert store.put("training/a/2025/09/examples/x.json", b'{"a": 1}')
    assert store.get("training/a/2025/09/examples/x.json") == b'{"a": 1}'
    assert store.exists("training/a/2025/09/examples/x.json")
    assert store.put("training/a/2025/09/examples/x.json", b"{}")
    assert store.get("training/a/2025/09/examples/x.json") == b"{}"
    head = moto_server.client().head_object(
        Bucket=store.bucket, Key="training/a/2025/09/examples/x.json"
    )
    assert head["ContentType"] == "application/json"
    store.delete("training/a/2025/09/examples/x.json")
    assert not store.exists("training/a/2025/09/examples/x.json")
    store.delete("training/a/2025/09/examples/x.json")  # deleting nothing is fine


def test_list_reads_every_page_and_sorts(moto_server: MotoS3Server, s3_bucket: str) -> None:
    store = make_store(moto_server, s3_bucket, list_page_size=2)
    keys = ["a/z.json", "a/b/2.json", "a/b/10.json", "a/é.json", "a/A.json", "ab/x.json", "b.json"]
    for key in keys:
        store.put(key, key.encode())
    moto_server.client().put_object(Bucket=s3_bucket, Key="a/folder/", Body=b"")
    under_a = sorted(k for k in keys if k.startswith("a/"))
    assert list(store.list("a/")) == under_a
    assert list(store.list("a")) == under_a
    assert list(store.list("")) == sorted(keys)
    assert list(store.list("missing/")) == []


def test_missing_object(store: S3ObjectStore) -> None:
    with pytest.raises(ObjectNotFoundError):
        store.get("raw/none.avro")
    assert not store.exists("raw/none.avro")


@pytest.mark.parametrize(
    "key", ["../x", "/etc/passwd", "a/../../x", "a/./b", "", "a//b", "dir/", "a\\b", "a\x00b"]
)
def test_unsafe_keys_are_refused_before_any_request(store: S3ObjectStore, key: str) -> None:
    with pytest.raises(UnsafeKeyError):
        store.put(key, b"x")
    with pytest.raises(UnsafeKeyError):
        store.put(key, b"x", if_absent=True)
    with pytest.raises(UnsafeKeyError):
        store.get(key)
    with pytest.raises(UnsafeKeyError):
        store.exists(key)
    with pytest.raises(UnsafeKeyError):
        store.delete(key)
    assert list(store.list("")) == []


def test_if_absent_race_has_exactly_one_winner(store: S3ObjectStore) -> None:
    for round_number in range(5):
        key = f"quarantine/race/{round_number}.avro"
        results: dict[int, bool] = {}
        barrier = threading.Barrier(8)

        def write(
            n: int,
            key: str = key,
            results: dict[int, bool] = results,
            barrier: threading.Barrier = barrier,
        ) -> None:
            barrier.wait()
            results[n] = store.put(key, f"writer {n}".encode(), if_absent=True)

        threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        winners = [n for n, written in results.items() if written]
        assert len(results) == 8
        assert len(winners) == 1
        assert store.get(key) == f"writer {winners[0]}".encode()


def test_size_guard_refuses_larger_objects(
    moto_server: MotoS3Server, s3_bucket: str, store: S3ObjectStore
) -> None:
    store.put("raw/big.avro", b"x" * 1000)
    with pytest.raises(FileTooLargeError) as refused:
        store.get("raw/big.avro", max_bytes=999)
    assert not refused.value.retriable
    assert refused.value.error_type == "file_too_large"
    assert store.get("raw/big.avro", max_bytes=1000) == b"x" * 1000
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        s3_endpoint_url=moto_server.endpoint_url,
        s3_access_key=S3_ACCESS_KEY,
        s3_secret_key=S3_SECRET_KEY,
        s3_bucket_name=s3_bucket,
        max_file_size_mb=0.0005,  # 524 bytes
    )
    guarded = S3ObjectStore.from_settings(settings)
    with pytest.raises(FileTooLargeError):
        guarded.get("raw/big.avro")
    assert guarded.get("raw/big.avro", max_bytes=10_000) == b"x" * 1000
    guarded.close()


def test_from_settings_sizes_the_pool_to_the_threads(
    moto_server: MotoS3Server, s3_bucket: str
) -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        s3_endpoint_url=moto_server.endpoint_url,
        s3_access_key=S3_ACCESS_KEY,
        s3_secret_key=S3_SECRET_KEY,
        s3_bucket_name=s3_bucket,
        worker_threads=6,
    )
    default = S3ObjectStore.from_settings(settings)
    other = S3ObjectStore.from_settings(settings, bucket="other-bucket", pool_size=16)
    assert default.describe() == f"s3://{s3_bucket}"
    assert default._client.meta.config.max_pool_connections == 6 + POOL_HEADROOM
    assert other.describe() == "s3://other-bucket"
    assert other._client.meta.config.max_pool_connections == 16 + POOL_HEADROOM
    assert default.put("k.json", b"{}") and default.get("k.json") == b"{}"
    default.close()
    other.close()


def test_removed_bucket_is_a_retriable_storage_error(
    moto_server: MotoS3Server, s3_bucket: str, store: S3ObjectStore
) -> None:
    store.put("raw/a.avro", b"a")
    moto_server.remove_bucket(s3_bucket)
    assert not store.ping()
    for attempt in (
        lambda: store.get("raw/a.avro"),
        lambda: store.put("raw/a.avro", b"a"),
        lambda: store.put("raw/a.avro", b"a", if_absent=True),
        lambda: store.exists("raw/a.avro"),
        lambda: list(store.list("raw/")),
        lambda: store.delete("raw/a.avro"),
    ):
        with pytest.raises(StorageError, match="bucket does not exist"):
            attempt()
    moto_server.create_bucket(s3_bucket)  # the outage ends: the same store works again
    assert store.put("raw/a.avro", b"b")
    assert store.get("raw/a.avro") == b"b"


def test_stopped_server_is_a_retriable_storage_error() -> None:
    server = MotoS3Server()
    bucket = server.create_bucket()
    store = make_store(server, bucket, max_attempts=2, connect_timeout=1.0, read_timeout=2.0)
    store.put("raw/a.avro", b"a")
    server.stop()
    started = time.monotonic()
    assert not store.ping()
    for attempt in (
        lambda: store.get("raw/a.avro"),
        lambda: store.put("raw/a.avro", b"a"),
        lambda: store.put("raw/b.avro", b"b", if_absent=True),
        lambda: store.exists("raw/a.avro"),
        lambda: list(store.list("")),
    ):
        with pytest.raises(StorageError):
            attempt()
    assert time.monotonic() - started < 30
    store.close()


def test_denied_access_is_not_retriable(moto_server: MotoS3Server, s3_bucket: str) -> None:
    store = make_store(moto_server, s3_bucket)
    moto_server.require_authentication(True)
    try:
        with pytest.raises(StorageRejectedError) as denied:
            store.put("raw/a.avro", b"a")
        with pytest.raises(StorageRejectedError):
            store.get("raw/a.avro")
        assert not store.ping()
    finally:
        moto_server.require_authentication(False)
    assert not denied.value.retriable
    assert not isinstance(denied.value, StorageError)
    assert "403" in str(denied.value)
    store.close()


class FailingS3:
    """A real HTTP server on loopback that answers every request with one S3 error: the
    failures moto never produces (throttling, 5xx, write conflicts, bad requests)."""

    def __init__(self, status: int, code: str) -> None:
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
            f"<Message>canned {code}</Message><RequestId>test</RequestId></Error>"
        ).encode()
        self.requests = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # answers botocore's "Expect: 100-continue" at once

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                outer.requests += 1
                self.send_response(status)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(0 if self.command == "HEAD" else len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_GET = do_PUT = do_HEAD = do_DELETE = do_POST = _answer

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.endpoint_url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def store(self, **options: object) -> S3ObjectStore:
        return S3ObjectStore(
            "any-bucket",
            endpoint_url=self.endpoint_url,
            access_key=S3_ACCESS_KEY,
            secret_key=S3_SECRET_KEY,
            **options,  # type: ignore[arg-type]
        )

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def failing_s3() -> Iterator[Callable[[int, str], FailingS3]]:
    servers: list[FailingS3] = []

    def start(status: int, code: str) -> FailingS3:
        servers.append(FailingS3(status, code))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (503, "SlowDown"),
        (500, "InternalError"),
        (503, "ServiceUnavailable"),
        (400, "RequestTimeout"),
    ],
)
def test_throttling_and_server_errors_are_retried_then_retriable(
    failing_s3: Callable[[int, str], FailingS3], status: int, code: str
) -> None:
    server = failing_s3(status, code)
    store = server.store(max_attempts=2)
    with pytest.raises(StorageError, match=code):
        store.get("raw/a.avro")
    assert server.requests == 2  # botocore retried once before giving up
    with pytest.raises(StorageError, match=code):
        store.put("training/a.json", b"{}")
    store.close()


def test_a_conditional_write_conflict_is_retried_then_retriable(
    failing_s3: Callable[[int, str], FailingS3],
) -> None:
    server = failing_s3(409, "ConditionalRequestConflict")
    store = server.store(max_attempts=1, conflict_attempts=3)
    with pytest.raises(StorageError, match="ConditionalRequestConflict"):
        store.put("quarantine/a.avro", b"a", if_absent=True)
    assert server.requests == 3
    store.close()


@pytest.mark.parametrize(
    ("status", "code"),
    [(403, "AccessDenied"), (400, "InvalidArgument"), (403, "SignatureDoesNotMatch")],
)
def test_refusals_are_not_retried(
    failing_s3: Callable[[int, str], FailingS3], status: int, code: str
) -> None:
    server = failing_s3(status, code)
    store = server.store()
    with pytest.raises(StorageRejectedError, match=code) as refused:
        store.get("raw/a.avro")
    assert not refused.value.retriable
    assert server.requests == 1
    with pytest.raises(StorageRejectedError):
        store.put("training/a.json", b"{}")
    store.close()
