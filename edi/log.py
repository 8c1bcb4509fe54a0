"""structlog configuration: JSON events to stderr. Events carry file names, counts, control numbers,
dispositions and reasons, never patient or subscriber data (names, member ids, birth dates, addresses)."""

from __future__ import annotations

import logging
import sys

import structlog


def configure(level: str = "WARNING", json: bool = True) -> None:
    """structlog: JSON events (or plain console) to stderr at `level`."""
    renderer = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,  # the worker id (edi.runner.workers), on every event
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(getattr(logging, level.upper(), logging.WARNING)),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=False,
    )


def get_logger(name: str = "edi"):
    """A structlog logger named `name`."""
    return structlog.get_logger(name)
