"""One run: connectors by scopes, concurrently; attribution and rules per scope;
then one reconciliation against history in the store.

A scope that fails never aborts the others: its units are recorded failed and
the run becomes partial. Only the core decides statuses; connectors only fetch.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog

from partner_nhi.attribution import Attributor
from partner_nhi.config import Settings
from partner_nhi.connector import CallCounter, Connector, Scope, UnitStatus, load_connector
from partner_nhi.coverage import RetryPolicy, UnitOutcome, UnitRecorder
from partner_nhi.registry import Registry
from partner_nhi.results import Finding, JudgedIdentity, RunResult, ScopeResult
from partner_nhi.rules.catalogue import evaluate
from partner_nhi.rules.model import Hit, RuleInput, Undetermined
from partner_nhi.store import Store

log = structlog.get_logger(__name__)

DISCOVERY = "scope-discovery"

Progress = Callable[[str, ScopeResult | None], None]


@dataclass(frozen=True)
class ScanRequest:
    settings: Settings
    registry: Registry
    connectors: Sequence[str]
    command: str = "scan"
    now: datetime | None = None  # for reproducible evaluation; defaults to the clock


def build_connectors(settings: Settings, names: Sequence[str]) -> list[Connector]:
    """Instantiate (and so validate the settings of) every requested connector."""
    return [load_connector(name)(settings.connectors.get(name)) for name in names]


def run_scan(request: ScanRequest, store: Store | None, progress: Progress | None = None) -> RunResult:
    connectors = build_connectors(request.settings, request.connectors)
    run = RunResult(id=str(uuid.uuid4()), command=request.command, started=datetime.now(UTC))
    if store is not None:
        store.begin_run(run)
    now = request.now or run.started
    attributor = Attributor(request.registry)
    retry = RetryPolicy(**request.settings.retry.model_dump())

    work: list[tuple[Connector, Scope]] = []
    for connector in connectors:
        try:
            scopes = connector.scopes()
        except Exception as exc:  # discovery itself failed: say so, scan the others
            kind = connector.classify(exc)
            outcome = UnitOutcome(DISCOVERY, UnitStatus.FAILED, f"{type(exc).__name__}: {exc}"[:500], kind)
            run.scopes.append(ScopeResult(connector.name, Scope(connector.name, "*"), [outcome], []))
            log.error("scope.discovery_failed", connector=connector.name, error=str(exc))
            continue
        work.extend((connector, scope) for scope in scopes)
    if progress:
        progress(f"scanning {len(work)} scope(s)", None)

    with ThreadPoolExecutor(max_workers=request.settings.concurrency, thread_name_prefix="scope") as pool:
        futures = [pool.submit(_scan_scope, connector, scope, retry) for connector, scope in work]
        for future in as_completed(futures):
            scope_result = future.result()
            run.scopes.append(scope_result)
            _judge(run, scope_result, attributor, request.settings, now)
            if progress:
                progress(f"{scope_result.connector}:{scope_result.scope.id}", scope_result)

    run.scopes.sort(key=lambda s: (s.connector, s.scope.id))
    run.finished = datetime.now(UTC)
    if store is not None:
        store.commit_run(run)
    else:
        for finding in run.findings:
            finding.first_seen_run = run.id
    log.info("run.finished", run=run.id, status=run.status, findings=len(run.findings))
    return run


def _scan_scope(connector: Connector, scope: Scope, retry: RetryPolicy) -> ScopeResult:
    recorder = UnitRecorder(connector, retry, scope)
    calls = CallCounter()
    identities = []
    error = None
    try:
        identities = connector.collect(scope, recorder, calls)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
        log.error("scope.failed", connector=connector.name, scope=scope.id, error=error)
        recorder.fail_remaining(exc)
    return ScopeResult(
        connector=connector.name,
        scope=scope,
        units=recorder.outcomes(),
        identities=identities,
        api_calls=calls.total,
        api_calls_by_operation=dict(sorted(calls.by_operation.items())),
        error=error,
    )


def _judge(run: RunResult, scope: ScopeResult, attributor: Attributor, settings: Settings, now: datetime) -> None:
    seen: set[str] = set()
    for identity in scope.identities:
        if identity.id in seen:  # a connector listed it twice: judge it once
            log.warning("identity.duplicate", connector=scope.connector, scope=scope.scope.id, identity=identity.id)
            continue
        seen.add(identity.id)
        attribution = attributor.attribute(identity)
        run.identities.append(JudgedIdentity(scope.connector, identity, attribution))
        partner_id = attribution.partner.id if attribution.partner else None
        owner_id = attribution.owner.id if attribution.owner else None
        thresholds = settings.thresholds.resolve(identity.provider, partner_id)
        credential_units = sorted({c.source for c in identity.credentials} - {identity.source})
        for judgement in evaluate(RuleInput(identity, attribution, thresholds, now)):
            verdict = judgement.verdict
            if isinstance(verdict, Undetermined):
                run.undetermined[judgement.finding_id] = verdict.why
                continue
            assert isinstance(verdict, Hit)
            if verdict.credential is not None:
                credential = next(c for c in identity.credentials if c.id == verdict.credential)
                units = [identity.source] + ([credential.source] if credential.source != identity.source else [])
            else:
                units = [identity.source, *credential_units]
            run.findings.append(
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
                    units=units,
                )
            )
