"""Coverage units: for every (connector, scope, resource type), what happened.

:class:`UnitRecorder` is the engine's side of :class:`partner_nhi.connector.Units`.
It retries throttled and transient errors, classifies the rest through the
connector, and records each unit as complete, partial, failed or skipped.
Resolution of findings is gated on these records (SPEC §7).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

import structlog
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from partner_nhi.connector import Connector, ErrorKind, Scope, UnitStatus

T = TypeVar("T")
K = TypeVar("K")

log = structlog.get_logger(__name__)

_STATUS_ORDER = [UnitStatus.COMPLETE, UnitStatus.SKIPPED, UnitStatus.PARTIAL, UnitStatus.FAILED]


@dataclass(frozen=True)
class RetryPolicy:
    """The engine's retry on top of each SDK's own: for throttling storms and blips."""

    attempts: int = 4
    initial_delay: float = 1.0
    max_delay: float = 30.0


@dataclass
class UnitOutcome:
    resource_type: str
    status: UnitStatus
    error: str | None = None
    error_kind: ErrorKind | None = None
    notes: list[str] = field(default_factory=list)
    items_failed: int = 0
    enrichment: bool = False  # only adds last-use evidence: see Connector.enrichment_units


class UnitRecorder:
    """Runs a connector's fetches for one scope and records each unit's outcome."""

    def __init__(self, connector: Connector, retry: RetryPolicy | None = None, scope: Scope | None = None) -> None:
        self._connector = connector
        self._declared = list(connector.unit_names(scope) if scope is not None else connector.resource_types)
        self._retry = retry or RetryPolicy()
        self._lock = threading.Lock()
        self._outcomes: dict[str, UnitOutcome] = {}

    def fetch(self, unit: str, call: Callable[[], T]) -> T | None:
        try:
            result = self._with_retry(call)
        except Exception as exc:
            self._record_error(unit, exc)
            return None
        self._record(unit, UnitOutcome(unit, UnitStatus.COMPLETE))
        return result

    def fetch_each(self, unit: str, items: Iterable[K], call: Callable[[K], T]) -> dict[K, T]:
        results: dict[K, T] = {}
        failures: list[tuple[K, BaseException]] = []
        for item in items:
            try:
                results[item] = self._with_retry(lambda item=item: call(item))  # type: ignore[misc]
            except Exception as exc:
                failures.append((item, exc))
        if not failures:
            self._record(unit, UnitOutcome(unit, UnitStatus.COMPLETE))
            return results
        item, first = failures[0]
        kind = self._connector.classify(first)
        status = UnitStatus.PARTIAL if results else _status_of_failure(kind)
        message = f"{len(failures)} of {len(failures) + len(results)} failed; first ({item}): {_describe(first)}"
        log.warning("unit.incomplete", unit=unit, status=status.value, error=message)
        self._record(unit, UnitOutcome(unit, status, message, kind, items_failed=len(failures)))
        return results

    def note(self, unit: str, message: str) -> None:
        with self._lock:
            outcome = self._outcomes.setdefault(unit, UnitOutcome(unit, UnitStatus.COMPLETE))
            outcome.notes.append(message)

    def fail_remaining(self, error: BaseException) -> None:
        """The whole scope broke (e.g. AssumeRole refused): every unit not yet run fails."""
        kind = self._connector.classify(error)
        for unit in self._declared:
            if unit not in self._outcomes:
                self._record(unit, UnitOutcome(unit, _status_of_failure(kind), _describe(error), kind))

    def outcomes(self) -> list[UnitOutcome]:
        """Every declared unit; one the connector never reached is skipped, not complete."""
        result = []
        for unit in self._declared:
            outcome = self._outcomes.get(unit) or UnitOutcome(
                unit, UnitStatus.SKIPPED, "not reached: an earlier unit of this scope failed"
            )
            result.append(outcome)
        extra = [o for u, o in self._outcomes.items() if u not in self._declared]
        for outcome in result + extra:
            outcome.enrichment = outcome.resource_type in self._connector.enrichment_units
        return result + extra

    def _with_retry(self, call: Callable[[], T]) -> T:
        retrying = Retrying(
            stop=stop_after_attempt(self._retry.attempts),
            wait=wait_exponential(multiplier=self._retry.initial_delay, max=self._retry.max_delay),
            retry=retry_if_exception(lambda e: self._connector.classify(e).retryable),
            reraise=True,
        )
        return retrying(call)

    def _record_error(self, unit: str, error: BaseException) -> None:
        kind = self._connector.classify(error)
        status = _status_of_failure(kind)
        log.warning("unit.failed", unit=unit, kind=kind.value, error=_describe(error))
        self._record(unit, UnitOutcome(unit, status, _describe(error), kind))

    def _record(self, unit: str, outcome: UnitOutcome) -> None:
        """A unit fetched in several calls keeps its worst status and first error."""
        with self._lock:
            previous = self._outcomes.get(unit)
            if previous is not None:
                outcome.notes = previous.notes + outcome.notes
                if _STATUS_ORDER.index(previous.status) >= _STATUS_ORDER.index(outcome.status):
                    previous.notes = outcome.notes
                    return
            self._outcomes[unit] = outcome


def _status_of_failure(kind: ErrorKind) -> UnitStatus:
    """An API that is not enabled (or licensed) is skipped with its reason; anything else failed."""
    return UnitStatus.SKIPPED if kind is ErrorKind.API_DISABLED else UnitStatus.FAILED


def _describe(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return f"{type(error).__name__}: {text}"[:500]
