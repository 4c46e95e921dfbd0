"""ETL Narrative Engine core: the plugin contract, the pipeline and its embedded runner.

Plugins import only what this module exports (and :mod:`etl_core.contract.timeutil`,
:mod:`etl_core.contract.figures`, :mod:`etl_core.contract.schemas`, :mod:`etl_core.review.svg`,
:mod:`etl_core.testing`).
"""

from importlib.metadata import PackageNotFoundError, version

import pluggy

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

try:
    __version__ = version("etl-core")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

PLUGIN_API_VERSION = "1.2"
"""The plugin contract's version, ``MAJOR.MINOR``. A plugin module declares the version it is
written against as a string, ``ETL_PLUGIN_API = "1"`` or ``"1.0"``. Core refuses a plugin whose
major differs (majors break the contract) and one written for a newer minor than this core
offers (minors only add optional things, so an older minor always runs); see
:func:`etl_core.engine.registry.api_problem`."""

hookimpl = pluggy.HookimplMarker("etl_core")
"""Decorator for plugin hook implementations (see :mod:`etl_core.contract.hookspecs`)."""

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
    "ExampleKind",
    "ExampleText",
    "Finding",
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
]
