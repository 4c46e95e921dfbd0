"""Errors the pipeline reports as outcomes.

Each error says whether trying again later can help (``retriable``) and carries a short
``error_type`` for metrics and dead-letter headers. Messages name files and fields, never a
health value or a user id.
"""

from __future__ import annotations

import traceback


class EtlError(Exception):
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
    """A dependency was unavailable (storage, dedup store); the same input may succeed later."""

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
