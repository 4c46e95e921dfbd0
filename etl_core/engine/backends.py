"""Backends come from entry-point groups, the way plugins do.

A dedup store or an object store is a factory registered under its group in some
distribution's metadata; core registers its own built-ins the same way (see its
``pyproject.toml``), so a third-party backend is one module plus one entry point, and a
setting naming a backend is checked against what is installed. An entry point may name the
extra its module needs (``redis = "etl_core.stores.dedup.redis:open_store [redis]"``); when
that module cannot be imported the error names the extra to install.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from etl_core.settings import SettingsError

DEDUP_STORES = "etl_core.dedup_stores"
"""Entry-point group of dedup store factories: ``(DedupStoreRequest) -> DedupStore``."""
OBJECT_STORES = "etl_core.object_stores"
"""Entry-point group of object store factories: ``(ObjectStoreRequest) -> ObjectStore``."""

__all__ = [
    "DEDUP_STORES",
    "OBJECT_STORES",
    "MissingExtraError",
    "UnknownBackendError",
    "load_backend",
    "registered_backends",
]


class UnknownBackendError(SettingsError):
    """A setting names a backend no installed distribution registers."""

    error_type = "unknown_backend"


class MissingExtraError(SettingsError):
    """A registered backend's module cannot be imported: its extra is not installed."""

    error_type = "missing_extra"


def registered_backends(group: str) -> dict[str, EntryPoint]:
    """The backends installed under ``group``, by name (read afresh: installing a distribution
    registers its backends without a restart)."""
    return {entry.name: entry for entry in entry_points(group=group)}


def load_backend(group: str, name: str, *, setting: str) -> Callable[..., Any]:
    """The factory registered as ``name`` in ``group``; ``setting`` is the setting that named
    it, for the error."""
    entries = registered_backends(group)
    entry = entries.get(name)
    if entry is None:
        known = ", ".join(sorted(entries)) or "none"
        raise UnknownBackendError(f"{setting}={name} is not installed (registered: {known})")
    try:
        factory = entry.load()
    except ImportError as exc:
        extra = entry.extras[0] if entry.extras else None
        hint = f"pip install 'etl-core[{extra}]'" if extra else f"install {exc.name or 'it'}"
        raise MissingExtraError(
            f"{setting}={name} needs a package that is not installed: {hint}"
        ) from exc
    if not callable(factory):
        raise UnknownBackendError(f"{setting}={name} is registered as {entry.value}, not a factory")
    return factory  # type: ignore[no-any-return]
