"""The real services the distributed tests run against, and how a test gets one.

Redis, PostgreSQL and RabbitMQ run on this machine and in CI on their usual loopback ports
(override with ``ETL_TEST_REDIS_URL``, ``ETL_TEST_POSTGRES_URL``, ``ETL_TEST_RABBITMQ_URL``);
S3 is moto's server started in-process on a free loopback port, spoken to over real HTTP.
A test whose service is absent is skipped with the reason, unless ``ETL_REQUIRE_SERVICES=1``
(CI), which turns the skip into a failure: a green CI run has really run them.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NoReturn
from urllib.parse import quote, urlsplit

import pytest

REDIS_URL = os.environ.get("ETL_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
POSTGRES_URLS = (
    [os.environ["ETL_TEST_POSTGRES_URL"]]
    if os.environ.get("ETL_TEST_POSTGRES_URL")
    else [
        "postgresql+psycopg://postgres@127.0.0.1:5432/test",
        "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
    ]
)
RABBITMQ_URL = os.environ.get("ETL_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
S3_ACCESS_KEY = "testing"
S3_SECRET_KEY = "testing"
S3_REGION = "us-east-1"


def services_required() -> bool:
    return os.environ.get("ETL_REQUIRE_SERVICES", "").strip().lower() in ("1", "true", "yes")


def unavailable(reason: str) -> NoReturn:
    """Skip the test, or fail it when the run requires its services."""
    if services_required():
        pytest.fail(f"{reason} (ETL_REQUIRE_SERVICES=1 makes this a failure)", pytrace=False)
    pytest.skip(reason)


def unique_name(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:12]}"


def port_open(url: str, default_port: int, timeout: float = 1.0) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection(
            (parts.hostname or "127.0.0.1", parts.port or default_port), timeout=timeout
        ):
            return True
    except OSError:
        return False


# -- Redis ------------------------------------------------------------------------------------


def redis_client() -> Any:
    """A client of the test Redis, or a skip (a failure under ETL_REQUIRE_SERVICES=1)."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        client.close()
        unavailable(f"Redis is not reachable at {REDIS_URL}: {type(exc).__name__}")
    return client


def delete_redis_keys(client: Any, prefix: str) -> int:
    keys = list(client.scan_iter(match=f"{prefix}*", count=500))
    if keys:
        client.delete(*keys)
    return len(keys)


# -- PostgreSQL -------------------------------------------------------------------------------


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A fresh schema in the test database, dropped afterwards; yields a SQLAlchemy URL whose
    connections have it first on their search path, so unqualified tables land in it."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import SQLAlchemyError

    problems: list[str] = []
    for base in POSTGRES_URLS:
        engine = create_engine(base, connect_args={"connect_timeout": 2})
        try:
            with engine.connect() as connection:
                connection.execute(text("select 1"))
        except SQLAlchemyError as exc:
            engine.dispose()
            problems.append(f"{_without_password(base)}: {type(exc).__name__}")
            continue
        break
    else:
        unavailable("PostgreSQL is not reachable: " + "; ".join(problems))
    schema = unique_name("etl_test_")
    with engine.begin() as connection:
        connection.execute(text(f'create schema "{schema}"'))
    try:
        separator = "&" if "?" in base else "?"
        yield f"{base}{separator}options={quote(f'-csearch_path={schema}')}"
    finally:
        with engine.begin() as connection:
            connection.execute(text(f'drop schema if exists "{schema}" cascade'))
        engine.dispose()


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@")
    return url


# -- RabbitMQ ---------------------------------------------------------------------------------


def rabbitmq_connection(url: str = RABBITMQ_URL) -> Any:
    """A pika ``BlockingConnection`` to the test broker (the caller closes it), or a skip
    (a failure under ETL_REQUIRE_SERVICES=1)."""
    import pika
    import pika.exceptions

    if not port_open(url, 5672):
        unavailable(f"RabbitMQ is not listening at {_without_password(url)}")
    parameters = pika.URLParameters(url)
    parameters.socket_timeout = 3
    parameters.blocked_connection_timeout = 10
    parameters.connection_attempts = 1
    try:
        return pika.BlockingConnection(parameters)
    except pika.exceptions.AMQPError as exc:
        unavailable(f"RabbitMQ refused a connection at {_without_password(url)}: {exc!r}")


BROKER_PATIENCE_SECONDS = 90.0
"""How long a test waits for a broker that must be there (``ETL_REQUIRE_SERVICES=1``) but is
not answering: the fault suite stops and restarts the shared broker on purpose, and a second
suite running beside it on the same machine sees that outage too."""


def rabbitmq_available(url: str = RABBITMQ_URL) -> bool:
    """Whether a broker accepts the guest login, without skipping anything. When services are
    required, waits out a broker that is restarting (see :data:`BROKER_PATIENCE_SECONDS`)."""
    deadline = time.monotonic() + (BROKER_PATIENCE_SECONDS if services_required() else 0)
    while not _rabbitmq_answers(url):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.5)
    return True


def _rabbitmq_answers(url: str) -> bool:
    import pika
    import pika.exceptions

    if not port_open(url, 5672):
        return False
    parameters = pika.URLParameters(url)
    parameters.socket_timeout = 3
    parameters.connection_attempts = 1
    try:
        pika.BlockingConnection(parameters).close()
    except pika.exceptions.AMQPError:
        return False
    return True


def broker_connection(url: str) -> Any:
    """A ``BlockingConnection`` to the test broker for a test's own bookkeeping (publishing,
    queue depths, cleanup), waiting out a restart of the shared broker like
    :func:`rabbitmq_available`."""
    import pika
    import pika.exceptions

    deadline = time.monotonic() + BROKER_PATIENCE_SECONDS
    while True:
        try:
            return pika.BlockingConnection(pika.URLParameters(url))
        except pika.exceptions.AMQPConnectionError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.5)


# -- S3 (moto's server) -----------------------------------------------------------------------


class SerialisedConditionalWrites:
    """WSGI middleware that runs conditional requests (``If-None-Match``/``If-Match``) one at
    a time.

    moto 5 checks the condition and then writes without holding a lock, so two concurrent
    ``PUT If-None-Match: *`` of one key can both succeed on it (seen here in about 2% of
    8-thread races when threads switch often); S3 itself decides conditional writes
    atomically. Serialising only those requests makes the emulator keep S3's guarantee while
    every other request stays concurrent.
    """

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if "HTTP_IF_NONE_MATCH" in environ or "HTTP_IF_MATCH" in environ:
            with self.lock:
                return self.app(environ, start_response)
        return self.app(environ, start_response)


class MotoS3Server:
    """moto's ``ThreadedMotoServer`` on a free loopback port, its conditional writes made
    atomic (see :class:`SerialisedConditionalWrites`)."""

    def __init__(self) -> None:
        try:
            from moto.server import ThreadedMotoServer
        except ImportError as exc:  # the test extra is not installed
            unavailable(f"moto[server] is not installed: {exc}")

        class Server(ThreadedMotoServer):
            def _server_entry(self) -> None:
                from moto.moto_server.werkzeug_app import (
                    DomainDispatcherApplication,
                    MotoRequestHandler,
                    create_backend_app,
                )
                from werkzeug.serving import make_server

                app = SerialisedConditionalWrites(DomainDispatcherApplication(create_backend_app))
                self._server = make_server(
                    self._ip_address, self._port, app, True, request_handler=MotoRequestHandler
                )
                self._server_ready_event.set()
                self._server.serve_forever()

        self._server = Server(ip_address="127.0.0.1", port=0, verbose=False)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint_url = f"http://{host}:{port}"
        self.running = True

    def client(self) -> Any:
        import boto3

        return boto3.session.Session().client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=S3_ACCESS_KEY,
            aws_secret_access_key=S3_SECRET_KEY,
            region_name=S3_REGION,
        )

    def create_bucket(self, name: str | None = None) -> str:
        bucket = name or unique_name("etl-test-")
        self.client().create_bucket(Bucket=bucket)
        return bucket

    def remove_bucket(self, bucket: str) -> None:
        """Delete every object of ``bucket`` and the bucket itself (missing is fine)."""
        client = self.client()
        try:
            paginator = client.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=bucket):
                for item in page.get("Contents", ()):
                    client.delete_object(Bucket=bucket, Key=item["Key"])
            client.delete_bucket(Bucket=bucket)
        except client.exceptions.NoSuchBucket:
            pass

    def require_authentication(self, required: bool) -> None:
        """Turn moto's request authentication on (every request then needs IAM-known keys,
        which the test keys are not: a real ``403 InvalidAccessKeyId``) or off again. The
        switch is process-wide in moto, so callers turn it off in a ``finally``."""
        request = urllib.request.Request(
            f"{self.endpoint_url}/moto-api/reset-auth",
            data=b"0" if required else b"inf",
            # Not form-encoded (urllib's default): moto reads the raw body.
            headers={"Content-Type": "text/plain"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            response.read()

    def stop(self) -> None:
        if self.running:
            self._server.stop()
            self.running = False


# -- fixtures (re-exported by tests/conftest.py) ------------------------------------------------


@dataclass(frozen=True)
class RedisService:
    url: str
    prefix: str
    """Every key a test writes starts with it; the fixture deletes them afterwards."""
    client: Any


@pytest.fixture
def redis_service() -> Iterator[RedisService]:
    client = redis_client()
    prefix = unique_name("etl-test:") + ":"
    try:
        yield RedisService(REDIS_URL, prefix, client)
    finally:
        delete_redis_keys(client, prefix)
        client.close()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A SQLAlchemy URL of the test database whose tables go to a schema of this test only."""
    with postgres_schema() as url:
        yield url


@pytest.fixture
def rabbitmq() -> Iterator[Any]:
    """An open pika connection to the test broker; callers name their own exchanges and
    queues uniquely (:func:`unique_name`) and delete them."""
    connection = rabbitmq_connection()
    try:
        yield connection
    finally:
        if connection.is_open:
            connection.close()


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoS3Server]:
    server = MotoS3Server()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def s3_bucket(moto_server: MotoS3Server) -> Iterator[str]:
    """A fresh, empty bucket on the moto server, removed with its objects afterwards."""
    bucket = moto_server.create_bucket()
    try:
        yield bucket
    finally:
        if moto_server.running:
            moto_server.remove_bucket(bucket)


class TcpProxy:
    """A loopback TCP proxy to a service (the broker, PostgreSQL) that a test starts late, cuts
    and restores, as a network partition or a restart would look to the worker."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self._listener: socket.socket | None = None
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen()
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self._lock:
                self._sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(OSError):  # shutdown wakes the thread blocked in accept()
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None
        with self._lock:
            for s in self._sockets:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
            self._sockets.clear()
