"""Keeping raw user identifiers out of what the engine writes.

Producers name objects as they like, and some put the raw user id in the key (the upstream
upload service: ``raw/AvroStepsRecord/2026/11/29/<user id>_<timestamp>.avro``). Keys are carried
into outputs, logs, dead-letter headers and quarantine only as :func:`redact_key` leaves them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import quote

# Local part and domain as mail addresses are written in practice; "%40" is "@" URL-encoded.
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+(?:@|%40)[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# File extensions kept out of the e-mail pattern: "x@example.com.avro" is not at "com.avro".
_FILE_EXTENSIONS = re.compile(r"(?:\.(?:avro|json|jsonl|gz|tmp|part))+$", re.IGNORECASE)


def redact_key(key: str, user_id: str, pseudonym: Callable[[str], str]) -> str:
    """``key`` with every occurrence of ``user_id`` that stands apart (bounded by the key's
    ends or by characters other than letters and digits, such as ``/``, ``_``, ``-``, ``.``)
    replaced by the user's pseudonym, and every other e-mail-looking token by its own.
    ``pseudonym`` maps an identifier to its pseudonym (the HMAC used for user ids, so the
    result is stable and names no one).

    A short id such as ``"1"`` is replaced only where it stands apart: ``1_20261129.avro``
    becomes ``u_<hex>_20261129.avro`` while the ``1`` inside ``20261129`` is left alone.
    """
    if user_id:
        replacement = pseudonym(user_id)
        for variant in sorted({user_id, quote(user_id, safe="")}, key=len, reverse=True):
            pattern = re.compile(rf"(?<![A-Za-z0-9]){re.escape(variant)}(?![A-Za-z0-9])")
            key = pattern.sub(lambda _: replacement, key)
    return "/".join(_redact_emails(part, pseudonym) for part in key.split("/"))


def _redact_emails(segment: str, pseudonym: Callable[[str], str]) -> str:
    extension = _FILE_EXTENSIONS.search(segment)
    cut = extension.start() if extension else len(segment)
    stem = _EMAIL.sub(lambda found: pseudonym(found.group(0)), segment[:cut])
    return stem + segment[cut:]
