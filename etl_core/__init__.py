"""ETL Narrative Engine core: the plugin contract, the pipeline and its embedded runner.

Plugins import only what this module exports, the public helpers of :mod:`etl_core.contract`
(:mod:`~etl_core.contract.timeutil`, :mod:`~etl_core.contract.figures`,
:mod:`~etl_core.contract.memo`,
:mod:`~etl_core.contract.schemas`, :mod:`~etl_core.contract.windows`,
:mod:`~etl_core.contract.wording`), :mod:`etl_core.review.svg` and, in tests,
:mod:`etl_core.testing`.

Names are resolved on first use (PEP 562), so ``import etl_core`` loads no model, no pipeline
and no database or broker client: a command line that only prints its version stays fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from etl_core.contract.envsettings import EnvSettings, InvalidSettings, setting
    from etl_core.contract.model import (
        Artifact,
        Batch,
        Chart,
        Dimension,
        ExampleKind,
        ExampleText,
        Finding,
        PluginCounter,
        ProcessedBatch,
        ProcessResult,
        Record,
        RecordTypeSpec,
        Severity,
        SourceRef,
        UserContext,
        ValidationReport,
        ValueRange,
    )
    from etl_core.contract.timeutil import ClockSource
    from etl_core.contract.windows import (
        FRIDAY,
        MONDAY,
        SATURDAY,
        SUNDAY,
        THURSDAY,
        TUESDAY,
        WEDNESDAY,
        Window,
        WindowRule,
    )
    from etl_core.contract.wording import choose

    __version__: str

PLUGIN_API_VERSION = "1.6"
"""The plugin contract's version, ``MAJOR.MINOR``. A plugin module declares the version it is
written against as a string, ``ETL_PLUGIN_API = "1"`` or ``"1.0"``. Core refuses a plugin whose
major differs (majors break the contract) and one written for a newer minor than this core
offers (minors only add optional things, so an older minor always runs); see
:func:`etl_core.engine.registry.api_problem`."""

hookimpl = pluggy.HookimplMarker("etl_core")
"""Decorator for plugin hook implementations (see :mod:`etl_core.contract.hookspecs`)."""

_HOME = {
    **dict.fromkeys(
        (
            "Artifact",
            "Batch",
            "Chart",
            "Dimension",
            "ExampleKind",
            "ExampleText",
            "Finding",
            "PluginCounter",
            "ProcessedBatch",
            "ProcessResult",
            "Record",
            "RecordTypeSpec",
            "Severity",
            "SourceRef",
            "UserContext",
            "ValidationReport",
            "ValueRange",
        ),
        "etl_core.contract.model",
    ),
    "ClockSource": "etl_core.contract.timeutil",
    **dict.fromkeys(
        (
            "FRIDAY",
            "MONDAY",
            "SATURDAY",
            "SUNDAY",
            "THURSDAY",
            "TUESDAY",
            "WEDNESDAY",
            "Window",
            "WindowRule",
        ),
        "etl_core.contract.windows",
    ),
    "choose": "etl_core.contract.wording",
    **dict.fromkeys(("EnvSettings", "InvalidSettings", "setting"), "etl_core.contract.envsettings"),
}
"""Where each exported name is defined."""


def __getattr__(name: str) -> Any:
    if name in _HOME:
        value = getattr(importlib.import_module(_HOME[name]), name)
    elif name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            value = version("etl-core")
        except PackageNotFoundError:  # a source tree that is not installed
            value = "0.0.0"
    else:
        raise AttributeError(f"module 'etl_core' has no attribute {name!r}")
    globals()[name] = value  # resolved once
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "FRIDAY",
    "MONDAY",
    "PLUGIN_API_VERSION",
    "SATURDAY",
    "SUNDAY",
    "THURSDAY",
    "TUESDAY",
    "WEDNESDAY",
    "Artifact",
    "Batch",
    "Chart",
    "ClockSource",
    "Dimension",
    "EnvSettings",
    "ExampleKind",
    "ExampleText",
    "Finding",
    "InvalidSettings",
    "PluginCounter",
    "ProcessResult",
    "ProcessedBatch",
    "Record",
    "RecordTypeSpec",
    "Severity",
    "SourceRef",
    "UserContext",
    "ValidationReport",
    "ValueRange",
    "Window",
    "WindowRule",
    "__version__",
    "choose",
    "hookimpl",
    "setting",
]
