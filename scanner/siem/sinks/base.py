"""What every sink is: it sends one batch and returns only when the receiver said yes.

A sink raises :class:`DeliveryFailed` when the answer was not a yes but may be next time
(retried, with the receiver's Retry-After when it gave one), and :class:`SinkRejected`
when the receiver refuses this configuration (not retried in this run). Either way the
batch stays pending: the delivery loop records an acknowledgement only when ``send``
returns.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Sequence

from partner_nhi.errors import ConfigError, PartnerNhiError
from partner_nhi.store.outbox import OutboxEvent


class DeliveryFailed(PartnerNhiError):
    """No positive answer this time (a timeout, a dropped connection, throttling, a 5xx)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class SinkRejected(PartnerNhiError):
    """The receiver refuses what this configuration sends (bad token, bad request): fix the config."""


class Sink(ABC):
    """One configured receiver. ``describe`` names it in messages (never with a secret)."""

    name: str
    kind: str

    @abstractmethod
    def send(self, events: Sequence[OutboxEvent]) -> None:
        """Deliver ``events`` (in order) and return only once the receiver acknowledged them all."""

    def close(self) -> None:  # noqa: B027 - most sinks hold nothing open between batches
        """Release connections and files."""

    @property
    def writes_stdout(self) -> bool:
        return False

    def describe(self) -> str:
        return f"{self.name} ({self.kind})"


def secret_from_environment(sink: str, setting: str, variable: str) -> str:
    """A sink's secret, from the environment variable its configuration names."""
    value = os.environ.get(variable, "")
    if not value.strip():
        raise ConfigError(f"siem sink {sink}: {setting}: environment variable {variable} is not set or empty")
    return value.strip()
