"""Coverage units: for every (connector, scope, resource type), what happened.

:class:`UnitRecorder` is the engine's side of :class:`partner_nhi.connector.Units`.
It retries throttled and transient errors, classifies the rest through the
connector, and records each unit as complete, partial, failed or skipped.
Resolution of findings is gated on these records (SPEC §7).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

import structlog
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from partner_nhi.connector import Connector, ErrorKind, Scope, UnitStatus
from partner_nhi.errors import MalformedRecord

T = TypeVar("T")
K = TypeVar("K")
R = TypeVar("R")

log = structlog.get_logger(__name__)

_STATUS_ORDER = [UnitStatus.COMPLETE, UnitStatus.SKIPPED, UnitStatus.PARTIAL, UnitStatus.FAILED]


@dataclass(frozen=True)
class RetryPolicy:
    """The engine's retry on top of each SDK's own: for throttling storms and blips."""

    attempts: int = 4
    initial_delay: float = 1.0
    max_delay: float = 30.0
    # Time budgets: past them a unit stops calling (its remaining items are "throttled past the
    # deadline", the unit partial or failed, its findings carried): a tenant that throttles forever
    # costs a bounded time, never an endless retry and never an empty success.
    unit_deadline_seconds: float = 1800.0
    scope_deadline_seconds: float = 7200.0


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

    def __init__(
        self,
        connector: Connector,
        retry: RetryPolicy | None = None,
        scope: Scope | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self._connector = connector
        self._stop = stop or threading.Event()
        self._declared = list(connector.unit_names(scope) if scope is not None else connector.resource_types)
        self._retry = retry or RetryPolicy()
        self._lock = threading.Lock()
        self._outcomes: dict[str, UnitOutcome] = {}
        self._started = time.monotonic()
        self._unit_started: dict[str, float] = {}

    def fetch(self, unit: str, call: Callable[[], T]) -> T | None:
        try:
            result = self._with_retry(unit, call)
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
                results[item] = self._with_retry(unit, lambda item=item: call(item))  # type: ignore[misc]
            except Exception as exc:
                failures.append((item, exc))
        if not failures:
            self._record(unit, UnitOutcome(unit, UnitStatus.COMPLETE))
            return results
        deadline = [(item, error) for item, error in failures if isinstance(error, DeadlineExceeded)]
        item, first = (deadline or failures)[0]  # a spent budget is the reason to name: it stopped the rest
        kind = self._kind(first)
        status = UnitStatus.PARTIAL if results else _status_of_failure(kind)
        which = "first past the deadline" if deadline else "first"
        message = f"{len(failures)} of {len(failures) + len(results)} failed; {which} ({item}): {_describe(first)}"
        log.warning("unit.incomplete", unit=unit, status=status.value, error=message)
        self._record(unit, UnitOutcome(unit, status, message, kind, items_failed=len(failures)))
        return results

    def transform(self, unit: str, records: Iterable[R], build: Callable[[R], T], label: Callable[[R], str]) -> list[T]:
        built: list[T] = []
        for number, record in enumerate(records):
            try:
                built.append(build(record))
            except Exception as exc:
                self.reject(unit, _label(label, record, number), exc)
        return built

    def reject(self, unit: str, record: str, error: BaseException) -> None:
        """One record of ``unit`` could not be used: the unit is partial, the error names it."""
        message = f"malformed record {record}: {describe_malformed(error)}"
        log.warning("unit.malformed_record", unit=unit, error=message)
        self._record(unit, UnitOutcome(unit, UnitStatus.PARTIAL, message, ErrorKind.INVALID, items_failed=1))

    def abort(self, error: BaseException) -> None:
        """The scope's collection raised: nothing it listed can be trusted as complete.

        Units already complete become partial (what they listed never reached the core);
        units not yet run fail. Their findings are carried, never resolved."""
        reason = f"the scope's collection failed afterwards: {_describe(error)}"
        with self._lock:
            for outcome in self._outcomes.values():
                if outcome.status is UnitStatus.COMPLETE:
                    outcome.status, outcome.error, outcome.error_kind = UnitStatus.PARTIAL, reason, ErrorKind.UNKNOWN
        self.fail_remaining(error)

    def note(self, unit: str, message: str) -> None:
        with self._lock:
            outcome = self._outcomes.setdefault(unit, UnitOutcome(unit, UnitStatus.COMPLETE))
            outcome.notes.append(message)

    def fail_remaining(self, error: BaseException) -> None:
        """The whole scope broke (e.g. AssumeRole refused): every unit not yet run fails."""
        kind = self._kind(error)
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

    def _kind(self, error: BaseException) -> ErrorKind:
        return ErrorKind.THROTTLED if isinstance(error, DeadlineExceeded) else self._connector.classify(error)

    def _with_retry(self, unit: str, call: Callable[[], T]) -> T:
        retrying = Retrying(
            stop=stop_after_attempt(self._retry.attempts),
            wait=wait_exponential(multiplier=self._retry.initial_delay, max=self._retry.max_delay),
            retry=retry_if_exception(lambda e: not isinstance(e, _Ended) and self._connector.classify(e).retryable),
            reraise=True,
        )
        self._unit_started.setdefault(unit, time.monotonic())
        result: T = retrying(self._checked, unit, call)
        return result

    def _checked(self, unit: str, call: Callable[[], T]) -> T:
        """Each attempt first checks the run was not stopped (Ctrl-C: workers end at their next
        call) and that neither the unit's nor the scope's time budget is spent."""
        if self._stop.is_set():
            raise RunStopped("the run was stopped before this call")
        now = time.monotonic()
        if now - self._started > self._retry.scope_deadline_seconds:
            raise DeadlineExceeded(
                f"throttled past the deadline: the scope ran over its {self._retry.scope_deadline_seconds:.0f} s budget"
            )
        if now - self._unit_started[unit] > self._retry.unit_deadline_seconds:
            raise DeadlineExceeded(
                f"throttled past the deadline: {unit} ran over its {self._retry.unit_deadline_seconds:.0f} s budget"
            )
        return call()

    def _record_error(self, unit: str, error: BaseException) -> None:
        kind = self._kind(error)
        status = _status_of_failure(kind)
        log.warning("unit.failed", unit=unit, kind=kind.value, error=_describe(error))
        self._record(unit, UnitOutcome(unit, status, _describe(error), kind))

    def _record(self, unit: str, outcome: UnitOutcome) -> None:
        """A unit fetched in several calls keeps its worst status, its first error and the
        count of every item that failed."""
        with self._lock:
            previous = self._outcomes.get(unit)
            if previous is None:
                self._outcomes[unit] = outcome
                return
            previous.notes += outcome.notes
            previous.items_failed += outcome.items_failed
            if _STATUS_ORDER.index(outcome.status) > _STATUS_ORDER.index(previous.status):
                previous.status, previous.error_kind = outcome.status, outcome.error_kind
                previous.error = outcome.error if previous.error is None else previous.error
            elif previous.error is None:
                previous.error, previous.error_kind = outcome.error, outcome.error_kind or previous.error_kind


class _Ended(Exception):
    """A call the engine itself ended: never retried."""


class RunStopped(_Ended):
    """Raised inside a worker once the run is stopping."""


class DeadlineExceeded(_Ended):
    """A unit or scope spent its time budget (a throttling storm, a hung API)."""


def _status_of_failure(kind: ErrorKind) -> UnitStatus:
    """An API that is not enabled (or licensed) is skipped with its reason; anything else failed."""
    return UnitStatus.SKIPPED if kind is ErrorKind.API_DISABLED else UnitStatus.FAILED


def _describe(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return f"{type(error).__name__}: {text}"[:500]


def describe_malformed(error: BaseException) -> str:
    """Name the field: a KeyError is a missing field; a MalformedRecord names its own."""
    if isinstance(error, MalformedRecord):
        return str(error)
    if isinstance(error, KeyError) and error.args:
        return f"field {error.args[0]!r}: missing"
    return _describe(error)


def _label(label: Callable[[R], str], record: R, number: int) -> str:
    try:
        return repr(str(label(record)))
    except Exception:
        return f"#{number}"
