"""The production commands: ``etl consume``, ``etl publish``, ``etl dlq``."""

from __future__ import annotations

import json
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click
import pika.exceptions

from etl_core.cli.common import (
    EXIT_STARTUP,
    EXIT_USAGE,
    fail,
    load_registry,
    load_settings,
    serve_health,
)
from etl_core.contract.errors import InputError
from etl_core.observability.logs import configure_logging, get_logger
from etl_core.settings import SettingsError
from etl_core.transports.rabbitmq.dlq import NoSuchQueueError
from etl_core.transports.rabbitmq.topology import TopologyConflictError

if TYPE_CHECKING:
    from etl_core.contract.model import UserContext
    from etl_core.engine.pipeline import Pipeline
    from etl_core.engine.window_processes import WindowBuilderProcesses
    from etl_core.engine.window_queue import WindowQueue
    from etl_core.settings import Settings

EXIT_ARGUMENT = 2
EXIT_CONFIGURATION = 3
EXIT_BROKER = 4
T = TypeVar("T")


@click.command()
@click.option("--threads", type=click.IntRange(1, 64), help="Worker threads (ETL_WORKER_THREADS).")
def consume(threads: int | None) -> None:
    """Take upload messages from RabbitMQ and run each file through the pipeline."""
    from etl_core.contract.model import UserContext
    from etl_core.contract.timeutil import UnknownZoneError, load_zone
    from etl_core.engine.pipeline import Pipeline
    from etl_core.observability.metrics import EtlMetrics
    from etl_core.observability.tracing import setup_tracing
    from etl_core.stores.dedup import DedupUnavailableError
    from etl_core.stores.factory import (
        SourceStores,
        open_dedup_store,
        open_object_store,
        open_worker_history_store,
    )
    from etl_core.stores.history import HistoryUnavailableError
    from etl_core.transports.handler import MessageHandler
    from etl_core.transports.rabbitmq.consumer import Consumer

    settings = load_settings()
    configure_logging(settings.log_level)
    # Until the consumer's own handlers take over, SIGTERM/SIGINT (an orchestrator giving up
    # on a worker whose stores are not up yet) end the start-up cleanly instead of killing it.
    _stop_startup_on_signals()
    try:
        try:
            settings.effective_pseudonym_key()
            setup_tracing(settings)
            default_person = UserContext(
                timezone=load_zone(settings.user_timezone), age_years=settings.user_age
            )
        except (SettingsError, UnknownZoneError) as exc:
            fail(str(exc), EXIT_STARTUP)
            return
        registry = load_registry(settings)  # plugins load before any worker thread exists
        thread_count = threads or settings.worker_threads
        metrics = EtlMetrics(record_types=registry.specs, plugin_counters=registry.counters)
        try:
            output = open_object_store(
                settings, settings.s3_bucket_name, pool_size=thread_count, metrics=metrics
            )
            state_dir = (settings.deduplication_db_path or Path(".etl-state/dedup.sqlite")).parent
            dedup = _wait_for(
                lambda: open_dedup_store(settings, state_dir / "dedup.sqlite"),
                settings.startup_wait_seconds,
            )
            history = _wait_for(
                lambda: open_worker_history_store(settings, state_dir),
                settings.startup_wait_seconds,
            )
            # Windows whose build failed are built again at each person's next upload: a
            # worker restarts when a fixed plugin is deployed.
            history.retry_failed()
        except (SettingsError, DedupUnavailableError, HistoryUnavailableError) as exc:
            fail(str(exc), EXIT_STARTUP)
            return
        pipeline = Pipeline(registry, output, dedup, settings, metrics=metrics, history=history)
        window_queue = _defer_windows(pipeline, settings, default_person)
        sources = SourceStores(
            settings,
            pool_size=thread_count,
            known={settings.s3_bucket_name: output},
            metrics=metrics,
        )
        handler = MessageHandler(pipeline, sources.get, settings, metrics)
        consumer = Consumer(handler, settings, thread_count, metrics)
        health = serve_health(
            settings,
            metrics,
            {
                "broker": consumer.connected.is_set,
                "s3": lambda: bool(getattr(output, "ping", lambda: True)()),
                "dedup_store": dedup.ping,
                "history_store": history.ping,
                "plugins": lambda: bool(registry.plugins),
                **({"window_builders": window_queue.alive} if window_queue else {}),
            },
        )
        consumer.install_signal_handlers()
    except StartupInterrupted as stop:
        click.echo(f"etl: {stop.signal_name} during start-up: stopped before consuming", err=True)
        sys.exit(0)
    get_logger("etl").info("serving_metrics", host=settings.metrics_host, port=health.port)
    if window_queue is not None:
        window_queue.start()
    try:
        consumer.run()
    except TopologyConflictError as exc:
        fail(str(exc), EXIT_STARTUP)
    finally:
        if window_queue is not None:
            # The window in hand is finished; the rest wait in the history for the next start.
            window_queue.stop()
        health.stop()
        dedup.close()
        history.close()
    get_logger("etl").info("stopped", handled=consumer.handled)


def _defer_windows(
    pipeline: Pipeline, settings: Settings, default_person: UserContext
) -> WindowQueue | WindowBuilderProcesses | None:
    """Who rebuilds the windows uploads leave pending: builder processes, builder threads, or
    (``None``) each upload's consumer thread before it settles."""
    from etl_core.engine.window_processes import WindowBuilderProcesses

    if settings.window_builder_processes and settings.window_builder_threads:
        processes = WindowBuilderProcesses(
            settings.window_builder_processes,
            environment=settings.environment(),
            threads=settings.window_builder_threads,
            sweep_seconds=settings.window_sweep_seconds,
        )
        return processes if pipeline.defer_windows_to(processes) else None
    return pipeline.defer_windows(
        settings.window_builder_threads,
        default_person,
        sweep_seconds=settings.window_sweep_seconds,
    )


class StartupInterrupted(BaseException):
    """SIGTERM or SIGINT arrived before the worker consumed. A ``BaseException``, like
    ``KeyboardInterrupt``, so that no store client's ``except Exception`` swallows it."""

    def __init__(self, signal_name: str) -> None:
        super().__init__(signal_name)
        self.signal_name = signal_name


def _stop_startup_on_signals() -> None:
    def interrupt(signum: int, _frame: FrameType | None) -> None:
        raise StartupInterrupted(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGINT, interrupt)


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--user-id", default="local-user", show_default=True)
@click.option("--priority", default="normal", show_default=True)
@click.option("--timezone", "zone_name", help="IANA zone to announce with each upload.")
def publish(paths: tuple[Path, ...], user_id: str, priority: str, zone_name: str | None) -> None:
    """Upload each file to S3 under raw/ and publish its upload message (with confirms)."""
    from etl_core.stores.factory import open_object_store
    from etl_core.stores.objects.base import StorageError, StorageRejectedError
    from etl_core.transports.embedded import InputPathError, collect_inputs
    from etl_core.transports.rabbitmq.publisher import publish_files

    settings = load_settings()
    configure_logging(settings.log_level)
    try:
        files = [item.path for item in collect_inputs(paths)]
        store = open_object_store(settings, settings.s3_bucket_name, pool_size=1)
        messages = publish_files(
            files,
            settings=settings,
            store=store,
            user_id=user_id,
            priority=priority,
            timezone=zone_name,
        )
    except (InputPathError, InputError) as exc:
        fail(str(exc), EXIT_USAGE)
        return
    except (SettingsError, TopologyConflictError) as exc:
        fail(str(exc), EXIT_STARTUP)
        return
    except pika.exceptions.AMQPError as exc:
        fail(_broker_problem(exc), EXIT_BROKER)
        return
    except (StorageError, StorageRejectedError) as exc:
        fail(f"cannot upload to S3: {exc}", EXIT_BROKER)
        return
    for message in messages:
        click.echo(
            f"{message.message_id} {message.routing_key} s3://{message.bucket}/{message.key}"
        )
    click.echo(f"published {len(messages)} uploads", err=True)


@click.group()
def dlq() -> None:
    """Dead-lettered messages: why they failed, and sending them back."""


QUEUE_OPTION = click.option(
    "--queue",
    "queue",
    metavar="NAME",
    help="Read this dead-letter queue instead of ETL_FAILED_QUEUE_NAME (e.g. health_data_dlq).",
)


@dlq.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@QUEUE_OPTION
def dlq_list(as_json: bool, queue: str | None) -> None:
    """Show every dead-lettered message once, with its reason and its number of copies."""
    from etl_core.transports.rabbitmq.dlq import list_dead_letters

    settings = load_settings()
    letters = _broker_call(lambda: list_dead_letters(settings, queue))
    if as_json:
        rows = [
            {
                "message_id": letter.message_id,
                "error_type": letter.error_type,
                "error_message": letter.error_message,
                "attempts": letter.attempts,
                "copies": letter.copies,
                "routing_key": letter.routing_key,
            }
            for letter in letters
        ]
        click.echo(json.dumps(rows, indent=2))
        return
    for letter in letters:
        click.echo(
            f"{letter.message_id}\t{letter.error_type}\tattempts={letter.attempts}\t"
            f"copies={letter.copies}\t{letter.error_message}"
        )
    copies = sum(letter.copies for letter in letters)
    click.echo(f"{len(letters)} dead-lettered messages ({copies} copies in the queue)", err=True)


@dlq.command("replay")
@click.argument("message_ids", nargs=-1)
@click.option("--all", "replay_all", is_flag=True, help="Replay every dead letter.")
@click.option(
    "--error-type",
    "error_types",
    multiple=True,
    help="Replay only dead letters of this error type (repeatable), e.g. storage_unavailable.",
)
@QUEUE_OPTION
def dlq_replay(
    message_ids: tuple[str, ...],
    replay_all: bool,
    error_types: tuple[str, ...],
    queue: str | None,
) -> None:
    """Send dead letters back to the work exchange: by message id, by --error-type, or --all."""
    from etl_core.transports.rabbitmq.dlq import replay

    if not (replay_all or message_ids or error_types):
        fail("name message ids to replay, or pass --error-type or --all", EXIT_USAGE)
    if replay_all and (message_ids or error_types):
        fail("--all replays everything; drop it to choose by id or --error-type", EXIT_USAGE)
    settings = load_settings()
    replayed = _broker_call(
        lambda: replay(settings, message_ids or None, error_types or None, queue)
    )
    for letter in replayed:
        click.echo(f"replayed {letter.message_id} ({letter.error_type})")
    click.echo(f"{len(replayed)} replayed", err=True)


def _wait_for(open_store: Callable[[], T], patience: float) -> T:
    """``open_store()``, tried again with backoff while the store is unavailable, for up to
    ``patience`` seconds; then its last error propagates."""
    from etl_core.contract.errors import TransientError

    deadline = time.monotonic() + patience
    delay = 0.5
    while True:
        try:
            return open_store()
        except TransientError as exc:  # an outage: worth waiting for
            left = deadline - time.monotonic()
            if left <= 0:
                raise
            delay = min(delay, left)
            get_logger("etl").warning(
                "dedup_store_unavailable", error=str(exc), retry_in=round(delay, 2)
            )
            time.sleep(delay)
            delay = min(delay * 2, 5.0)


def _broker_call(call: Callable[[], T]) -> T:
    try:
        return call()
    except TopologyConflictError as exc:
        _error_exit(str(exc), EXIT_CONFIGURATION)
    except NoSuchQueueError as exc:
        _error_exit(str(exc), EXIT_ARGUMENT)
    except pika.exceptions.AMQPError as exc:
        _error_exit(_broker_problem(exc), EXIT_BROKER)


def _error_exit(message: str, code: int) -> NoReturn:
    click.echo(f"etl: error: {message}", err=True)
    sys.exit(code)


def _broker_problem(exc: pika.exceptions.AMQPError) -> str:
    if isinstance(exc, pika.exceptions.ChannelClosedByBroker):
        return f"the broker refused: {exc.reply_code} {exc.reply_text}"
    return f"cannot reach the broker: {type(exc).__name__}"


@click.group()
def topology() -> None:
    """The RabbitMQ exchanges and queues: show them, check them against the broker, and move
    messages over from another work queue (see README: Moving from the upstream platform's
    queues)."""


@topology.command("show")
def topology_show() -> None:
    """Print every exchange and queue this engine declares, with its arguments and bindings."""
    from etl_core.transports.rabbitmq.topology import Topology

    for item in Topology.from_settings(load_settings()).declarations():
        click.echo(item.describe())


@topology.command("check")
def topology_check() -> None:
    """Compare each exchange and queue with the broker, creating nothing: ok, missing (a
    worker would create it) or conflict (with the argument that differs). Exit 3 on a
    conflict."""
    from etl_core.transports.rabbitmq.topology import Topology, open_connection

    settings = load_settings()
    declared = Topology.from_settings(settings)

    def check() -> list[Any]:
        connection = open_connection(settings.rabbitmq_url)
        try:
            return declared.check(connection)
        finally:
            if connection.is_open:
                connection.close()

    results = _broker_call(check)
    for result in results:
        line = f"{result.state}\t{result.declaration.kind} {result.declaration.name}"
        if result.conflict is not None:
            line += f"\t{result.conflict}"
        click.echo(line)
    conflicts = sum(1 for result in results if result.state == "conflict")
    if conflicts:
        _error_exit(
            f"{conflicts} of {len(results)} exchanges and queues conflict with the broker's",
            EXIT_CONFIGURATION,
        )
    click.echo(f"{len(results)} exchanges and queues agree with the broker", err=True)


@topology.command("migrate")
@click.option(
    "--from",
    "source",
    required=True,
    metavar="QUEUE",
    help="The queue to empty into ETL_QUEUE_NAME, e.g. upstream's health_data_processing.",
)
@click.option(
    "--delete-source",
    is_flag=True,
    help="Delete the source queue once it is empty, so that producers' new messages stop "
    "going to it.",
)
def topology_migrate(source: str, delete_source: bool) -> None:
    """Declare this engine's topology and move every message of QUEUE into its work queue,
    each acknowledged in QUEUE only after the broker confirmed its copy."""
    from etl_core.transports.rabbitmq.topology import Topology, migrate, open_connection

    settings = load_settings()
    declared = Topology.from_settings(settings)

    def move() -> int:
        connection = open_connection(settings.rabbitmq_url)
        try:
            return migrate(connection, declared, source, delete_source=delete_source)
        finally:
            if connection.is_open:
                connection.close()

    try:
        moved = _broker_call(move)
    except ValueError as exc:
        _error_exit(str(exc), EXIT_ARGUMENT)
    deleted = f"; deleted {source}" if delete_source else ""
    click.echo(f"moved {moved} messages from {source} to {declared.queue}{deleted}")
