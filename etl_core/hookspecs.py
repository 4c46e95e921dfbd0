"""The plugin contract of etl-core.

A plugin is a module (or object) with functions named like the hooks below, decorated with
:data:`etl_core.hookimpl`, listed under the ``etl_core.plugins`` entry-point group of its
distribution. Core's own behaviour (generic validation, the fallback processor, the training
JSONL writer) is registered through these same hooks.

Hooks are grouped by the pipeline phase that calls them. Plugins are pure: they get values and
return values; core does every read, write, dedup claim and acknowledgement. Every hook may be
called from several worker threads at once, so implementations must not keep mutable state.

Plugin API version: a plugin module sets ``ETL_PLUGIN_API = "1"`` (a string ``"MAJOR"`` or
``"MAJOR.MINOR"``, see :data:`etl_core.PLUGIN_API_VERSION`); core refuses another major, and a
minor newer than its own.

Core calls each plugin's implementation on its own and checks what comes back (see
:mod:`etl_core.plugins`): an exception or a result that breaks this contract fails the file
with one line naming the plugin and the hook.
"""

from __future__ import annotations

from collections.abc import Sequence

import pluggy

from etl_core.model import (
    Artifact,
    Batch,
    Finding,
    PluginCounter,
    ProcessedBatch,
    ProcessResult,
    RecordTypeSpec,
    ValidationReport,
)

hookspec = pluggy.HookspecMarker("etl_core")


# -- Discovery: called once at start-up, before any worker thread exists ---------------------


@hookspec
def etl_record_types() -> Sequence[RecordTypeSpec]:
    """Declare the record types this plugin owns.

    Called once per plugin while plugins are loaded. All results are collected. A record type
    may have one owner only: two plugins declaring the same name stop start-up with an error
    naming both. Each spec is checked at start-up (:mod:`etl_core.spec_checks`): its time,
    required and range fields must exist in its reader schema, its ranges must be sane and
    inside Health Connect's own limits. A plugin that only emits returns an empty sequence.

    :returns: one :class:`~etl_core.model.RecordTypeSpec` per owned record type, carrying its
        health domain, Avro reader schema, required fields, physiological ranges, time fields
        and instruction phrasings.
    """
    raise NotImplementedError


@hookspec
def etl_metrics() -> Sequence[PluginCounter] | None:
    """Declare Prometheus counters that this plugin's results feed.

    Called once per plugin at start-up, after :func:`etl_record_types`; all results are
    collected. Core creates each counter, labelled by ``record_type``, in the process's metrics
    registry; a :class:`~etl_core.model.ProcessResult` then increments them through its
    ``counters`` mapping (name -> amount), so plugins stay free of state. Names must match
    ``etl_<something>_total`` and be unique across plugins, or start-up stops.

    :returns: the counters, or ``None`` when the plugin has none.
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
    :returns: a :class:`~etl_core.model.ProcessResult` whose narrative states no figure that is
        absent from its insights, or ``None``.
    """


# -- Emit: once per processed batch ----------------------------------------------------------


@hookspec
def etl_emit(processed: ProcessedBatch) -> Sequence[Artifact] | None:
    """Turn a processed batch into output objects for core to store.

    Called on every plugin; all artifacts are collected and written by core, in the order
    returned. The training-JSONL writer is core's built-in implementation. Keys should be
    derived from content (so that a redelivered message writes the same object again rather
    than a second one) and stay relative to the output root.

    :returns: the artifacts, or ``None`` when this plugin emits nothing for this batch.
    """
