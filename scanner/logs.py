"""structlog to stderr: key=value on a terminal, JSON lines in a container."""

from __future__ import annotations

import logging
import sys

import structlog


class _StderrLoggerFactory:
    """Resolve ``sys.stderr`` on every use: it may be replaced (tests, daemons) after configure()."""

    def __call__(self, *args: object) -> structlog.PrintLogger:
        return structlog.PrintLogger(sys.stderr)


_verbosity = 0


def verbosity() -> int:
    """How many ``-v`` the command was given (the CLI shows a traceback only when asked)."""
    return _verbosity


def configure(verbosity: int, json_logs: bool | None = None) -> None:
    global _verbosity
    _verbosity = verbosity
    level = logging.WARNING - 10 * min(verbosity, 2)
    as_json = (not sys.stderr.isatty()) if json_logs is None else json_logs
    renderer = structlog.processors.JSONRenderer() if as_json else structlog.dev.ConsoleRenderer(colors=False)
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=_StderrLoggerFactory(),
        cache_logger_on_first_use=False,
    )
