"""The upload message that announces a file to the worker."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, ValidationError

ROUTING_PREFIX = "health.processing"


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
    record_count: int = Field(ge=0)
    idempotency_key: str = Field(min_length=1, max_length=255)
    priority: str = Field(default="normal", pattern=r"^[a-z]{1,16}$")
    retry_count: int = Field(default=0, ge=0)
    timezone: str | None = Field(default=None, max_length=64)
    age_years: int | None = Field(default=None, ge=0, le=130)

    @property
    def routing_key(self) -> str:
        return f"{ROUTING_PREFIX}.{self.record_type}.{self.priority}"


class InvalidMessageError(ValueError):
    """A message body that is not a valid upload message. The text names fields and problems,
    never their values (they may be health data or user ids)."""


def parse_message(body: bytes) -> UploadMessage:
    try:
        return UploadMessage.model_validate_json(body)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, error['loc'])) or 'body'}: {error['msg']}"
            for error in exc.errors(include_input=False, include_url=False)
        )
        raise InvalidMessageError(f"invalid upload message: {problems}"[:1000]) from None
