"""The upload message that announces a file to the worker.

Two producers' shapes are accepted unchanged besides the engine's own (``etl publish``): the
upstream upload service's and the upstream message-queue library's. They differ from ours in
three ways bridged here: the message id may come only as the AMQP ``message_id`` property, the
sha256 may be called ``file_hash``, and the record type may be the Avro schema name
(``AvroStepsRecord`` for ``StepsRecord``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from etl_core.contract.errors import InputError

ROUTING_PREFIX = "health.processing"

_AVRO_SCHEMA_NAME = re.compile(r"^Avro([A-Z][A-Za-z0-9]{0,80}Record)$")


class UploadMessage(BaseModel):
    """One uploaded Avro file. Unknown fields are ignored so that publishers can add fields."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    message_id: str = Field(min_length=1, max_length=200)
    correlation_id: str = Field(min_length=1, max_length=200)
    user_id: str = Field(min_length=1, max_length=200)
    bucket: str = Field(min_length=3, max_length=63)
    key: str = Field(min_length=1, max_length=1024)
    record_type: str = Field(pattern=r"^[A-Z][A-Za-z0-9]{0,80}Record$")
    upload_timestamp_utc: datetime
    content_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    file_size_bytes: int = Field(ge=0)
    record_count: int | None = Field(default=None, ge=0)
    """Informational: the records are counted from the file itself."""
    idempotency_key: str = Field(min_length=1, max_length=255)
    priority: str = Field(default="normal", pattern=r"^[a-z]{1,16}$")
    retry_count: int = Field(default=0, ge=0)
    timezone: str | None = Field(default=None, max_length=64)
    age_years: int | None = Field(default=None, ge=0, le=130)

    @model_validator(mode="before")
    @classmethod
    def _upstream_names(cls, data: Any) -> Any:
        """Read the upstream producers' names for our fields (see the module docstring)."""
        if not isinstance(data, Mapping):
            return data
        document = dict(data)
        if "content_hash" not in document and "file_hash" in document:
            document["content_hash"] = document["file_hash"]
        elif "file_hash" in document and document["file_hash"] != document["content_hash"]:
            raise ValueError("content_hash and file_hash differ")
        if "priority" not in document and "processing_priority" in document:
            document["priority"] = document["processing_priority"]
        record_type = document.get("record_type")
        if isinstance(record_type, str) and (match := _AVRO_SCHEMA_NAME.match(record_type)):
            document["record_type"] = match.group(1)
        return document

    @property
    def routing_key(self) -> str:
        return f"{ROUTING_PREFIX}.{self.record_type}.{self.priority}"


class InvalidMessageError(InputError, ValueError):
    """A message body that is not a valid upload message. The text names fields and problems,
    never their values (they may be health data or user ids)."""

    error_type = "invalid_message"


def parse_message(
    body: bytes, *, message_id: str | None = None, correlation_id: str | None = None
) -> UploadMessage:
    """Parse an upload message. ``message_id`` and ``correlation_id`` are the AMQP properties:
    they stand in for the body's fields when the body has none (the upstream upload service
    sends its message id only as the property)."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise InvalidMessageError("invalid upload message: body: not a JSON document") from None
    if isinstance(document, dict):
        if not document.get("message_id") and message_id:
            document["message_id"] = message_id
        if not document.get("correlation_id") and correlation_id:
            document["correlation_id"] = correlation_id
    try:
        return UploadMessage.model_validate(document)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, error['loc'])) or 'body'}: {error['msg']}"
            for error in exc.errors(include_input=False, include_url=False)
        )
        raise InvalidMessageError(f"invalid upload message: {problems}"[:1000]) from None


def claimed_user_id(body: bytes) -> str:
    """The ``user_id`` an unreadable message's body names, or ``""``: enough to keep it out of
    the dead-letter copy's headers even when the rest of the message is unusable."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return ""
    user_id = document.get("user_id") if isinstance(document, dict) else None
    return user_id if isinstance(user_id, str) else ""
