"""The production commands: ``etl consume``, ``etl publish``, ``etl dlq``."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click
import pika.exceptions

from etl_core.errors import InputError
from etl_core.logs import configure_logging, get_logger
from etl_core.settings import SettingsError

EXIT_BROKER = 4
T = TypeVar("T")


@click.command()
@click.option("--threads", type=click.IntRange(1, 64), help="Worker threads (ETL_WORKER_THREADS).")
def consume(threads: int | None) -> None:
    """Take upload messages from RabbitMQ and run each file through the pipeline."""
    from etl_core.cli import EXIT_STARTUP, _fail, _registry, _settings
    from etl_core.consumer import Consumer, MessageHandler
    from etl_core.dedup import DedupUnavailableError
    from etl_core.health import HealthServer
    from etl_core.history import HistoryUnavailableError
    from etl_core.metrics import EtlMetrics
    from etl_core.pipeline import Pipeline
    from etl_core.stores import (
        SourceStores,
        open_dedup_store,
        open_object_store,
        open_worker_history_store,
    )
    from etl_core.tracing import setup_tracing

    settings = _settings()
    configure_logging(settings.log_level)
    try:
        settings.effective_pseudonym_key()
        setup_tracing(settings)
    except SettingsError as exc:
        _fail(str(exc), EXIT_STARTUP)
    registry = _registry(settings)  # plugins load before any worker thread exists
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
            lambda: open_worker_history_store(settings, state_dir), settings.startup_wait_seconds
        )
    except (SettingsError, DedupUnavailableError, HistoryUnavailableError) as exc:
        _fail(str(exc), EXIT_STARTUP)
        return
    pipeline = Pipeline(registry, output, dedup, settings, metrics=metrics, history=history)
    sources = SourceStores(
        settings,
        pool_size=thread_count,
        known={settings.s3_bucket_name: output},
        metrics=metrics,
    )
    handler = MessageHandler(pipeline, sources.get, settings, metrics)
    consumer = Consumer(handler, settings, thread_count, metrics)
    try:
        health = HealthServer(
            metrics,
            {
                "broker": consumer.connected.is_set,
                "s3": lambda: bool(getattr(output, "ping", lambda: True)()),
                "dedup_store": dedup.ping,
                "history_store": history.ping,
                "plugins": lambda: bool(registry.plugins),
            },
            port=settings.metrics_port,
        ).start()
    except OSError as exc:
        _fail(f"cannot serve metrics on port {settings.metrics_port}: {exc.strerror}", EXIT_STARTUP)
        return
    get_logger("etl").info("serving_metrics", port=health.port)
    consumer.install_signal_handlers()
    try:
        consumer.run()
    finally:
        health.stop()
        dedup.close()
        history.close()
    get_logger("etl").info("stopped", handled=consumer.handled)


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--user-id", default="local-user", show_default=True)
@click.option("--priority", default="normal", show_default=True)
@click.option("--timezone", "zone_name", help="IANA zone to announce with each upload.")
def publish(paths: tuple[Path, ...], user_id: str, priority: str, zone_name: str | None) -> None:
    """Upload each file to S3 under raw/ and publish its upload message (with confirms)."""
    from etl_core.cli import EXIT_USAGE, _fail, _settings
    from etl_core.publisher import publish_files
    from etl_core.runner import InputPathError, collect_inputs
    from etl_core.stores import open_object_store

    settings = _settings()
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
    except (InputPathError, InputError, SettingsError) as exc:
        _fail(str(exc), EXIT_USAGE)
        return
    except pika.exceptions.AMQPError as exc:
        _fail(f"cannot reach the broker: {type(exc).__name__}", EXIT_BROKER)
        return
    for message in messages:
        click.echo(
            f"{message.message_id} {message.routing_key} s3://{message.bucket}/{message.key}"
        )
    click.echo(f"published {len(messages)} uploads", err=True)


@click.group()
def dlq() -> None:
    """Dead-lettered messages: why they failed, and sending them back."""


@dlq.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def dlq_list(as_json: bool) -> None:
    """Show every dead-lettered message once, with its reason and its number of copies."""
    from etl_core.cli import _settings
    from etl_core.dlq import list_dead_letters

    letters = _broker_call(lambda: list_dead_letters(_settings()))
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
def dlq_replay(
    message_ids: tuple[str, ...], replay_all: bool, error_types: tuple[str, ...]
) -> None:
    """Send dead letters back to the work exchange: by message id, by --error-type, or --all."""
    from etl_core.cli import EXIT_USAGE, _fail, _settings
    from etl_core.dlq import replay

    if not (replay_all or message_ids or error_types):
        _fail("name message ids to replay, or pass --error-type or --all", EXIT_USAGE)
    if replay_all and (message_ids or error_types):
        _fail("--all replays everything; drop it to choose by id or --error-type", EXIT_USAGE)
    replayed = _broker_call(lambda: replay(_settings(), message_ids or None, error_types or None))
    for letter in replayed:
        click.echo(f"replayed {letter.message_id} ({letter.error_type})")
    click.echo(f"{len(replayed)} replayed", err=True)


def _wait_for(open_store: Callable[[], T], patience: float) -> T:
    """``open_store()``, tried again with backoff while the store is unavailable, for up to
    ``patience`` seconds; then its last error propagates."""
    from etl_core.dedup import DedupUnavailableError
    from etl_core.history import HistoryUnavailableError

    deadline = time.monotonic() + patience
    delay = 0.5
    while True:
        try:
            return open_store()
        except (DedupUnavailableError, HistoryUnavailableError) as exc:
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
    except pika.exceptions.AMQPError as exc:
        click.echo(f"etl: error: cannot reach the broker: {type(exc).__name__}", err=True)
        sys.exit(EXIT_BROKER)
