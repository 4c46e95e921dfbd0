"""Errors the pipeline reports as outcomes.

Each error says whether trying again later can help (``retriable``) and carries a short
``error_type`` for metrics and dead-letter headers. Messages name files and fields, never a
health value or a user id.
"""

from __future__ import annotations


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
    """A plugin raised: a bug to fix, not an input to retry."""

    error_type = "processor_error"
