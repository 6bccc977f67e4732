"""JSON Lines: each event one line, appended to a file and fsynced before it counts as
delivered, or written to standard output (``path: "-"``). A line a crash left half-written
is ended before the next append, so every later line parses."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from partner_nhi.errors import ConfigError
from partner_nhi.siem.config import JsonlSinkSettings
from partner_nhi.siem.sinks.base import DeliveryFailed, Sink
from partner_nhi.store.outbox import OutboxEvent

STDOUT = "-"


class JsonlSink(Sink):
    kind = "jsonl"

    def __init__(self, settings: JsonlSinkSettings) -> None:
        self.name = settings.name
        self.path = settings.path
        if self.path != STDOUT and not Path(self.path).parent.is_dir():
            raise ConfigError(f"siem sink {self.name}: path: no folder {Path(self.path).parent}")

    @property
    def writes_stdout(self) -> bool:
        return self.path == STDOUT

    def describe(self) -> str:
        return f"{self.name} (jsonl {'stdout' if self.writes_stdout else self.path})"

    def send(self, events: Sequence[OutboxEvent]) -> None:
        lines = "".join(json.dumps(event.event, separators=(",", ":")) + "\n" for event in events).encode()
        if self.writes_stdout:
            sys.stdout.write(lines.decode())
            sys.stdout.flush()
            return
        try:
            descriptor = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)  # read: its last byte
        except OSError as exc:
            raise DeliveryFailed(f"cannot open {self.path}: {exc.strerror}") from None
        try:
            if _ends_mid_line(descriptor):
                lines = b"\n" + lines
            while lines:  # a regular file takes it all, unless the disk fills (an OSError)
                lines = lines[os.write(descriptor, lines) :]
            os.fsync(descriptor)
        except OSError as exc:
            raise DeliveryFailed(f"cannot write {self.path}: {exc.strerror}") from None
        finally:
            os.close(descriptor)


def _ends_mid_line(descriptor: int) -> bool:
    size = os.fstat(descriptor).st_size
    return size > 0 and os.pread(descriptor, 1, size - 1) != b"\n"
