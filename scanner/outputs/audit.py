"""The audit evidence of one run, gathered in one pass over its document in the store.

What an auditor asks of a partner programme: what was looked at and what could not be
seen (coverage per scope, with the reason), who answers for each partner's identities and
on what evidence (the ownership matrix), what is wrong (findings by rule, severity, partner
and owner, and how that moved over the last runs), how old the live secrets are, and which
OWASP NHI Top 10 and NIST CSF 2.0 items the findings fall under. :func:`write_audit` renders
it as one HTML file or as Markdown, with the same content.

Only the current findings (new or open) are counted; resolved ones are counted apart. The
registry is optional: with it, partners have their names, status and sponsors, and owners
their status; without it, the report says so and shows what the run recorded.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TextIO

from partner_nhi.outputs.charts import SEVERITY_COLOURS, horizontal_bars, stacked_columns
from partner_nhi.outputs.html import render
from partner_nhi.records import CredentialKind
from partner_nhi.registry import Registry
from partner_nhi.rules.catalogue import CATALOGUE, NIST, OWASP
from partner_nhi.rules.model import Severity
from partner_nhi.store.queries import RunDocument, TrendPoint

SEVERITIES = [severity.value for severity in reversed(Severity)]  # critical first
# (label, up to this many days): the credential-age distribution's buckets
AGE_BUCKETS = (("0-30 d", 30), ("31-90 d", 90), ("91-180 d", 180), ("181-365 d", 365), ("1-2 y", 730))
OLDER, UNDATED = "over 2 y", "no date"
NO_PARTNER = "(no partner)"
NO_OWNER = "(no owner)"


@dataclass
class Holder:
    """One partner (or no partner) and what it holds in this run."""

    id: str | None
    name: str | None = None
    status: str | None = None
    offboarded_on: str | None = None
    sponsor: str | None = None
    registered: bool = False
    identities: list[dict[str, Any]] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)  # current ones
    resolved: int = 0
    by_severity: Counter[str] = field(default_factory=Counter)

    @property
    def label(self) -> str:
        return self.id or NO_PARTNER

    @property
    def enabled(self) -> int:
        return sum(1 for identity in self.identities if identity["enabled"])


@dataclass
class MatrixRow:
    """Partner → sponsor → owner: how many identities, and on what evidence."""

    partner: str
    sponsor: str | None
    owner: str
    owner_status: str | None
    identities: int = 0
    evidence: Counter[str] = field(default_factory=Counter)  # owner attribution source -> identities


@dataclass
class Mapping:
    framework: str
    item: str
    rules: list[str]
    findings: int = 0


@dataclass
class AuditReport:
    run: dict[str, Any]
    generated: str
    partner_filter: str | None
    registry_given: bool
    identities: int = 0
    enabled: int = 0
    findings_current: int = 0
    findings_resolved: int = 0
    by_rule: dict[str, Counter[str]] = field(default_factory=dict)  # rule -> severity -> count
    by_severity: Counter[str] = field(default_factory=Counter)
    by_owner: dict[str, Counter[str]] = field(default_factory=dict)
    matrix: list[MatrixRow] = field(default_factory=list)
    holders: list[Holder] = field(default_factory=list)
    credential_ages: list[tuple[str, int]] = field(default_factory=list)
    trend: list[TrendPoint] = field(default_factory=list)
    mappings: list[Mapping] = field(default_factory=list)
    unowned: list[dict[str, Any]] = field(default_factory=list)  # identities with no owner at all
    accepted: list[dict[str, Any]] = field(default_factory=list)  # current findings an accepted risk matched

    @property
    def coverage(self) -> list[dict[str, Any]]:
        return list(self.run["scopes"])

    @property
    def gaps(self) -> list[dict[str, Any]]:
        """Every scope or resource type that was not fully seen, and why."""
        found = []
        for scope in self.run["scopes"]:
            units = [unit for unit in scope.get("units", []) if unit["status"] != "complete" or unit["notes"]]
            if scope["status"] != "complete" or units:
                found.append({**scope, "gap_units": units})
        return found


def build_audit(document: RunDocument, registry: Registry | None, trend_runs: int = 12) -> AuditReport:
    """One pass over the run's identities and findings, as the store keeps them."""
    run = document.run
    at = datetime.fromisoformat(run["finished"] or run["started"])
    report = AuditReport(
        run=run,
        generated=datetime.now(UTC).isoformat(timespec="seconds"),
        partner_filter=document.partner,
        registry_given=registry is not None,
    )
    holders = _registered_holders(registry, document.partner)
    owners = {owner.id.lower(): owner.status.value for owner in registry.owners} if registry else {}
    matrix: dict[tuple[str, str], MatrixRow] = {}
    ages: Counter[str] = Counter()
    for identity in document.identities():
        report.identities += 1
        report.enabled += identity["enabled"]
        holder = _holder(holders, identity["partner"])
        if identity["partner"]:
            holder.identities.append(identity)
        owner = identity["owner"] or NO_OWNER
        row = matrix.setdefault(
            (holder.label, owner),
            MatrixRow(holder.label, holder.sponsor, owner, owners.get(owner.lower()) if identity["owner"] else None),
        )
        row.identities += 1
        row.evidence[identity["attribution"]["owner"]["source"]] += 1
        if identity["owner"] is None and not identity["provider_managed"]:
            report.unowned.append(identity)
        for credential in identity["credentials"]:
            if credential["status"] == "active" and _holds_secret(credential["kind"]):
                ages[_age_bucket(credential["created"], at)] += 1
    mappings = _mappings()
    for finding in document.findings():
        holder = _holder(holders, finding["partner"])
        if finding["status"] == "resolved":
            report.findings_resolved += 1
            holder.resolved += 1
            continue
        if finding.get("suppression"):  # in force or expired: either way the auditor sees the decision
            report.accepted.append(finding)
        severity = finding["severity"]
        report.findings_current += 1
        report.by_severity[severity] += 1
        report.by_rule.setdefault(finding["rule"], Counter())[severity] += 1
        report.by_owner.setdefault(finding["owner"] or NO_OWNER, Counter())[severity] += 1
        holder.by_severity[severity] += 1
        if finding["partner"]:
            holder.findings.append(finding)
        for framework, items in finding["frameworks"].items():
            for item in items:
                if (framework, item) in mappings:
                    mappings[(framework, item)].findings += 1
    report.matrix = sorted(matrix.values(), key=lambda row: (row.partner == NO_PARTNER, row.partner, row.owner))
    report.holders = sorted(
        (h for h in holders.values() if h.id is not None and (h.registered or h.identities or h.findings)),
        key=lambda h: h.label,
    )
    report.credential_ages = [(label, ages[label]) for label, _ in AGE_BUCKETS] + [
        (OLDER, ages[OLDER]),
        (UNDATED, ages[UNDATED]),
    ]
    report.trend = document.open_trend(trend_runs)
    report.mappings = list(mappings.values())
    return report


def _registered_holders(registry: Registry | None, only: str | None) -> dict[str | None, Holder]:
    holders: dict[str | None, Holder] = {}
    for partner in registry.partners if registry else []:
        if only is None or partner.id == only:
            holders[partner.id] = Holder(
                partner.id,
                partner.name,
                partner.status.value,
                partner.offboarded_on.isoformat() if partner.offboarded_on else None,
                partner.sponsor,
                registered=True,
            )
    return holders


def _holder(holders: dict[str | None, Holder], partner: str | None) -> Holder:
    if partner not in holders:
        holders[partner] = Holder(partner)  # attributed by the run, no longer in the registry given
    return holders[partner]


def _holds_secret(kind: str) -> bool:
    try:
        return CredentialKind(kind).holds_secret
    except ValueError:  # a kind this version does not know: count it, it may hold one
        return True


def _age_bucket(created: str | None, at: datetime) -> str:
    if created is None:
        return UNDATED
    days = (at - datetime.fromisoformat(created)).days
    return next((label for label, most in AGE_BUCKETS if days <= most), OLDER)


def _mappings() -> dict[tuple[str, str], Mapping]:
    """Every OWASP NHI Top 10 and NIST CSF 2.0 item the catalogue maps a rule to."""
    found: dict[tuple[str, str], Mapping] = {}
    for rule in CATALOGUE:
        for framework, items in ((OWASP, rule.owasp), (NIST, rule.nist)):
            for item in items:
                found.setdefault((framework, item), Mapping(framework, item, [])).rules.append(rule.id)
    return dict(sorted(found.items()))


def write_audit(report: AuditReport, fmt: str, stream: TextIO) -> None:
    """``fmt``: ``html`` (self-contained, with SVG charts) or ``markdown`` (the charts as tables)."""
    if fmt == "markdown":
        render("report.md.jinja", stream, report=report, severities=SEVERITIES)
        return
    trend = stacked_columns(
        "Open findings over the last runs",
        [(point.started.strftime("%m-%d %H:%M"), point.open_by_severity) for point in report.trend],
        {name: SEVERITY_COLOURS[name] for name in SEVERITIES},
    )
    ages = horizontal_bars("Age of active secret-bearing credentials", report.credential_ages)
    charts = {"trend": trend, "ages": ages}
    render("report.html.jinja", stream, report=report, severities=SEVERITIES, charts=charts)
