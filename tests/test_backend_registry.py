"""Object stores are chosen by ``ETL_OBJECT_STORE`` from the ``etl_core.object_stores``
entry-point group, as dedup stores are from theirs; the memory dedup store forgets abandoned
claims as the SQL store does."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from etl_core.contract.envsettings import InvalidSettings
from etl_core.engine.backends import OBJECT_STORES, registered_backends
from etl_core.observability.metrics import EtlMetrics
from etl_core.settings import Settings
from etl_core.stores.dedup.base import ClaimStatus
from etl_core.stores.dedup.memory import InMemoryDedupStore
from etl_core.stores.factory import MeteredObjectStore, open_object_store, open_output_location
from etl_core.stores.objects import base, local
from etl_core.stores.objects.memory import InMemoryObjectStore
from etl_core.stores.objects.s3 import S3ObjectStore


def settings_with(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg, arg-type]


def test_core_registers_its_object_stores() -> None:
    assert {"s3", "local", "memory"} <= set(registered_backends(OBJECT_STORES))
    assert registered_backends(OBJECT_STORES)["s3"].extras == ["s3"]


def test_the_object_store_setting_defaults_to_s3_and_refuses_unregistered_names() -> None:
    assert settings_with().object_store == "s3"
    with pytest.raises(InvalidSettings) as error:
        settings_with(object_store="nope")
    assert "not a registered object store (registered: local, memory, s3" in str(error.value)


def test_the_setting_picks_the_store(tmp_path: Path) -> None:
    assert isinstance(open_object_store(settings_with(), "health-data", pool_size=4), S3ObjectStore)

    folder = tmp_path / "bucket"
    store = open_object_store(settings_with(object_store="local"), str(folder), pool_size=1)
    assert isinstance(store, local.LocalObjectStore)
    store.put("a/b.json", b"{}")
    assert (folder / "a" / "b.json").read_bytes() == b"{}"


def test_memory_stores_of_one_bucket_share_their_objects() -> None:
    settings = settings_with(object_store="memory")
    writer = open_object_store(settings, "shared-bucket-of-this-test", pool_size=1)
    reader = open_object_store(settings, "shared-bucket-of-this-test", pool_size=1)
    other = open_object_store(settings, "another-bucket-of-this-test", pool_size=1)
    assert isinstance(writer, InMemoryObjectStore)
    writer.put("raw/x.avro", b"x")
    assert reader.get("raw/x.avro") == b"x"
    assert not other.exists("raw/x.avro")
    assert writer.describe() == "memory://shared-bucket-of-this-test"


def test_metrics_count_the_requests_of_any_store() -> None:
    metrics = EtlMetrics(registry=CollectorRegistry())
    store = open_object_store(
        settings_with(object_store="memory"), "metered-bucket", pool_size=1, metrics=metrics
    )
    assert isinstance(store, MeteredObjectStore)
    store.put("k.json", b"{}")
    with pytest.raises(KeyError):
        store.get("missing.json")
    assert metrics.s3_requests.labels("put", "success")._value.get() == 1
    assert metrics.s3_requests.labels("get", "success")._value.get() == 1


def test_an_s3_location_is_s3_whatever_the_setting() -> None:
    store, prefix, label = open_output_location(
        "s3://datasets/train", settings_with(object_store="memory")
    )
    assert isinstance(store, S3ObjectStore)
    assert (prefix, label) == ("train/", "s3://datasets/train/")


def test_the_local_store_is_still_importable_from_base() -> None:
    assert base.LocalObjectStore is local.LocalObjectStore
    with pytest.raises(AttributeError):
        _ = base.NoSuchStore  # type: ignore[attr-defined]


def test_memory_dedup_cleanup_forgets_claims_abandoned_past_retention() -> None:
    now = [1000.0]
    store = InMemoryDedupStore(lease_seconds=10, retention_seconds=100, clock=lambda: now[0])
    assert store.claim("abandoned", "dead").status is ClaimStatus.CLAIMED
    store.claim("live", "alive")
    now[0] += 105  # past the lease, not yet a retention period past it
    assert store.cleanup() == 0
    assert store.state("abandoned") == "started"
    now[0] += 10
    store.claim("live", "alive-again")  # a fresh claim: its lease runs from now
    assert store.cleanup() == 1
    assert store.state("abandoned") is None
    assert store.state("live") == "started"
