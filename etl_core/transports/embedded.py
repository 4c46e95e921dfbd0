"""The embedded runner behind ``etl run``: local files in, a local output folder out.

No servers: the object store is the output folder, the dedup store and the record history
SQLite files in its ``.etl-state/`` folder, so running twice over the same files writes nothing
the second time. Each file's records are merged into the person's history as it is read; the
windows they changed are rebuilt once, after the last file (a window touched by ten files is
built once, not ten times). Windows left pending by a run that died are rebuilt by the next.

Each claim records this process (pid, host, boot id), so the next run takes over at once the
claims of a run that was killed instead of waiting for their leases. A full disk (or quota)
stops the run with :class:`NoSpaceError`: retrying cannot free space, and the files not yet
completed are simply done by the run after space is freed.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from etl_core.contract.errors import EtlError, RequestError
from etl_core.contract.model import UserContext
from etl_core.engine.pipeline import Job, Outcome, Pipeline, Status
from etl_core.engine.registry import PluginRegistry
from etl_core.engine.window_stage import WindowOutcome
from etl_core.outputs.compaction import compact, month_of
from etl_core.settings import Settings
from etl_core.stores.dedup import ProcessHolder, open_dedup_store
from etl_core.stores.history.sql import SqlHistoryStore
from etl_core.stores.objects.base import no_space_path
from etl_core.stores.objects.local import LocalObjectStore

if TYPE_CHECKING:
    from etl_core.observability.metrics import EtlMetrics

STATE_DIR = ".etl-state"


class InputPathError(RequestError, ValueError):
    """A path given on the command line that does not exist or holds no input."""

    error_type = "input_path"


class NoSpaceError(EtlError):
    """The output's file system is full (or the quota used up): the run stopped. ``path`` is
    what was being written (``""`` if unknown), ``done`` of ``total`` files were finished, and
    the output folder then held ``out_bytes``. Not retriable: waiting does not free space."""

    error_type = "no_space"

    def __init__(self, path: str, out: Path, done: int, total: int) -> None:
        self.path = path
        self.out = out
        self.done = done
        self.total = total
        self.out_bytes = folder_bytes(out)
        where = f"writing {path}" if path else f"under {out}"
        super().__init__(
            f"no space left on the device {where}: stopped after {done} of {total} files, "
            f"with {size_text(self.out_bytes)} in {out}; free space (or raise the quota) and "
            "run again (finished files are not redone)"
        )


def folder_bytes(folder: Path) -> int:
    """The bytes of the files under ``folder`` (what a run has written there)."""
    total = 0
    for root, _, names in os.walk(folder):
        for name in names:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                continue
    return total


def size_text(size: int) -> str:
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


@dataclass(frozen=True, slots=True)
class InputFile:
    path: Path
    key: str
    """The path relative to the argument it was found under (keeps the file name)."""


def collect_inputs(paths: Iterable[Path]) -> list[InputFile]:
    """Every ``.avro`` file under the given folders, plus files named directly."""
    found: list[InputFile] = []
    for path in paths:
        if path.is_file():
            found.append(InputFile(path, path.name))
        elif path.is_dir():
            files = sorted(p for p in path.rglob("*.avro") if p.is_file())
            if not files:
                raise InputPathError(f"{path}: no .avro files found")
            found.extend(InputFile(p, p.relative_to(path).as_posix()) for p in files)
        else:
            raise InputPathError(f"{path}: no such file or directory")
    return found


@dataclass
class TypeSummary:
    files: int = 0
    records: int = 0
    excluded: int = 0
    """Records validation left out of files that were processed (see :attr:`exclusions`)."""
    processed: int = 0
    already_done: int = 0
    duplicate_content: int = 0
    quarantined: int = 0
    failed: int = 0
    windows: int = 0
    examples: int = 0
    seconds: float = 0.0
    exclusions: dict[str, int] = field(default_factory=dict)
    """Records left out, by the code of the finding that left them out."""


@dataclass
class RunReport:
    outcomes: list[Outcome] = field(default_factory=list)
    windows: list[WindowOutcome] = field(default_factory=list)
    journals: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status is Status.FAILED]

    @property
    def failed_windows(self) -> list[WindowOutcome]:
        return [w for w in self.windows if w.status == "failed"]

    @property
    def examples_written(self) -> int:
        per_upload = sum(len(o.examples) for o in self.outcomes)
        return per_upload + sum(w.example_count for w in self.windows if w.examples)

    def by_record_type(self) -> dict[str, TypeSummary]:
        table: dict[str, TypeSummary] = {}
        for outcome in self.outcomes:
            row = table.setdefault(outcome.record_type or "(unreadable)", TypeSummary())
            row.files += 1
            row.records += outcome.records
            row.excluded += outcome.excluded_records
            for code, count in outcome.exclusions.items():
                row.exclusions[code] = row.exclusions.get(code, 0) + count
            row.examples += len(outcome.examples)
            row.seconds += sum(outcome.timings.values())
            match outcome.status:
                case Status.PROCESSED:
                    row.processed += 1
                case Status.DUPLICATE_FILE:
                    row.already_done += 1
                case Status.DUPLICATE_CONTENT:
                    row.duplicate_content += 1
                case Status.QUARANTINED:
                    row.quarantined += 1
                case Status.FAILED:
                    row.failed += 1
        for window in self.windows:
            row = table.setdefault(window.ref.record_type, TypeSummary())
            if window.status in ("published", "withdrawn"):
                row.windows += 1
                row.examples += window.example_count
            elif window.status == "failed":
                row.failed += 1
        return dict(sorted(table.items()))


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def run_embedded(
    inputs: list[InputFile],
    out: Path,
    *,
    registry: PluginRegistry,
    settings: Settings,
    user_id: str,
    user: UserContext,
    on_progress: Callable[[InputFile, Outcome], None] | None = None,
    metrics: EtlMetrics | None = None,
) -> RunReport:
    """Run ``inputs`` into ``out``. Raises :class:`NoSpaceError` when the disk fills (the
    claims of the file being worked on are released, or left to be taken over by the next
    run, which finds this process gone)."""
    report = RunReport()
    try:
        return _run(inputs, out, report, registry, settings, user_id, user, on_progress, metrics)
    except NoSpaceError:
        raise
    except Exception as exc:
        path = no_space_path(exc)
        if path is None:
            raise
        raise NoSpaceError(path, out, len(report.outcomes), len(inputs)) from exc


def _run(
    inputs: list[InputFile],
    out: Path,
    report: RunReport,
    registry: PluginRegistry,
    settings: Settings,
    user_id: str,
    user: UserContext,
    on_progress: Callable[[InputFile, Outcome], None] | None,
    metrics: EtlMetrics | None,
) -> RunReport:
    store = LocalObjectStore(out)
    dedup = open_dedup_store(
        settings, out / STATE_DIR / "dedup.sqlite", holder=ProcessHolder.current()
    )
    try:
        history = open_history_store(settings, out / STATE_DIR / "history.sqlite")
    except BaseException:
        dedup.close()
        raise
    started = time.perf_counter()
    try:
        dedup.cleanup()
        history.cleanup()
        pipeline = Pipeline(
            registry,
            store,
            dedup,
            settings,
            metrics=metrics,
            history=history,
            build_windows=False,
        )
        # A window whose build failed (a plugin bug, since fixed, or not) is tried again by
        # every run: its failure is reported again rather than hidden as done.
        history.retry_failed(pipeline.pseudonym(user_id))
        for item in inputs:
            size = item.path.stat().st_size
            if size > settings.max_file_size_bytes:
                # Refused before reading: the guard protects memory, not just the decoder.
                outcome = _too_large(pipeline.redacted_key(item.key, user_id), size, settings)
            else:
                job = Job(
                    data=item.path.read_bytes(),
                    bucket="local",
                    key=item.key,
                    user_id=user_id,
                    user=user,
                )
                outcome = _run_with_retries(pipeline, job)
            if outcome.no_space is not None:
                raise NoSpaceError(outcome.no_space, out, len(report.outcomes), len(inputs))
            report.outcomes.append(outcome)
            if on_progress:
                on_progress(item, outcome)
        report.windows = pipeline.rebuild_windows(user_id, user, correlation_id="etl-run")
        written = [k for o in report.outcomes for k in o.examples]
        written += [k for w in report.windows for k in w.examples]
        months = {m for k in written if (m := month_of(k))}
        if months:
            with file_lock(out / STATE_DIR / "compaction.lock"):
                report.journals = compact(store, months)
    finally:
        dedup.close()
        history.close()
    report.seconds = time.perf_counter() - started
    return report


def open_history_store(settings: Settings, default_path: Path) -> SqlHistoryStore:
    """The history store of ``ETL_HISTORY_URL``, else a SQLite file at ``default_path``."""
    retention = settings.history_retention_days or None
    if settings.history_url:
        return SqlHistoryStore(settings.history_url, retention_days=retention)
    return SqlHistoryStore.sqlite_file(default_path, retention_days=retention)


def _run_with_retries(pipeline: Pipeline, job: Job, budget_seconds: float = 60.0) -> Outcome:
    """Retry what may succeed later (another process holds the file, a locked database) with
    backoff; several ``etl run`` processes may share one output folder."""
    deadline = time.monotonic() + budget_seconds
    delay = 0.05
    outcome = pipeline.run(job)
    # A full disk is not retried: waiting does not free space.
    while outcome.retriable and outcome.no_space is None and time.monotonic() < deadline:
        time.sleep(delay)
        delay = min(delay * 2, 1.0)
        outcome = pipeline.run(job)
    return outcome


def _too_large(key: str, size: int, settings: Settings) -> Outcome:
    return Outcome(
        Status.FAILED,
        key,
        error_type="file_too_large",
        message=(
            f"{key}: {size} bytes is over the limit of {settings.max_file_size_bytes} bytes "
            "(ETL_MAX_FILE_SIZE_MB)"
        ),
    )
