"""The contract between the core and a connector, and the one error taxonomy.

A connector is one package under ``connectors/`` registered in the
``partner_nhi.connectors`` entry-point group. It lists its configured scopes
(accounts, tenants, projects) and, separately, those it discovers through an API,
opens each with its own client factory, and collects identities unit by unit
through :class:`Units`, which the engine implements: the engine, not the
connector, retries, times and records every coverage unit. Every raw record is
turned into a core record through :meth:`Units.transform`, so a malformed one
costs that record (its unit becomes partial, the error names it) and never the
listing: no path lets a bad record end as a complete unit with fewer identities.

Errors: a connector maps any exception to an :class:`ErrorKind` in
:meth:`Connector.classify`. ``throttled`` and ``transient`` are retried;
``api-disabled`` makes a unit ``skipped``; everything else makes it ``failed``.
An error is never an empty list.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from enum import StrEnum
from importlib.metadata import entry_points
from typing import Any, ClassVar, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from partner_nhi.errors import ConfigError
from partner_nhi.records import Identity
from partner_nhi.revocation import RevocationStep

T = TypeVar("T")
K = TypeVar("K")
R = TypeVar("R")

ENTRY_POINT_GROUP = "partner_nhi.connectors"


class ErrorKind(StrEnum):
    THROTTLED = "throttled"
    TRANSIENT = "transient"
    AUTH = "auth"
    FORBIDDEN = "forbidden"
    API_DISABLED = "api-disabled"
    NOT_FOUND = "not-found"
    INVALID = "invalid"
    UNKNOWN = "unknown"

    @property
    def retryable(self) -> bool:
        return self in (ErrorKind.THROTTLED, ErrorKind.TRANSIENT)


class UnitStatus(StrEnum):
    COMPLETE = "complete"
    PARTIAL = "partial"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Scope:
    """One account, tenant or project a connector scans."""

    connector: str
    id: str
    name: str = ""
    settings: Mapping[str, Any] = field(default_factory=dict)


class CallCounter:
    """Counts API requests actually sent (retries included) for one scope."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.total = 0
        self.by_operation: dict[str, int] = {}

    def add(self, operation: str) -> None:
        with self._lock:
            self.total += 1
            self.by_operation[operation] = self.by_operation.get(operation, 0) + 1


class Units(Protocol):
    """How a connector runs each resource type; the engine records the outcome."""

    def fetch(self, unit: str, call: Callable[[], T]) -> T | None:
        """Run one bulk fetch. ``None`` means it failed or was skipped (recorded)."""

    def fetch_each(self, unit: str, items: Iterable[K], call: Callable[[K], T]) -> dict[K, T]:
        """Run one call per item; items that fail are left out and make the unit partial."""

    def transform(self, unit: str, records: Iterable[R], build: Callable[[R], T], label: Callable[[R], str]) -> list[T]:
        """Build one core record per raw record. One that raises (a missing field, a bad date:
        see :class:`~partner_nhi.errors.MalformedRecord`) is left out and makes ``unit`` partial,
        with an error naming it by ``label`` and the field; the others are kept."""

    def note(self, unit: str, message: str) -> None:
        """Record a caveat on a unit that did complete (e.g. last use not exposed)."""


class Connector(ABC):
    """One cloud. Subclasses set the class attributes and implement the methods."""

    name: ClassVar[str]  # e.g. "aws": the entry-point name and the config key
    settings_model: ClassVar[type[BaseModel]]
    resource_types: ClassVar[Sequence[str]]  # every unit it may record, in order
    # Units that only add last-use evidence (sign-in reports, activity APIs). Skipped for a stated
    # reason (not licensed, API not enabled), they leave last use unknown, not the inventory partial.
    enrichment_units: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, settings: Mapping[str, Any] | None) -> None:
        try:
            self.settings: Any = self.settings_model.model_validate(settings or {})
        except ValidationError as exc:
            raise ConfigError.from_validation(exc, prefix=f"connectors.{self.name}") from None

    def unit_names(self, scope: Scope) -> Sequence[str]:
        """Every unit this scope may record; override when it depends on the scope
        (e.g. one unit per subscription of a tenant)."""
        return self.resource_types

    @abstractmethod
    def scopes(self) -> list[Scope]:
        """The accounts/tenants/projects the configuration names (no API call)."""

    def alongside(self, others: Mapping[str, Connector]) -> None:
        """Called once per run with the run's other connectors (by name), before any scope is
        listed, so that two connectors reading one tenant can split it without the user having
        to say so (third-party apps are the m365 connector's when it runs beside azure).
        Default: nothing to share."""
        return None

    def discover(self) -> list[Scope]:
        """Scopes found through an API (an organisation's accounts, a folder's projects).

        May raise: the engine then records discovery as failed, still scans :meth:`scopes`,
        and carries the open findings of every scope it did not reach."""
        return []

    @abstractmethod
    def collect(self, scope: Scope, units: Units, calls: CallCounter) -> list[Identity]:
        """Fetch every resource type of one scope through ``units`` and normalize."""

    @abstractmethod
    def classify(self, error: BaseException) -> ErrorKind:
        """Map an SDK exception to the taxonomy."""

    @classmethod
    def revocation_steps(cls, identity: Identity) -> list[RevocationStep]:
        """What a human runs, in order, to cut this identity off (partner-nhi itself never
        changes anything). Empty when the connector knows no command for this kind."""
        return []

    @classmethod
    def demo_estate(cls) -> AbstractContextManager[dict[str, Any]] | None:
        """Start a simulated estate (emulator + seed data) and yield this connector's
        settings pointing at it; ``None`` when the connector has no demo."""
        return None


def load_connector(name: str) -> type[Connector]:
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        if entry.name == name:
            try:
                connector: type[Connector] = entry.load()
            except ImportError as exc:
                raise ConfigError(
                    f"connector {name!r} needs its SDK ({exc.name or exc} is missing): "
                    f"pip install 'partner-nhi[{name}]'"
                ) from None
            return connector
    known = ", ".join(sorted(e.name for e in entry_points(group=ENTRY_POINT_GROUP))) or "none"
    raise ConfigError(f"unknown connector {name!r} (installed: {known})")


def connector_names() -> list[str]:
    return sorted(e.name for e in entry_points(group=ENTRY_POINT_GROUP))
