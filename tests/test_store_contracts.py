"""Every built-in backend passes the contract a third-party backend is held to: the dedup
stores (sqlite, postgresql, redis, memory) and the object stores (local, memory, s3), each
opened by its registered factory as ``etl`` opens it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from etl_core.engine.backends import DEDUP_STORES, OBJECT_STORES, load_backend
from etl_core.settings import Settings
from etl_core.stores.dedup import DedupStore, DedupStoreRequest
from etl_core.stores.objects.base import ObjectStore, ObjectStoreRequest
from etl_core.testing import DedupStoreContract, ObjectStoreContract
from tests.services import S3_ACCESS_KEY, S3_REGION, S3_SECRET_KEY, MotoS3Server, RedisService


def open_dedup(name: str, request: DedupStoreRequest, **settings: object) -> DedupStore:
    """The ``name`` store from its entry point, with ``settings`` added to the request's."""
    factory = load_backend(DEDUP_STORES, name, setting="ETL_DEDUPLICATION_STORE")
    configured = request.settings.replace(**{"deduplication_store": name, **settings})
    store: DedupStore = factory(DedupStoreRequest(configured, request.default_sqlite_path))
    return store


def open_objects(name: str, settings: Settings, bucket: str) -> ObjectStore:
    factory = load_backend(OBJECT_STORES, name, setting="ETL_OBJECT_STORE")
    store: ObjectStore = factory(ObjectStoreRequest(settings, bucket, pool_size=8))
    return store


# -- dedup stores -------------------------------------------------------------------------------


class TestSqliteDedupContract(DedupStoreContract):
    def open_store(self, request: DedupStoreRequest) -> DedupStore:
        return open_dedup("sqlite", request)


class TestMemoryDedupContract(DedupStoreContract):
    def open_store(self, request: DedupStoreRequest) -> DedupStore:
        return open_dedup("memory", request)


@pytest.mark.services
class TestPostgresqlDedupContract(DedupStoreContract):
    @pytest.fixture(autouse=True)
    def _database(self, postgres_url: str) -> None:
        self.url = postgres_url

    def open_store(self, request: DedupStoreRequest) -> DedupStore:
        return open_dedup("postgresql", request, deduplication_url=self.url)


@pytest.mark.services
class TestRedisDedupContract(DedupStoreContract):
    @pytest.fixture(autouse=True)
    def _redis(self, redis_service: RedisService) -> None:
        self.redis = redis_service

    def open_store(self, request: DedupStoreRequest) -> DedupStore:
        return open_dedup(
            "redis",
            request,
            deduplication_url=self.redis.url,
            deduplication_key_prefix=self.redis.prefix,
        )


# -- object stores ------------------------------------------------------------------------------


def plain_settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg, arg-type]


class TestLocalObjectContract(ObjectStoreContract):
    @pytest.fixture(autouse=True)
    def _folder(self, tmp_path: Path) -> None:
        self.folder = tmp_path / "bucket"

    def open_store(self) -> ObjectStore:
        return open_objects("local", plain_settings(), str(self.folder))


class TestMemoryObjectContract(ObjectStoreContract):
    def open_store(self) -> ObjectStore:
        # Memory buckets live as long as the process: a bucket of this test's own.
        return open_objects("memory", plain_settings(), f"contract-{uuid.uuid4().hex}")


@pytest.mark.services
class TestS3ObjectContract(ObjectStoreContract):
    @pytest.fixture(autouse=True)
    def _bucket(self, moto_server: MotoS3Server, s3_bucket: str) -> Iterator[None]:
        self.settings = plain_settings(
            s3_endpoint_url=moto_server.endpoint_url,
            s3_access_key=S3_ACCESS_KEY,
            s3_secret_key=S3_SECRET_KEY,
            s3_region=S3_REGION,
        )
        self.bucket = s3_bucket
        yield

    def open_store(self) -> ObjectStore:
        return open_objects("s3", self.settings, self.bucket)
