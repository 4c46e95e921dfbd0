"""The ``memory`` dedup store: the same ``started -> completed | failed`` machine held in one
process's memory. For tests and for one-off runs that need no record of what they did; it
forgets everything when the process ends, so it never serves workers that share a queue."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from etl_core.stores.dedup.base import Claim, ClaimStatus, DedupStoreRequest

__all__ = ["InMemoryDedupStore", "open_store"]


@dataclass(frozen=True, slots=True)
class _Entry:
    state: str
    owner: str
    lease_until: float
    attempts: int
    updated: float
    outcome: str | None = None
    detail: str | None = None


class InMemoryDedupStore:
    """Thread-safe; ``clock`` (seconds) is injectable so leases can be tested without sleeping."""

    def __init__(
        self,
        *,
        lease_seconds: float = 900.0,
        retention_seconds: float = 7 * 86_400,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.lease_seconds = lease_seconds
        self.retention_seconds = retention_seconds
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def claim(self, key: str, owner: str) -> Claim:
        with self._lock:
            now = self._clock()
            entry = self._entries.get(key)
            if entry is not None and entry.state == "completed":
                return Claim(ClaimStatus.COMPLETED, key, entry.owner, entry.outcome, entry.detail)
            if (
                entry is not None
                and entry.state == "started"
                and (entry.owner == owner or entry.lease_until > now)
            ):
                status = ClaimStatus.CLAIMED if entry.owner == owner else ClaimStatus.IN_PROGRESS
                return Claim(status, key, entry.owner)
            attempts = entry.attempts + 1 if entry is not None else 1
            self._entries[key] = _Entry("started", owner, now + self.lease_seconds, attempts, now)
            return Claim(ClaimStatus.CLAIMED, key, owner)

    def _finish(self, key: str, owner: str, **change: object) -> bool:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry.owner != owner or entry.state != "started":
                return False
            self._entries[key] = replace(entry, updated=self._clock(), **change)  # type: ignore[arg-type]
            return True

    def complete(self, key: str, owner: str, outcome: str, detail: str | None = None) -> bool:
        return self._finish(key, owner, state="completed", outcome=outcome, detail=detail)

    def fail(self, key: str, owner: str, reason: str) -> bool:
        return self._finish(key, owner, state="failed", outcome="failed", detail=reason)

    def state(self, key: str) -> str | None:
        with self._lock:
            entry = self._entries.get(key)
            return entry.state if entry is not None else None

    def cleanup(self) -> int:
        """Forget finished keys older than the retention period, and claims abandoned that long
        (their lease ran out a retention period ago and nobody retried them), as the SQL store
        does: a long-lived process would otherwise keep every dead claim."""
        with self._lock:
            horizon = self._clock() - self.retention_seconds
            old = [
                key
                for key, entry in self._entries.items()
                if entry.updated < horizon
                and (entry.state != "started" or entry.lease_until < horizon)
            ]
            for key in old:
                del self._entries[key]
            return len(old)

    def ping(self) -> bool:
        return True

    def close(self) -> None:
        pass


def open_store(request: DedupStoreRequest) -> InMemoryDedupStore:
    return InMemoryDedupStore(
        lease_seconds=request.lease_seconds, retention_seconds=request.retention_seconds
    )
