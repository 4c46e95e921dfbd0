"""Structured logging with structlog: JSON lines in production, readable on a terminal.

Log events name stages, files, counts and ids; never a health value or a raw user id (the
pipeline binds only the pseudonym).
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog


def configure_logging(level: str = "INFO", *, json_lines: bool | None = None) -> None:
    """Set up structlog once per process; logs go to stderr."""
    if json_lines is None:
        json_lines = not sys.stderr.isatty()
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if json_lines
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
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
        logger_factory=structlog.WriteLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )


def get_logger(name: str = "etl") -> Any:
    return structlog.get_logger(name)
