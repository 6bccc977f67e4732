"""structlog to stderr: key=value on a terminal, JSON lines in a container.

Names in log lines come from partners (an app's display name, a role's name): terminal
control characters are removed from every value before it is written, so a log line can
never move the cursor, clear the screen or hide what follows it.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # C0 (but tab, newline) and C1, ESC included
_verbosity = 0


def verbosity() -> int:
    """How many ``-v`` the command was given (the CLI shows a traceback only when asked)."""
    return _verbosity


def without_control_characters(value: Any) -> Any:
    if isinstance(value, str):
        return _CONTROL.sub("\N{REPLACEMENT CHARACTER}", value)
    if isinstance(value, dict):
        return {key: without_control_characters(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [without_control_characters(item) for item in value]
    return value


def _clean(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> Mapping[str, Any]:
    return {key: without_control_characters(value) for key, value in event.items()}


def configure(verbosity: int, json_logs: bool | None = None) -> None:
    import structlog  # imported here: the command line's start-up does not pay for it

    global _verbosity
    _verbosity = verbosity
    level = logging.WARNING - 10 * min(verbosity, 2)
    as_json = (not sys.stderr.isatty()) if json_logs is None else json_logs
    renderer = structlog.processors.JSONRenderer() if as_json else structlog.dev.ConsoleRenderer(colors=False)
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _clean,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=lambda *args: structlog.PrintLogger(sys.stderr),  # sys.stderr as it is when writing
        cache_logger_on_first_use=False,
    )
