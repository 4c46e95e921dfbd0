"""Rebuilding the monthly ``health_journal_<YYYY>_<MM>.jsonl`` views.

The example objects under ``.../examples/`` are the source of truth. A window's examples are
revisions, ``<window id>/r<revision>.jsonl``: the journal takes the highest revision of each
window (an empty one withdraws it), so it never holds two revisions of one window. A per-upload
example, ``<id>.json``, is written once under a content-derived key. A journal is rebuilt from a
full listing and replaced atomically; run under a lock (the embedded runner uses a file lock),
the last rebuild sees every example whose writer finished before it started. ``etl compact``
rebuilds them on demand.

Incremental compaction (:func:`compact_changed`, what ``etl compact`` runs, locally or against
the workers' bucket) keeps a marker object per month, ``<month>/compaction.json``, holding the
digest of the example keys its journal was built from. A month whose current example keys have
the same digest is left alone; any other is rebuilt from one listing: the journal is written
first, then the marker, and no example object is ever deleted. Example keys are content-derived
and written once (a rebuilt window writes a new revision key), so equal keys mean equal
examples. Workers may write while it runs: an example that lands after the listing is not in
this journal, its month's digest no longer matches the marker, and the next compaction
rebuilds it. Against S3, one compaction at a time holds a lease object
(:func:`compaction_lease`).
"""

from __future__ import annotations

import hashlib
import json
import re
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from etl_core.contract.errors import TransientError
from etl_core.stores.objects.base import ObjectNotFoundError, ObjectStore

MARKER_NAME = "compaction.json"
LEASE_NAME = ".compaction-lease.json"
DEFAULT_LEASE_SECONDS = 3600

_EXAMPLE_KEY = re.compile(
    r"^(?P<month>.+/(?P<yyyy>\d{4})/(?P<mm>\d{2}))/examples/"
    r"(?:(?P<window>[0-9a-f]+)/r(?P<revision>\d+)\.jsonl|[^/]+\.json)$"
)


def journal_key(month_prefix: str, yyyy: str, mm: str) -> str:
    return f"{month_prefix}/health_journal_{yyyy}_{mm}.jsonl"


def months_under(store: ObjectStore, prefix: str) -> set[str]:
    """Every ``<prefix><domain>/<YYYY>/<MM>`` that holds examples."""
    return {m.group("month") for key in store.list(prefix) if (m := _EXAMPLE_KEY.match(key))}


def month_of(example_key: str) -> str | None:
    match = _EXAMPLE_KEY.match(example_key)
    return match.group("month") if match else None


def current_example_keys(keys: Iterable[str]) -> list[str]:
    """Of a listing, the objects a journal holds: every per-upload example and the highest
    revision of every window, in key order."""
    latest: dict[str, tuple[int, str]] = {}
    singles: list[str] = []
    for key in keys:
        match = _EXAMPLE_KEY.match(key)
        if match is None:
            continue
        if match.group("window") is None:
            singles.append(key)
            continue
        window = f"{match.group('month')}/{match.group('window')}"
        revision = int(match.group("revision"))
        if window not in latest or revision > latest[window][0]:
            latest[window] = (revision, key)
    return sorted([*singles, *(key for _, key in latest.values())])


def write_journal(store: ObjectStore, month_prefix: str, keys: Iterable[str]) -> tuple[str, int]:
    """Write the journal of one month from the example objects ``keys`` (current ones, see
    :func:`current_example_keys`); returns its key and line count."""
    yyyy, mm = month_prefix.rsplit("/", 2)[-2:]
    objects = [(key, store.get(key)) for key in keys]
    # In calendar order, as a reader browses a journal (keys are hashes, in no order a
    # person would recognise); a window's examples stay together, in their own order.
    objects.sort(key=lambda item: calendar_order(*item))
    lines: list[bytes] = []
    for _, data in objects:
        lines.extend(line for line in data.splitlines() if line.strip())
    key = journal_key(month_prefix, yyyy, mm)
    store.put(key, b"".join(line + b"\n" for line in lines))
    return key, len(lines)


def calendar_order(key: str, data: bytes) -> tuple[str, str, str, str]:
    """Where an example object goes in its journal: by the local day its window starts (a
    per-upload example: the day its data start), then record type, then window rule, then
    key. Read from the object's first example; an empty object (a withdrawal) goes first."""
    first = data.split(b"\n", 1)[0]
    try:
        example = json.loads(first) if first.strip() else {}
    except ValueError:
        example = {}
    metadata = example.get("metadata") if isinstance(example, dict) else None
    if not isinstance(metadata, dict):
        return ("", "", "", key)
    found = metadata.get("window")
    window: dict[str, Any] = found if isinstance(found, dict) else {}
    day = window.get("first_day") or str(metadata.get("data_start") or "")[:10]
    return (str(day), str(metadata.get("record_type") or ""), str(window.get("rule") or ""), key)


def compact_month(store: ObjectStore, month_prefix: str) -> tuple[str, int]:
    """Write the journal of one month from its examples; returns its key and line count."""
    keys = current_example_keys(store.list(f"{month_prefix}/examples/"))
    return write_journal(store, month_prefix, keys)


def compact(store: ObjectStore, months: Iterable[str]) -> dict[str, int]:
    return dict(compact_month(store, month) for month in sorted(set(months)))


# -- incremental compaction --------------------------------------------------------------------


class CompactionBusyError(TransientError):
    """Another compaction holds the lease; try again once it is done (or has expired)."""

    error_type = "compaction_busy"


@dataclass(frozen=True)
class MonthResult:
    month: str
    journal: str
    lines: int
    examples: int
    """Example objects the journal was built from."""
    rebuilt: bool


def marker_key(month_prefix: str) -> str:
    return f"{month_prefix}/{MARKER_NAME}"


def listing_digest(keys: Iterable[str]) -> str:
    """SHA-256 of the sorted example keys, one per line."""
    return hashlib.sha256("".join(f"{k}\n" for k in sorted(keys)).encode()).hexdigest()


def _read_marker(store: ObjectStore, key: str) -> dict[str, object]:
    try:
        marker = json.loads(store.get(key))
    except (ObjectNotFoundError, ValueError):
        return {}
    return marker if isinstance(marker, dict) else {}


def compact_changed(store: ObjectStore, prefix: str, *, force: bool = False) -> list[MonthResult]:
    """Rebuild the journal of every month under ``prefix`` whose current example keys changed
    since its marker was written (every month with ``force``); one listing of ``prefix``."""
    listing = list(store.list(prefix))
    present = set(listing)
    by_month: dict[str, list[str]] = {}
    for key in listing:
        month = month_of(key)
        if month is not None:
            by_month.setdefault(month, []).append(key)
    results = []
    for month, keys in sorted(by_month.items()):
        current = current_example_keys(keys)
        digest = listing_digest(current)
        yyyy, mm = month.rsplit("/", 2)[-2:]
        journal = journal_key(month, yyyy, mm)
        marker = _read_marker(store, marker_key(month)) if marker_key(month) in present else {}
        if not force and marker.get("digest") == digest and journal in present:
            lines = marker.get("lines")
            results.append(
                MonthResult(
                    month, journal, lines if isinstance(lines, int) else -1, len(current), False
                )
            )
            continue
        journal, lines = write_journal(store, month, current)
        # After the journal: a crash in between leaves the old marker, so the month is
        # rebuilt next time rather than trusted.
        body = {"digest": digest, "examples": len(current), "lines": lines, "journal": journal}
        store.put(marker_key(month), json.dumps(body, sort_keys=True).encode())
        results.append(MonthResult(month, journal, lines, len(current), True))
    return results


@contextmanager
def compaction_lease(
    store: ObjectStore,
    prefix: str,
    *,
    seconds: float = DEFAULT_LEASE_SECONDS,
    clock: Callable[[], float] = time.time,
) -> Iterator[None]:
    """Hold ``<prefix>.compaction-lease.json`` for the duration (a conditional create, so two
    compactions of one bucket never run at once); a lease older than ``seconds`` is taken over
    (its holder crashed). :class:`CompactionBusyError` when a live lease is held."""
    key = f"{prefix}{LEASE_NAME}"
    token = uuid.uuid4().hex
    body = json.dumps({"token": token, "expires": clock() + seconds}).encode()
    if not store.put(key, body, if_absent=True):
        held = _read_marker(store, key)
        expires = held.get("expires")
        if isinstance(expires, int | float) and expires > clock():
            raise CompactionBusyError(
                f"another compaction holds {store.describe()}/{key}; try again later"
            )
        store.delete(key)
        if not store.put(key, body, if_absent=True):
            raise CompactionBusyError(
                f"another compaction took {store.describe()}/{key}; try again later"
            )
    try:
        yield
    finally:
        if _read_marker(store, key).get("token") == token:
            store.delete(key)
