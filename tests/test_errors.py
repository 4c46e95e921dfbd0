"""One error hierarchy: every exception etl-core defines is an ``EtlError``, labelled with an
``error_type`` of its own, and ``retriable`` exactly when it is a ``TransientError``. Retry
decisions read that attribute, so the behaviour tests below pin what each outage decides."""

from __future__ import annotations

import ast
import errno
import importlib
import inspect
import json
import pkgutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import etl_core
from etl_core.contract import errors
from etl_core.contract.errors import EtlError, TransientError
from etl_core.engine.pipeline import Job, Pipeline, Status
from etl_core.engine.registry import PluginRegistry
from etl_core.settings import Settings
from etl_core.stores.dedup import Claim, DedupUnavailableError
from etl_core.stores.dedup.sql import SqlDedupStore
from etl_core.stores.objects.base import (
    LocalObjectStore,
    ObjectNotFoundError,
    StorageError,
    StorageFullError,
    StorageRejectedError,
)
from etl_core.transports.handler import Action, MessageHandler
from etl_core.transports.rabbitmq.publisher import prepare_upload
from tests.support.records import temperature_file, temperature_records

OUTSIDE_BY_DESIGN = {"etl_core.cli.worker.StartupInterrupted"}
"""A ``BaseException`` on purpose: no store client's ``except Exception`` may swallow it."""

INHERITS_ITS_LABEL = {
    "etl_core.stores.objects.base.StorageError": "transient",
    "etl_core.stores.dedup.base.DedupUnavailableError": "transient",
    "etl_core.contract.envsettings.InvalidSettings": "invalid_settings",
}
"""Classes that keep their parent's ``error_type`` on purpose: a file failed by a storage or
dedup outage has always been reported as ``transient`` (metrics, dead-letter headers); settings
that fail to read are the settings error they always were."""


def _name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _etl_core_modules() -> Iterator[str]:
    for info in pkgutil.walk_packages(etl_core.__path__, "etl_core.", onerror=lambda _: None):
        if info.name.rsplit(".", 1)[-1] != "__main__":  # importing it would run the CLI
            yield info.name


def _exception_classes() -> dict[str, type[BaseException]]:
    """Every exception class defined at the top level of an importable etl_core module."""
    found: dict[str, type[BaseException]] = {}
    for module_name in _etl_core_modules():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if (exc.name or "").split(".")[0] == "etl_core":
                raise
            continue  # an optional dependency (an extra) that is not installed
        for value in vars(module).values():
            if (
                inspect.isclass(value)
                and issubclass(value, BaseException)
                and value.__module__ == module_name
            ):
                found[_name(value)] = value
    return found


CLASSES = _exception_classes()
CHECKED = {name: cls for name, cls in CLASSES.items() if name not in OUTSIDE_BY_DESIGN}


def test_the_walk_finds_the_known_classes() -> None:
    """Guards the checks below against passing vacuously."""
    assert len(CHECKED) >= 25
    for known in (EtlError, StorageError, DedupUnavailableError, ObjectNotFoundError):
        assert _name(known) in CLASSES
    assert set(CLASSES) >= OUTSIDE_BY_DESIGN


@pytest.mark.parametrize("name", sorted(CHECKED))
def test_every_exception_is_an_etl_error(name: str) -> None:
    assert issubclass(CHECKED[name], EtlError)


def test_startup_interrupted_stays_a_base_exception() -> None:
    from etl_core.cli.worker import StartupInterrupted

    assert not issubclass(StartupInterrupted, Exception)


def test_every_error_type_is_its_own_unless_inherited_on_purpose() -> None:
    hierarchy = {name: cls for name, cls in CHECKED.items() if issubclass(cls, EtlError)}
    owners: dict[str, str] = {}
    for name, cls in sorted(hierarchy.items()):
        label = cls.error_type
        if cls is not EtlError:
            assert label != EtlError.error_type, f"{name} keeps the root's error_type"
        if "error_type" not in vars(cls):
            assert INHERITS_ITS_LABEL.get(name) == label, f"{name} inherits {label!r}"
            continue
        assert name not in INHERITS_ITS_LABEL, f"{name} no longer inherits its label"
        assert label not in owners, f"{name} and {owners.get(label)} share {label!r}"
        owners[label] = name


def test_retriable_exactly_for_the_transient_family() -> None:
    for name, cls in CHECKED.items():
        if issubclass(cls, EtlError):
            assert cls.retriable is issubclass(cls, TransientError), name
    for unavailable in (StorageError, StorageFullError, DedupUnavailableError):
        assert issubclass(unavailable, TransientError)
    assert not StorageRejectedError.retriable
    assert not issubclass(StorageRejectedError, StorageError)


def test_the_builtins_callers_catch_are_kept() -> None:
    from etl_core.contract.timeutil import UnknownZoneError
    from etl_core.settings import SettingsError
    from etl_core.stores.objects.base import UnsafeKeyError
    from etl_core.transports.embedded import InputPathError
    from etl_core.transports.messages import InvalidMessageError

    for cls in (SettingsError, UnsafeKeyError, UnknownZoneError, InputPathError):
        assert issubclass(cls, ValueError), cls
    assert issubclass(InvalidMessageError, ValueError)
    assert issubclass(ObjectNotFoundError, KeyError)
    assert str(ObjectNotFoundError("a/b")) == str(KeyError("a/b"))
    assert SettingsError is errors.SettingsError


def test_the_errors_module_imports_only_the_standard_library() -> None:
    tree = ast.parse(Path(errors.__file__).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        else:
            continue
        for imported in names:
            top = imported.split(".")[0]
            assert top == "__future__" or top in sys.stdlib_module_names, imported


def test_the_documented_tree_names_every_class() -> None:
    tree = errors.__doc__ or ""
    for name, cls in CHECKED.items():
        if issubclass(cls, EtlError):
            assert f"{cls.__name__} [{cls.error_type}]" in tree, name


# -- the decisions that read ``retriable`` -----------------------------------------------------


class _FailingPuts(LocalObjectStore):
    """A local store whose writes fail with one error."""

    def __init__(self, root: Path, error: Exception) -> None:
        super().__init__(root)
        self.error = error

    def put(self, key: str, data: bytes, *, if_absent: bool = False) -> bool:
        raise self.error


class _FailingGets(LocalObjectStore):
    def __init__(self, root: Path, error: Exception) -> None:
        super().__init__(root)
        self.error = error

    def get(self, key: str) -> bytes:
        raise self.error


class _UnreachableDedup(SqlDedupStore):
    def claim(self, key: str, owner: str) -> Claim:
        raise DedupUnavailableError("dedup store unavailable: OperationalError")


def _job(user: str = "user-42") -> Job:
    return Job(
        data=temperature_file(temperature_records(6)),
        bucket="local",
        key="BodyTemperatureRecord_1.avro",
        user_id=user,
    )


def _full_disk() -> StorageFullError:
    error = StorageFullError("cannot write x: No space left on device", "/out/x")
    error.__cause__ = OSError(errno.ENOSPC, "No space left on device", "/out/x")
    return error


@pytest.mark.parametrize(
    ("error", "retriable", "error_type"),
    [
        (StorageError("cannot write x: Input/output error"), True, "transient"),
        (StorageRejectedError("s3: put refused: AccessDenied"), False, "storage_rejected"),
        (_full_disk(), True, "no_space"),
    ],
)
def test_a_failed_write_fails_the_file_as_its_error_says(
    tmp_path: Path,
    settings: Settings,
    temperature_registry: PluginRegistry,
    error: Exception,
    retriable: bool,
    error_type: str,
) -> None:
    dedup = SqlDedupStore.sqlite_file(tmp_path / "dedup.sqlite")
    try:
        store = _FailingPuts(tmp_path / "out", error)
        outcome = Pipeline(temperature_registry, store, dedup, settings).run(_job())
    finally:
        dedup.close()
    assert (outcome.status, outcome.retriable, outcome.error_type) == (
        Status.FAILED,
        retriable,
        error_type,
    )
    assert outcome.message == str(error)


def test_an_unreachable_dedup_store_fails_the_file_retriably(
    tmp_path: Path, settings: Settings, temperature_registry: PluginRegistry
) -> None:
    dedup = _UnreachableDedup.sqlite_file(tmp_path / "dedup.sqlite")
    try:
        store = LocalObjectStore(tmp_path / "out")
        outcome = Pipeline(temperature_registry, store, dedup, settings).run(_job())
    finally:
        dedup.close()
    assert (outcome.status, outcome.retriable, outcome.error_type) == (
        Status.FAILED,
        True,
        "transient",
    )
    assert outcome.message == "dedup store unavailable: OperationalError"


@pytest.mark.parametrize(
    ("error", "action", "error_type"),
    [
        (
            StorageError("s3: get failed: EndpointConnectionError"),
            Action.RETRY,
            "storage_unavailable",
        ),
        (
            StorageRejectedError("s3: get refused: AccessDenied"),
            Action.DEAD_LETTER,
            "storage_rejected",
        ),
        (ObjectNotFoundError("raw/x.avro"), Action.DEAD_LETTER, "missing_object"),
    ],
)
def test_a_failed_download_is_retried_only_when_retriable(
    tmp_path: Path,
    settings: Settings,
    temperature_registry: PluginRegistry,
    error: Exception,
    action: Action,
    error_type: str,
) -> None:
    data = temperature_file(temperature_records(6))
    upload = prepare_upload(
        data,
        "BodyTemperatureRecord_1.avro",
        user_id="user-42",
        bucket=settings.s3_bucket_name,
        pseudonym_key=b"k",
    )
    dedup = SqlDedupStore.sqlite_file(tmp_path / "dedup.sqlite")
    try:
        pipeline = Pipeline(
            temperature_registry, LocalObjectStore(tmp_path / "out"), dedup, settings
        )
        sources = _FailingGets(tmp_path / "sources", error)
        handler = MessageHandler(pipeline, lambda _bucket: sources, settings)
        decision = handler.handle(upload.message.model_dump_json().encode())
    finally:
        dedup.close()
    assert (decision.action, decision.error_type) == (action, error_type)
    assert "user-42" not in json.dumps(decision.error_message)
