"""The plugin contract of etl-core.

A plugin is a module (or object) with functions named like the hooks below, decorated with
:data:`etl_core.hookimpl`, listed under the ``etl_core.plugins`` entry-point group of its
distribution. Core's own behaviour (generic validation, the fallback processor, the training
JSONL writer) is registered through these same hooks.

Hooks are grouped by the pipeline phase that calls them. Plugins are pure: they get values and
return values; core does every read, write, dedup claim and acknowledgement. Every hook may be
called from several worker threads at once, so implementations must not keep mutable state; the
one thing a plugin keeps is its validated settings, handed over once by :func:`etl_configure`
before any worker thread exists.

Plugin API version: a plugin module sets ``ETL_PLUGIN_API = "1"`` (a string ``"MAJOR"`` or
``"MAJOR.MINOR"``, see :data:`etl_core.PLUGIN_API_VERSION`); core refuses another major, and a
minor newer than its own.

Core calls each plugin's implementation on its own and checks what comes back (see
:mod:`etl_core.engine.registry`): an exception or a result that breaks this contract fails the file
with one line naming the plugin and the hook.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pluggy

from etl_core.contract.envsettings import EnvSettings
from etl_core.contract.model import (
    Artifact,
    Batch,
    Chart,
    Finding,
    PluginCounter,
    ProcessedBatch,
    ProcessResult,
    RecordTypeSpec,
    ValidationReport,
)
from etl_core.contract.windows import Window, WindowRule

if TYPE_CHECKING:
    # Only named: core imports pydantic-settings for a plugin that declares such a class.
    from pydantic_settings import BaseSettings

__all__ = [
    "etl_configure",
    "etl_emit",
    "etl_metrics",
    "etl_process",
    "etl_process_window",
    "etl_record_types",
    "etl_review_charts",
    "etl_settings",
    "etl_validate",
    "etl_windows",
]


hookspec = pluggy.HookspecMarker("etl_core")


# -- Discovery: called once at start-up, before any worker thread exists ---------------------


@hookspec
def etl_settings() -> type[EnvSettings] | type[BaseSettings] | None:
    """Declare the settings this plugin reads (plugin API 1.3, optional).

    Called once per plugin at start-up, before :func:`etl_record_types`; all results are
    collected, each answer belonging to the plugin that gave it. Return the class itself, not
    an instance, with an ``env_prefix`` of the plugin's own (``ETL_SLEEP_``): an
    :class:`etl_core.EnvSettings` subclass (plugin API 1.6; costs no import) or a
    ``pydantic_settings.BaseSettings`` subclass (``env_prefix`` in its ``model_config``; core
    imports pydantic-settings only for such a class). Core instantiates it once, so the
    environment (and a ``.env`` file, if the class names one) is read and validated before any
    message is consumed. An invalid value stops start-up with one line naming the plugin and
    the variable, instead of failing every file later. Core then hands the instance to
    :func:`etl_configure`.

    :returns: the settings class, or ``None`` when the plugin has no settings.
    """


@hookspec
def etl_configure(settings: EnvSettings | BaseSettings) -> None:
    """Receive this plugin's validated settings (plugin API 1.3, optional).

    Called once per plugin whose :func:`etl_settings` returned a class, right after core
    instantiated it, at start-up, before :func:`etl_record_types` and before any worker thread
    exists; all collected (every result is ignored). ``settings`` is that plugin's own instance,
    never another plugin's. Keep it (a module-level reference is fine: it is set before any
    hook runs on a worker thread and only read afterwards) and derive what the other hooks need
    from it; never read ``os.environ`` in a hook. A plugin implementing this hook without
    :func:`etl_settings` is refused at start-up. An exception here stops start-up with one line
    naming the plugin.

    :param settings: an instance of the class this plugin's :func:`etl_settings` returned.
    """


@hookspec
def etl_record_types() -> Sequence[RecordTypeSpec]:
    """Declare the record types this plugin owns.

    Called once per plugin while plugins are loaded. All results are collected. A record type
    may have one owner only: two plugins declaring the same name stop start-up with an error
    naming both. Each spec is checked at start-up (:mod:`etl_core.engine.spec_checks`): its time,
    required and range fields must exist in its reader schema, its ranges must be sane and
    inside Health Connect's own limits. A plugin that only emits returns an empty sequence.

    :returns: one :class:`~etl_core.RecordTypeSpec` per owned record type, carrying its
        health domain, Avro reader schema, required fields, physiological ranges, time fields
        and instruction phrasings.
    """
    raise NotImplementedError


@hookspec
def etl_metrics() -> Sequence[PluginCounter] | None:
    """Declare Prometheus counters that this plugin's results feed.

    Called once per plugin at start-up, after :func:`etl_record_types`; all results are
    collected. Core creates each counter, labelled by ``record_type``, in the process's metrics
    registry; a :class:`~etl_core.ProcessResult` then increments them through its
    ``counters`` mapping (name -> amount), so plugins stay free of state. Names must match
    ``etl_<something>_total`` and be unique across plugins, or start-up stops.

    :returns: the counters, or ``None`` when the plugin has none.
    """


@hookspec(firstresult=True)
def etl_windows(spec: RecordTypeSpec) -> Sequence[WindowRule] | None:
    """Declare the calendar windows the examples of an owned record type describe.

    Called once per owned record type at start-up, on its owner only; **first result**. Each
    rule names one kind of window (a local day, a night, an ISO week, the 14 days ending on
    each Sunday; see :class:`~etl_core.contract.windows.WindowRule`). Core then keeps every distinct
    record of the type per person and asks :func:`etl_process_window` for each window whose
    records changed. Return ``None`` (or don't implement the hook) to keep the per-upload
    behaviour: :func:`etl_process` once per file.

    :returns: the rules, each with a distinct ``name``, or ``None``.
    """


# -- Validate: once per decoded batch, before processing -------------------------------------


@hookspec
def etl_validate(batch: Batch, spec: RecordTypeSpec) -> Sequence[Finding] | None:
    """Inspect a decoded batch and report what is wrong with it.

    Called for every batch on core's generic checks and on the owner of ``batch.record_type``
    only (a plugin's findings apply to the record types it owns); results are concatenated.
    Implementations still return ``None`` for record types they do not own (the contract suite
    shows them real records of other types). Core's generic checks (required fields, ranges,
    time order, end before start, schema) are a built-in implementation driven by ``spec``.

    :param batch: all decoded records of one input file (possibly none).
    :param spec: the owner's declaration for ``batch.record_type`` (a generic one when no
        plugin owns the type).
    :returns: findings; an ``ERROR`` finding names (in ``record_indices``, at least one, all
        inside the batch) the records to leave out of processing; a ``BLOCKING`` finding sends
        the file to quarantine, as do ``ERROR`` findings that together leave out every record.
        Messages state counts and rules, never a record's value: core redacts figures that
        equal a value of the records and logs a contract violation.
    """


# -- Process: once per batch that passed validation -------------------------------------------


@hookspec(firstresult=True)
def etl_process(
    batch: Batch, spec: RecordTypeSpec, validation: ValidationReport
) -> ProcessResult | None:
    """Turn a validated batch into a narrative and structured clinical insights.

    Stops at the first non-``None`` result. Core asks only the owner of ``batch.record_type``
    (declared through :func:`etl_record_types`) and then its generic fallback, which answers for
    every type with counts, time span and sources. An owner may return ``None`` to decline a
    batch it cannot interpret; the fallback then describes it, saying that the owner (named)
    declined it, not that no processor is installed.

    :param batch: the batch without the records that validation excluded.
    :param validation: the scored findings, for narratives that mention data quality.
    :returns: a :class:`~etl_core.ProcessResult` whose narrative states no figure that is
        absent from its insights, or ``None``.
    """


@hookspec(firstresult=True)
def etl_process_window(window: Window, spec: RecordTypeSpec) -> ProcessResult | None:
    """Turn one calendar window of one person's records into insights and examples.

    Called on the owner of ``window.record_type`` only, for each window of a rule it declared
    through :func:`etl_windows`, whenever the window's records change (a new file, a record
    revised, a day first seen in progress and later complete, a late file); **first result**.
    The result replaces the window's previous examples. It must be a pure function of the
    window: the same records give the same result, whichever file brought them and in which
    order.

    :param window: every distinct record of the person touching the window, plus
        ``window.earlier`` (the ``lookback_days`` before it) when the rule asks for it. The
        records are shared with the other windows of the same rebuild pass: read them, never
        change them.
    :returns: a :class:`~etl_core.ProcessResult` (its ``examples`` the window's training
        examples), or ``None`` when there is nothing to interpret: the window then has no
        example.
    """


# -- Emit: once per processed batch ----------------------------------------------------------


@hookspec
def etl_emit(processed: ProcessedBatch) -> Sequence[Artifact] | None:
    """Turn a processed result into output objects for core to store: a rebuilt window's
    (``processed.window`` is the window) or a per-upload batch's (``processed.window`` is
    ``None``).

    Called on every plugin; all artifacts are collected and written by core, in the order
    returned. The training-JSONL writer is core's built-in implementation. Keys should be
    derived from content (so that a redelivered message writes the same object again rather
    than a second one) and stay relative to the output root.

    :returns: the artifacts, or ``None`` when this plugin emits nothing for this batch.
    """


# -- Review: once per window shown by ``etl review`` ------------------------------------------


@hookspec(firstresult=True)
def etl_review_charts(
    window: Window, insights: Mapping[str, Any], spec: RecordTypeSpec
) -> Sequence[Chart] | None:
    """Draw the charts of one window for the review report (plugin API 1.2, optional).

    Called by ``etl review``, never by the pipeline, on the owner of ``window.record_type``
    only, once per window that has examples; **first result**. ``window`` is rebuilt from the
    record history exactly as :func:`etl_process_window` received it, so the charts show the
    records the narrative was written from, not numbers estimated again. When the owner does
    not implement the hook or returns ``None``, core draws its generic chart (records per local
    day). Draw with :mod:`etl_core.review.svg` (pure functions, no dependency).

    :param window: the window's records (and ``earlier``), as at its last build.
    :param insights: the ``clinical_insights`` of the window's published example, to mark
        what the processor found (a resting window, events) rather than finding it again.
    :returns: :class:`~etl_core.Chart` objects, in the order to show them, or ``None``.
        Core checks each one (:func:`etl_core.review.svg.chart_problem`): an ``<svg>`` with
        no script or link, a title, a text alternative, and exactly ``marks`` elements of
        class ``mark``.
    """
