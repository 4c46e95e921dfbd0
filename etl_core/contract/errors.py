"""Errors etl-core raises, under one root.

Every exception etl-core defines is an :class:`EtlError`. Each says whether trying again
later can help (``retriable``: true for the :class:`TransientError` family alone, so callers
deciding retry, requeue or dead-letter read the attribute instead of listing classes) and
carries a short ``error_type`` for metrics, logs and dead-letter headers. Messages name files,
fields and settings, never a health value or a user id.

The tree (``error_type`` in brackets; a module in parentheses defines the class there)::

    EtlError [etl_error]
    +-- InputError [invalid_input]              the input itself is unusable
    |   +-- FileTooLargeError [file_too_large]
    |   +-- DecodeError [decode_error]
    |   +-- SchemaIncompatibleError [schema_incompatible]
    |   +-- RecordTypeMismatchError [record_type_mismatch]
    |   +-- InvalidMessageError [invalid_message]       (transports.messages)
    +-- TransientError [transient]  retriable    a dependency is unavailable or busy
    |   +-- StorageError [transient]                    (stores.objects.base)
    |   |   +-- StorageFullError [storage_full]         (stores.objects.base)
    |   +-- DedupUnavailableError [transient]           (stores.dedup.base)
    |   +-- HistoryUnavailableError [history_unavailable]  (stores.history)
    |   +-- CompactionBusyError [compaction_busy]       (outputs.compaction)
    +-- ProcessorError [processor_error]        a plugin raised or broke the contract
    +-- ConfigurationError [configuration_error]  the installation cannot run as configured
    |   +-- SettingsError [invalid_settings]
    |   |   +-- InvalidSettings [invalid_settings]      (contract.envsettings)
    |   |   +-- UnknownBackendError [unknown_backend]   (engine.backends)
    |   |   +-- MissingExtraError [missing_extra]       (engine.backends)
    |   +-- PluginLoadError [plugin_load_error]         (engine.registry)
    |   +-- TopologyConflictError [topology_conflict]   (transports.rabbitmq.topology)
    +-- RequestError [invalid_request]          what was asked names something unusable
    |   +-- UnsafeKeyError [unsafe_key]                 (stores.objects.base)
    |   +-- ObjectNotFoundError [missing_object]        (stores.objects.base)
    |   +-- UnknownZoneError [unknown_zone]             (contract.timeutil)
    |   +-- InputPathError [input_path]                 (transports.embedded)
    |   +-- NoSuchQueueError [no_such_queue]            (transports.rabbitmq.dlq)
    |   +-- DatasetError [dataset_error]                (outputs.dataset)
    |   +-- ScaffoldError [scaffold_error]              (cli.scaffold)
    +-- StorageRejectedError [storage_rejected]  (stores.objects.base) refused for good
    +-- NoSpaceError [no_space]                  (transports.embedded) ``etl run`` stopped

Some classes also subclass the builtin that callers have always caught: :class:`SettingsError`,
``UnsafeKeyError``, ``UnknownZoneError``, ``InputPathError`` and ``InvalidMessageError`` are
``ValueError`` subclasses, ``ObjectNotFoundError`` a ``KeyError``. ``StorageError`` and
``DedupUnavailableError`` keep the ``error_type`` ``transient`` that a failed file has always
been reported with when storage or the dedup store was down.

This module imports nothing beyond the standard library: any module, however light, may
import it.
"""

from __future__ import annotations

import traceback

__all__ = [
    "ConfigurationError",
    "DecodeError",
    "EtlError",
    "FileTooLargeError",
    "InputError",
    "ProcessorError",
    "RecordTypeMismatchError",
    "RequestError",
    "SchemaIncompatibleError",
    "SettingsError",
    "TransientError",
]


class EtlError(Exception):
    """The root of every error etl-core raises. ``retriable``: whether the same work may
    succeed later; ``error_type``: a short stable label for metrics and dead-letter headers."""

    error_type = "etl_error"
    retriable = False


class InputError(EtlError):
    """The input itself is unusable; retrying cannot help."""

    error_type = "invalid_input"


class FileTooLargeError(InputError):
    error_type = "file_too_large"


class DecodeError(InputError):
    error_type = "decode_error"


class SchemaIncompatibleError(InputError):
    error_type = "schema_incompatible"


class RecordTypeMismatchError(InputError):
    error_type = "record_type_mismatch"


class TransientError(EtlError):
    """A dependency was unavailable or busy (storage, dedup store, record history, a lease);
    the same input may succeed later. The only family with ``retriable`` true."""

    error_type = "transient"
    retriable = True


class ProcessorError(EtlError):
    """A plugin raised or broke the contract: a bug to fix, not an input to retry. ``plugin``
    and ``hook`` say whose and where; the original exception, if any, is ``__cause__`` (its
    traceback is logged at DEBUG level only, since it may quote a health value)."""

    error_type = "processor_error"

    def __init__(self, message: str, *, plugin: str = "", hook: str = "") -> None:
        super().__init__(message)
        self.plugin = plugin
        self.hook = hook

    def traceback_text(self) -> str:
        """The original exception's traceback, or ``""``."""
        cause = self.__cause__
        if cause is None:
            return ""
        return "".join(traceback.format_exception(type(cause), cause, cause.__traceback__))


class ConfigurationError(EtlError):
    """The installation cannot run as configured (settings, plugins, backends, the broker's
    topology); waiting does not help, changing the configuration does."""

    error_type = "configuration_error"


class SettingsError(ConfigurationError, ValueError):
    """A configuration that cannot be run with. A ``ValueError`` too, as it always was."""

    error_type = "invalid_settings"


class RequestError(EtlError):
    """What was asked names something that does not exist or is not allowed (a path, an
    object key, a queue, a time zone, a data set's options); asking again the same way cannot
    help."""

    error_type = "invalid_request"
