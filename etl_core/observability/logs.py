"""Structured logging with structlog: JSON lines in production, readable on a terminal.

Log events name stages, files, counts and ids; never a health value or a raw user id (the
pipeline binds only the pseudonym).

structlog is imported when logging is configured or a logger is first used, not when this
module is: a module holding a logger (the plugin registry) stays cheap to import for commands
that never log, such as ``etl plugins``.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Collection, MutableMapping
from typing import Any


class _CurrentStderr:
    """Whatever ``sys.stderr`` is at the moment of writing: while ``etl run`` shows its
    progress bar, rich swaps in a proxy that prints each line above the bar."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure_logging(
    level: str = "INFO",
    *,
    json_lines: bool | None = None,
    quiet_events: Collection[str] = (),
) -> None:
    """Set up structlog once per process; logs go to stderr. Events named in
    ``quiet_events`` are dropped (a command that reports them in its own words)."""
    import structlog

    if json_lines is None:
        json_lines = not sys.stderr.isatty()
    quiet = frozenset(quiet_events)

    def drop_quiet(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        if event.get("event") in quiet:
            raise structlog.DropEvent
        return event

    renderer: Any = (
        structlog.processors.JSONRenderer()
        if json_lines
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            drop_quiet,
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
        ),
        # One write per line, newline included: a line is whole or absent even when the
        # process is killed mid-log (print() writes the text and the newline separately).
        logger_factory=structlog.WriteLoggerFactory(file=_CurrentStderr()),  # type: ignore[arg-type]
        cache_logger_on_first_use=False,
    )


class _LazyLogger:
    """A named logger that imports structlog on its first use, then forwards every call
    (``info``, ``warning``, ``bind``...) to structlog's logger of that name. structlog's own
    logger reads the configuration at each call, so one made before
    :func:`configure_logging` still follows it."""

    __slots__ = ("_logger", "_name")

    def __init__(self, name: str) -> None:
        self._name = name
        self._logger: Any = None

    def __getattr__(self, attribute: str) -> Any:
        if self._logger is None:
            import structlog

            self._logger = structlog.get_logger(self._name)
        return getattr(self._logger, attribute)

    def __repr__(self) -> str:
        return f"<lazy structlog logger {self._name!r}>"


def get_logger(name: str = "etl") -> Any:
    """The structured logger called ``name``; structlog itself loads on its first use."""
    return _LazyLogger(name)
