"""What every ``etl`` command shares: exit codes, the one-line error, settings, plugins and
the metrics endpoint. Heavy modules are imported inside the functions, so that a command
pays only for what it uses."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, NoReturn

import click

if TYPE_CHECKING:
    from etl_core.engine.registry import PluginRegistry
    from etl_core.observability.health import HealthServer
    from etl_core.observability.metrics import EtlMetrics
    from etl_core.settings import Settings

EXIT_FAILED_FILES = 1
EXIT_USAGE = 2
EXIT_STARTUP = 3
EXIT_NO_SPACE = 4


def fail(message: str, code: int) -> NoReturn:
    """One ``etl: error:`` line on stderr and exit ``code``: how every user error ends."""
    click.echo(f"etl: error: {message}", err=True)
    sys.exit(code)


def load_settings() -> Settings:
    """The ``ETL_*`` settings, or one line naming every invalid one."""
    from etl_core.contract.envsettings import InvalidSettings
    from etl_core.settings import Settings

    try:
        return Settings()
    except InvalidSettings as exc:
        fail(f"invalid configuration: {exc}", EXIT_STARTUP)


def load_registry(settings: Settings) -> PluginRegistry:
    """The installed plugins, or one line saying why start-up refuses them."""
    from etl_core.engine.registry import PluginLoadError, load_plugins

    try:
        return load_plugins(
            disabled=settings.disabled_plugins, training_prefix=settings.training_data_prefix
        )
    except PluginLoadError as exc:
        fail(str(exc), EXIT_STARTUP)


def serve_health(
    settings: Settings, metrics: EtlMetrics, checks: dict[str, Callable[[], bool]]
) -> HealthServer:
    """The metrics and health endpoints on ETL_METRICS_HOST:ETL_METRICS_PORT, or one line and
    the start-up exit code when the address cannot be bound."""
    from etl_core.observability.health import HealthServer

    try:
        return HealthServer(
            metrics, checks, host=settings.metrics_host, port=settings.metrics_port
        ).start()
    except OSError as exc:
        fail(
            f"cannot serve metrics on {settings.metrics_host}:{settings.metrics_port}: "
            f"{exc.strerror}",
            EXIT_STARTUP,
        )
