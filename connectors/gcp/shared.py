"""Reads shared by every project of one run: a folder's or the organisation's allow
policy, a custom role's definition. Made once and reused by every project that needs
them (projects scanned at once wait for the one read under way); a failure is not kept,
so each project that needs the read makes it again and records its own outcome."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar, cast

T = TypeVar("T")


class SharedReads:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[str, Any] = {}
        self._reading: dict[str, threading.Lock] = {}  # one per key: a read is made once at a time

    def get(self, key: str, read: Callable[[], T]) -> T:
        """The value read under ``key`` in this run; ``read`` it now if none was."""
        with self._lock:
            if key in self._values:
                return cast(T, self._values[key])
            reading = self._reading.setdefault(key, threading.Lock())
        with reading:
            with self._lock:
                if key in self._values:  # read by the project this one waited for
                    return cast(T, self._values[key])
            value = read()
            with self._lock:
                self._values[key] = value
            return value
