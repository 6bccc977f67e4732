"""One run: connectors by scopes, concurrently; attribution, rules and history one scope
at a time, as each finishes.

A scope that fails never aborts the others: its units are recorded failed and the run
becomes partial. Configured scopes are scanned even when discovery fails; a scope
history knows but this run did not reach is carried, with the reason, never resolved.
The run ends in the store as complete, partial or failed, never left running: an
unexpected error or an interrupt records it failed, with why, before it propagates.
Only the core decides statuses; connectors only fetch.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import partial

import structlog

from partner_nhi.attribution import Attributor
from partner_nhi.config import Settings
from partner_nhi.connector import CallCounter, Connector, Scope, UnitStatus, load_connector
from partner_nhi.coverage import RetryPolicy, UnitOutcome, UnitRecorder
from partner_nhi.errors import MalformedRecord, PartnerNhiError
from partner_nhi.history import ScopeDecision, reconcile_scope
from partner_nhi.records import Identity
from partner_nhi.registry import Registry
from partner_nhi.results import Finding, JudgedIdentity, RunResult, ScopeResult
from partner_nhi.rules.catalogue import evaluate
from partner_nhi.rules.model import Hit, RuleInput, Undetermined
from partner_nhi.shards import Shard
from partner_nhi.store import Store
from partner_nhi.suppressions import Suppressions

log = structlog.get_logger(__name__)

DISCOVERY = "scope-discovery"

Progress = Callable[[str, ScopeResult | None], None]


class ScanInterrupted(PartnerNhiError):
    """The run was stopped (Ctrl-C, SIGTERM) before it finished."""


@dataclass(frozen=True)
class ScanRequest:
    settings: Settings
    registry: Registry
    connectors: Sequence[str]
    command: str = "scan"
    now: datetime | None = None  # for reproducible evaluation; defaults to the clock
    # Keep every scope's identities and findings on the RunResult (tests, library use). The CLI
    # does not: each scope's records are dropped once committed, and reports stream from the store.
    keep_records: bool = True
    run_id: str | None = None  # given by the scheduler so the shards of one run share it
    shard: Shard | None = None  # scan only the scopes this shard owns
    suppressions: Suppressions = field(default_factory=Suppressions)  # accepted risks, matched per run


@dataclass
class _Plan:
    """What this run scans, and what it knows it cannot."""

    work: list[tuple[Connector, Scope]] = field(default_factory=list)
    discovery_failures: list[ScopeResult] = field(default_factory=list)
    unscanned_reasons: dict[str, str] = field(default_factory=dict)  # connector -> why


def build_connectors(settings: Settings, names: Sequence[str]) -> list[Connector]:
    """Instantiate (and so validate the settings of) every requested connector, then let each
    know the others of the run."""
    built = {name: load_connector(name)(settings.connectors.get(name)) for name in names}
    for name, connector in built.items():
        connector.alongside({other: peer for other, peer in built.items() if other != name})
    return list(built.values())


def run_scan(request: ScanRequest, store: Store | None, progress: Progress | None = None) -> RunResult:
    connectors = build_connectors(request.settings, request.connectors)
    run = RunResult(
        id=request.run_id or str(uuid.uuid4()),
        command=request.command,
        started=datetime.now(UTC),
        shard=str(request.shard) if request.shard else None,
    )
    deadline = timedelta(minutes=request.settings.shard_deadline_minutes)
    if store is not None:
        store.settle_runs(deadline)
        store.begin_run(run, request.shard)
    stop = threading.Event()
    try:
        _scan(run, connectors, request, store, progress, stop)
    except BaseException as exc:
        stop.set()
        interrupted = isinstance(exc, KeyboardInterrupt | ScanInterrupted)
        run.error = "interrupted" if interrupted else f"internal error: {type(exc).__name__}: {exc}"[:500]
        run.finished = datetime.now(UTC)
        log.error("run.failed", run=run.id, error=run.error)
        if store is not None:
            try:
                store.finish_run(run, request.shard, deadline)
            except Exception as store_error:  # the store itself is what broke: say so, keep the first error
                log.error("run.not_recorded", run=run.id, error=str(store_error))
        raise
    run.finished = datetime.now(UTC)
    if store is not None:
        store.finish_run(run, request.shard, deadline)
    log.info("run.finished", run=run.id, status=run.status, findings=len(run.findings))
    return run


def _scan(
    run: RunResult,
    connectors: list[Connector],
    request: ScanRequest,
    store: Store | None,
    progress: Progress | None,
    stop: threading.Event,
) -> None:
    plan = _plan(connectors, run, request.shard)
    now = request.now or run.started
    attributor = Attributor(request.registry)
    retry = RetryPolicy(**request.settings.retry.model_dump())
    seen_findings: set[str] = set()
    review = partial(request.suppressions.review, today=now.astimezone(UTC).date())

    def fold(scope: ScopeResult) -> None:
        judged, findings, undetermined = _judge(scope, attributor, request.settings, now, seen_findings)
        if store is not None:
            decision = store.commit_scope(run.id, scope, judged, findings, undetermined, review)
        else:
            decision = reconcile_scope(run.id, scope.complete_units(), judged, findings, undetermined, {}, {}, {})
            decision = replace(decision, findings=review(decision.findings))
        _add(run, scope, judged, undetermined, decision, request.keep_records)

    for failure in plan.discovery_failures:
        fold(failure)
    if progress:
        progress(f"scanning {len(plan.work)} scope(s)", None)
    pool = ThreadPoolExecutor(max_workers=request.settings.concurrency, thread_name_prefix="scope")
    try:
        futures: list[Future[ScopeResult]] = [
            pool.submit(_scan_scope, connector, scope, retry, stop) for connector, scope in plan.work
        ]
        for future in as_completed(futures):
            scope_result = future.result()
            fold(scope_result)
            if progress:
                progress(f"{scope_result.connector}:{scope_result.scope.id}", scope_result)
    finally:
        stop.set()  # on any way out, workers stop at their next call
        pool.shutdown(wait=False, cancel_futures=True)
    if store is not None:
        scanned = {scope.key for scope in run.scopes}
        names = [connector.name for connector in connectors]
        carried = store.carry_unscanned(run.id, names, scanned, plan.unscanned_reasons, request.shard, review)
        for scope, decision in carried:
            _add(run, scope, [], {}, decision, request.keep_records)
        if request.suppressions.entries and run.status != "failed":  # a run that saw nothing proves no entry stale
            _count_accepted_risks(run, request, store, names)
    run.scopes.sort(key=lambda s: (s.connector, s.scope.id))


def _count_accepted_risks(run: RunResult, request: ScanRequest, store: Store, providers: list[str]) -> None:
    """Record how many findings each entry that could apply matched in this run, and warn of each
    entry that matched nothing in its last runs (stale). A shard's counts are part of its run's:
    that run counts towards staleness once every shard has reported (in the runs after it)."""
    suppressions = request.suppressions
    applicable = suppressions.applicable(providers)
    store.record_accepted_risk_uses(run.id, request.shard, {e.id: run.accepted[e.id] for e in applicable})
    whole = run.id if request.shard is None else None
    history = store.accepted_risk_uses([e.id for e in suppressions.entries], suppressions.stale_after_runs, whole)
    for message in suppressions.stale(history):
        log.warning("accepted_risk.stale", detail=message)
        run.warnings.append(message)


def _plan(connectors: list[Connector], run: RunResult, shard: Shard | None) -> _Plan:
    """Configured scopes first, then discovered ones; each scope once; only this shard's."""
    plan = _Plan()
    for connector in connectors:
        configured = list(connector.scopes())
        discovered: list[Scope] = []
        try:
            discovered = connector.discover()
        except Exception as exc:  # discovery itself failed: say so, still scan what is configured
            kind = connector.classify(exc)
            error = f"{type(exc).__name__}: {exc}"[:500]
            outcome = UnitOutcome(DISCOVERY, UnitStatus.FAILED, error, kind)
            where = "*" if shard is None else f"*/{shard.index}"  # each shard records its own failure
            plan.discovery_failures.append(ScopeResult(connector.name, Scope(connector.name, where), [outcome], []))
            plan.unscanned_reasons[connector.name] = f"not scanned: {connector.name} scope discovery failed: {error}"
            log.error("scope.discovery_failed", connector=connector.name, error=error)
        chosen: dict[str, Scope] = {}
        for scope in configured:
            if scope.id in chosen:
                run.warnings.append(f"{connector.name} scope {scope.id} is configured more than once: scanned once")
                log.warning("scope.duplicate", connector=connector.name, scope=scope.id)
                continue
            chosen[scope.id] = scope
        for scope in discovered:  # a configured scope's own settings (its role, say) win
            chosen.setdefault(scope.id, scope)
        owned = [scope for scope in chosen.values() if shard is None or shard.owns(connector.name, scope.id)]
        plan.work.extend((connector, scope) for scope in owned)
    return plan


def _scan_scope(connector: Connector, scope: Scope, retry: RetryPolicy, stop: threading.Event) -> ScopeResult:
    recorder = UnitRecorder(connector, retry, scope, stop)
    calls = CallCounter()
    observed_at = datetime.now(UTC)
    identities: list[Identity] = []
    error = None
    try:
        identities = connector.collect(scope, recorder, calls)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
        log.error("scope.failed", connector=connector.name, scope=scope.id, error=error)
        recorder.abort(exc)
        identities = []
    kept = []
    for identity in identities:  # a record claiming another scope is malformed, not moved
        if identity.scope != scope.id:
            recorder.reject(
                identity.source,
                repr(identity.id),
                MalformedRecord("scope", f"listed in {scope.id!r} but names {identity.scope!r}"),
            )
            continue
        kept.append(identity)
    return ScopeResult(
        identity_count=len(kept),
        connector=connector.name,
        scope=scope,
        units=recorder.outcomes(),
        identities=kept,
        api_calls=calls.total,
        api_calls_by_operation=dict(sorted(calls.by_operation.items())),
        error=error,
        observed_at=observed_at,
    )


def _judge(
    scope: ScopeResult, attributor: Attributor, settings: Settings, now: datetime, seen_findings: set[str]
) -> tuple[list[JudgedIdentity], list[Finding], dict[str, str]]:
    """Attribute and evaluate one scope's identities: each identity and each finding id once."""
    judged: list[JudgedIdentity] = []
    findings: list[Finding] = []
    undetermined: dict[str, str] = {}
    seen: set[str] = set()
    for identity in scope.identities:
        if identity.id in seen:  # a connector listed it twice: judge it once
            log.warning("identity.duplicate", connector=scope.connector, scope=scope.scope.id, identity=identity.id)
            continue
        seen.add(identity.id)
        attribution = attributor.attribute(identity)
        judged.append(JudgedIdentity(scope.connector, identity, attribution))
        partner_id = attribution.partner.id if attribution.partner else None
        owner_id = attribution.owner.id if attribution.owner else None
        thresholds = settings.thresholds.resolve(identity.provider, partner_id)
        for judgement in evaluate(RuleInput(identity, attribution, thresholds, now)):
            verdict = judgement.verdict
            if isinstance(verdict, Undetermined):
                undetermined[judgement.finding_id] = verdict.why
                continue
            assert isinstance(verdict, Hit)
            if judgement.finding_id in seen_findings:
                log.warning("finding.duplicate", finding=judgement.finding_id, identity=identity.id)
                continue
            seen_findings.add(judgement.finding_id)
            findings.append(
                Finding(
                    id=judgement.finding_id,
                    rule=judgement.rule.id,
                    severity=judgement.severity,
                    connector=scope.connector,
                    provider=identity.provider,
                    scope=identity.scope,
                    identity=identity.id,
                    identity_name=identity.name,
                    identity_kind=identity.kind,
                    credential=verdict.credential,
                    partner=partner_id,
                    owner=owner_id,
                    reason=verdict.reason,
                    message=verdict.message,
                    remediation=judgement.rule.remediation,
                    frameworks=judgement.rule.frameworks,
                    evidence={
                        **verdict.evidence,
                        "attribution": {
                            "partner": attribution.partner_evidence.detail,
                            "owner": attribution.owner_evidence.detail,
                        },
                        **({"privileged": list(identity.permissions)} if identity.privileged else {}),
                    },
                    units=identity.units_for(verdict.credential),
                )
            )
    return judged, findings, undetermined


def _add(
    run: RunResult,
    scope: ScopeResult,
    judged: list[JudgedIdentity],
    undetermined: dict[str, str],
    decision: ScopeDecision,
    keep_records: bool,
) -> None:
    """Fold a committed scope into the run: its summary always, its records only when kept."""
    run.tally.update((finding.status, finding.severity) for finding in decision.findings if not finding.suppressed)
    run.accepted.update(finding.suppression.id for finding in decision.findings if finding.suppression)
    identities = scope.identities if keep_records else []
    run.scopes.append(replace(scope, identities=identities, superseded_by=decision.superseded_by))
    if keep_records:
        run.identities.extend(judged)
        run.undetermined.update(undetermined)
        run.findings.extend(decision.findings)
