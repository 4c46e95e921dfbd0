"""``etl build-windows``: a window builder in a process of its own."""

from __future__ import annotations

import json
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import click

from etl_core.cli.common import EXIT_STARTUP, fail, load_registry, load_settings, serve_health
from etl_core.observability.logs import configure_logging, get_logger
from etl_core.settings import SettingsError

if TYPE_CHECKING:
    from etl_core.engine.window_queue import WindowQueue


@click.command("build-windows")
@click.option(
    "--threads",
    type=click.IntRange(1, 64),
    help="Builder threads (ETL_WINDOW_BUILDER_THREADS, at least 1).",
)
@click.option(
    "--sweep-seconds",
    type=click.FloatRange(min=0, min_open=True),
    help="Seconds idle between looks at the history for pending windows "
    "(ETL_WINDOW_SWEEP_SECONDS). Alone, the sweep is how this builder learns of new "
    "uploads: a second or two.",
)
@click.option(
    "--queue-from-stdin",
    is_flag=True,
    help="Also build for the people named on standard input, one JSON object a line, and stop "
    "at its end (how `etl consume` hands its builder processes the people its uploads "
    "changed). Serves no health endpoint: the parent reports this process.",
)
def build_windows(threads: int | None, sweep_seconds: float | None, queue_from_stdin: bool) -> None:
    """Rebuild the windows that workers' merges left pending in the record history, until
    SIGTERM or SIGINT. Runs with the workers' settings on any machine that reaches their
    history and output bucket; builders of one person exclude each other, so any number may
    run beside `etl consume`."""
    from etl_core.contract.model import UserContext
    from etl_core.contract.timeutil import UnknownZoneError, load_zone
    from etl_core.engine.window_queue import WindowQueue
    from etl_core.engine.window_stage import WindowBuilder
    from etl_core.observability.metrics import EtlMetrics
    from etl_core.observability.tracing import setup_tracing
    from etl_core.stores.factory import open_object_store, open_worker_history_store
    from etl_core.stores.history import HistoryUnavailableError

    settings = load_settings()
    configure_logging(settings.log_level)
    try:
        settings.effective_pseudonym_key()  # refused as by every production command
        setup_tracing(settings)
        default_person = UserContext(
            timezone=load_zone(settings.user_timezone), age_years=settings.user_age
        )
    except (SettingsError, UnknownZoneError) as exc:
        fail(str(exc), EXIT_STARTUP)
    registry = load_registry(settings)
    thread_count = threads or max(1, settings.window_builder_threads)
    metrics = EtlMetrics(record_types=registry.specs, plugin_counters=registry.counters)
    try:
        output = open_object_store(
            settings, settings.s3_bucket_name, pool_size=thread_count, metrics=metrics
        )
        state_dir = (settings.deduplication_db_path or Path(".etl-state/dedup.sqlite")).parent
        history = open_worker_history_store(settings, state_dir)
    except (SettingsError, HistoryUnavailableError) as exc:
        fail(str(exc), EXIT_STARTUP)
    builder = WindowBuilder(
        registry, history, output, settings, dict(registry.window_plan), metrics=metrics
    )
    queue = WindowQueue(
        builder,
        history,
        threads=thread_count,
        default_person=default_person,
        sweep_seconds=sweep_seconds or settings.window_sweep_seconds,
    )
    stopping = threading.Event()

    def stop(_signum: int, _frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    health = None
    if not queue_from_stdin:
        health = serve_health(
            settings,
            metrics,
            {
                "s3": lambda: bool(getattr(output, "ping", lambda: True)()),
                "history_store": history.ping,
                "window_builders": queue.alive,
            },
        )
    log = get_logger("etl.windows")
    log.info("window_builders_started", threads=thread_count)
    queue.start()
    if queue_from_stdin:
        threading.Thread(
            target=_follow_stdin, args=(queue, stopping), name="etl-window-requests", daemon=True
        ).start()
    try:
        while not stopping.wait(1.0):
            pass
    finally:
        # The window in hand is finished; the rest stay pending for the next builder.
        queue.stop()
        if health is not None:
            health.stop()
        history.close()
    log.info("window_builders_stopped")


def _follow_stdin(queue: WindowQueue, stopping: threading.Event) -> None:
    """Queue each person named on standard input; at its end (the parent closed it, or died),
    stop."""
    from opentelemetry import propagate

    log = get_logger("etl.windows")
    try:
        for line in sys.stdin:
            try:
                request = json.loads(line)
                user, correlation_id = str(request["user"]), str(request["correlation_id"])
                carrier = request.get("trace") or {}
            except (ValueError, KeyError, TypeError):
                log.warning("window_request_unreadable")
                continue
            queue.add(user, correlation_id, trace=propagate.extract(carrier))
    finally:
        stopping.set()
