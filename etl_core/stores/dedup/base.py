"""Deduplication: each input is worked on by one owner at a time and completed once.

A key moves ``started -> completed | failed``. A claim is one atomic statement (never a check
followed by an insert): it creates the row, or takes over a row that failed or whose owner's
lease ran out (a crashed run). Completing or failing is conditional on still being the owner,
so a worker whose lease was taken over cannot overwrite the new owner's outcome.

A SQL store opened with a :class:`ProcessHolder` (the embedded runner's) records that process
beside each claim, and takes over at once a claim whose recorded process is certainly gone:
same host, same boot, same PID namespace, and no such process any more. Anything less certain
(another host, another boot, no record, a live PID) waits for the lease as before.

The same store keeps two kinds of keys: the idempotency key of an input file, and the content
key of a record set (so a second file holding the same records makes no second example).
"""

from __future__ import annotations

import enum
import json
import os
import socket
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from etl_core.contract.errors import TransientError

if TYPE_CHECKING:
    from etl_core.settings import Settings

__all__ = [
    "Claim",
    "ClaimStatus",
    "DedupStore",
    "DedupStoreRequest",
    "DedupUnavailableError",
    "ProcessHolder",
    "new_owner_token",
    "required_url",
]


class DedupUnavailableError(TransientError):
    """The dedup store cannot be reached; the work should be retried later. ``path`` is the
    database file of a SQLite store (where a full disk would be), else ``None``. Keeps the
    ``error_type`` ``transient`` a file failed by a dedup outage always had."""

    def __init__(self, message: str, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


class ClaimStatus(enum.StrEnum):
    CLAIMED = "claimed"
    """You own the key now; finish with ``complete`` or ``fail``."""
    COMPLETED = "completed"
    """Already done, by you earlier or by someone else."""
    IN_PROGRESS = "in_progress"
    """Another owner holds a live lease."""


@dataclass(frozen=True, slots=True)
class Claim:
    status: ClaimStatus
    key: str
    owner: str
    outcome: str | None = None
    """For ``COMPLETED``: what the first completion recorded (``processed``, ``quarantined``...)."""
    detail: str | None = None
    taken_over: bool = False
    """For ``CLAIMED``: taken from an owner whose recorded process is gone."""


def new_owner_token() -> str:
    return uuid.uuid4().hex


BOOT_ID_PATH = Path("/proc/sys/kernel/random/boot_id")


@dataclass(frozen=True, slots=True)
class ProcessHolder:
    """The process behind a claim, as recorded with it. ``boot_id``, ``pid_namespace`` and
    ``started`` are ``None`` where the system does not tell them (no ``/proc``)."""

    pid: int
    host: str
    boot_id: str | None
    pid_namespace: str | None = None
    """Two containers on one host and boot may share a host name but not their PIDs."""
    started: int | None = None
    """The process's start time in clock ticks since boot: a PID reused by a later process
    has another."""

    @classmethod
    def current(cls) -> ProcessHolder:
        pid = os.getpid()
        return cls(pid, socket.gethostname(), _boot_id(), _pid_namespace(), _start_ticks(pid))

    def to_json(self) -> str:
        return json.dumps(
            {
                "pid": self.pid,
                "host": self.host,
                "boot_id": self.boot_id,
                "pid_namespace": self.pid_namespace,
                "started": self.started,
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, value: str | None) -> ProcessHolder | None:
        """The holder a claim recorded; ``None`` for no record or one this code cannot read."""
        if not value:
            return None
        try:
            data = json.loads(value)
            return cls(
                int(data["pid"]),
                str(data["host"]),
                data.get("boot_id"),
                data.get("pid_namespace"),
                data.get("started"),
            )
        except (ValueError, TypeError, KeyError):
            return None

    def is_gone(self, here: ProcessHolder) -> bool:
        """Whether this holder's process has certainly ended, judged from the process
        ``here``: only a holder on the same host, boot and PID namespace can be judged, and it
        is gone when no process has its PID, or the one that has is a zombie or started at
        another time (the PID was reused)."""
        if (self.host, self.boot_id, self.pid_namespace) != (
            here.host,
            here.boot_id,
            here.pid_namespace,
        ):
            return False
        if self.boot_id is None or self.pid == here.pid:
            # Without a boot id a PID may belong to an earlier boot: nothing is certain.
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            pass  # it exists, owned by someone else
        state, started = _process_stat(self.pid)
        if state == "Z":
            return True
        return self.started is not None and started is not None and started != self.started


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="ascii").strip() or None
    except (OSError, UnicodeDecodeError):
        return None


def _boot_id() -> str | None:
    return _read_text(BOOT_ID_PATH)


def _pid_namespace() -> str | None:
    try:
        return os.readlink("/proc/self/ns/pid")
    except OSError:
        return None


def _process_stat(pid: int) -> tuple[str | None, int | None]:
    """A process's state letter and start time from ``/proc/<pid>/stat``."""
    stat = _read_text(Path(f"/proc/{pid}/stat"))
    if stat is None or ")" not in stat:
        return None, None
    # The command name may hold spaces and parentheses: the fields start after the last ")".
    fields = stat.rsplit(")", 1)[1].split()
    try:
        return fields[0], int(fields[19])
    except (IndexError, ValueError):
        return None, None


def _start_ticks(pid: int) -> int | None:
    return _process_stat(pid)[1]


class DedupStore(Protocol):
    """What the pipeline needs from a dedup store. Implementations are thread-safe."""

    def claim(self, key: str, owner: str) -> Claim: ...

    def complete(self, key: str, owner: str, outcome: str, detail: str | None = None) -> bool:
        """Mark ``key`` completed if ``owner`` still holds it; ``False`` when it does not."""
        ...

    def fail(self, key: str, owner: str, reason: str) -> bool:
        """Mark ``key`` failed (claimable again) if ``owner`` still holds it."""
        ...

    def state(self, key: str) -> str | None: ...

    def cleanup(self) -> int:
        """Forget finished keys older than the retention period; returns how many."""
        ...

    def ping(self) -> bool: ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class DedupStoreRequest:
    """What a dedup store factory (an ``etl_core.dedup_stores`` entry point) is given.

    ``default_sqlite_path`` is where a file-backed store keeps its file unless the settings
    say otherwise; ``holder`` is the claiming process, for stores that take over the claims of
    processes certainly gone (``None`` for the worker). A factory raises
    :class:`~etl_core.settings.SettingsError` for a bad setting and
    :class:`DedupUnavailableError` when the store cannot be reached.
    """

    settings: Settings
    default_sqlite_path: Path
    holder: ProcessHolder | None = None

    @property
    def lease_seconds(self) -> float:
        return self.settings.dedup_lease_seconds

    @property
    def retention_seconds(self) -> float:
        return self.settings.dedup_retention_days * 86_400


def required_url(settings: Settings) -> str:
    """``ETL_DEDUPLICATION_URL``, which every store but a local file needs."""
    from etl_core.settings import SettingsError

    if not settings.deduplication_url:
        raise SettingsError(
            f"ETL_DEDUPLICATION_STORE={settings.deduplication_store} needs "
            "ETL_DEDUPLICATION_URL to say where it is"
        )
    return settings.deduplication_url
