"""Splitting one scheduled run across N processes (``partner-nhi scan --shard K/N``).

Each scope belongs to exactly one shard: the first 8 bytes of SHA-256 over
``"<connector>:<scope id>"``, as an unsigned integer, modulo N. The partition is stable
(it does not depend on the order, the number of other scopes or the machine), so the
shards of one run never scan a scope twice nor leave one out. K counts from 0, like a
Kubernetes Indexed Job's ``JOB_COMPLETION_INDEX``. All shards of a run share its id
(``--run-id``); the run is complete only when every shard reported complete.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from partner_nhi.errors import ConfigError

_SHARD = re.compile(r"^(\d+)/(\d+)$")


@dataclass(frozen=True)
class Shard:
    index: int  # 0 .. count - 1
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        match = _SHARD.match(text.strip())
        if not match:
            raise ConfigError(f"--shard: {text!r} is not K/N (e.g. 0/4 for the first of four shards)")
        index, count = int(match[1]), int(match[2])
        if count < 1 or not 0 <= index < count:
            raise ConfigError(f"--shard: {text!r}: K must be from 0 to N-1 and N at least 1")
        return cls(index, count)

    def owns(self, connector: str, scope: str) -> bool:
        digest = hashlib.sha256(f"{connector}:{scope}".encode()).digest()
        return int.from_bytes(digest[:8], "big") % self.count == self.index

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def combined_status(parts: list[str], expected: int, overdue: bool) -> str:
    """A sharded run's status from its shards' parts: complete only when all ``expected``
    reported complete; while some have not reported it is running, and past the deadline
    (``overdue``) partial, never complete."""
    if len(parts) < expected:
        return "partial" if overdue else "running"
    if all(part == "complete" for part in parts):
        return "complete"
    if all(part == "failed" for part in parts):
        return "failed"
    return "partial"
