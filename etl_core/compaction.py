"""Rebuilding the monthly ``health_journal_<YYYY>_<MM>.jsonl`` views.

The example objects under ``.../examples/`` are the source of truth. A window's examples are
revisions, ``<window id>/r<revision>.jsonl``: the journal takes the highest revision of each
window (an empty one withdraws it), so it never holds two revisions of one window. A per-upload
example, ``<id>.json``, is written once under a content-derived key. A journal is rebuilt from a
full listing and replaced atomically; run under a lock (the embedded runner uses a file lock),
the last rebuild sees every example whose writer finished before it started. ``etl compact``
rebuilds them on demand.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from etl_core.storage import ObjectStore

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


def compact_month(store: ObjectStore, month_prefix: str) -> tuple[str, int]:
    """Write the journal of one month from its examples; returns its key and line count."""
    yyyy, mm = month_prefix.rsplit("/", 2)[-2:]
    lines: list[bytes] = []
    for key in current_example_keys(store.list(f"{month_prefix}/examples/")):
        lines.extend(line for line in store.get(key).splitlines() if line.strip())
    key = journal_key(month_prefix, yyyy, mm)
    store.put(key, b"".join(line + b"\n" for line in lines))
    return key, len(lines)


def compact(store: ObjectStore, months: Iterable[str]) -> dict[str, int]:
    return dict(compact_month(store, month) for month in sorted(set(months)))
