"""Structured logging with structlog: JSON lines in production, readable on a terminal.

Log events name stages, files, counts and ids; never a health value or a raw user id (the
pipeline binds only the pseudonym).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Collection, MutableMapping
from typing import Any

import structlog


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


def get_logger(name: str = "etl") -> Any:
    return structlog.get_logger(name)
