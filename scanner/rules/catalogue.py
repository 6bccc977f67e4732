"""The catalogue: every rule's metadata and function, in one place (SPEC §5).

Severity starts at the rule's default (or the hit's own) and is raised one step
when the partner is offboarded or offboarding, and one step when the identity is
privileged. Finding ids hash rule, provider, scope, identity and credential: stable across runs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from partner_nhi.registry import PartnerStatus
from partner_nhi.rules.federation import federated_trust_too_broad
from partner_nhi.rules.lifetime import (
    expired_credential,
    expiring_credential,
    long_lived_credential,
    multiple_active_credentials,
    unrotated_credential,
)
from partner_nhi.rules.model import Hit, RuleInput, Severity, Undetermined, Verdict
from partner_nhi.rules.ownership import orphaned_identity
from partner_nhi.rules.thirdparty import third_party_high_privilege, third_party_unverified_publisher
from partner_nhi.rules.trust import dangling_trust, trust_open_to_anyone, trust_without_external_id
from partner_nhi.rules.usage import human_use, stale_credential, stale_identity

OWASP = "OWASP NHI Top 10 (2025)"
NIST = "NIST CSF 2.0"


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    severity: Severity
    check: Callable[[RuleInput], Iterable[Verdict]]
    remediation: str
    owasp: tuple[str, ...]
    nist: tuple[str, ...]
    default_days: int | None = None  # the threshold, for rules that have one

    @property
    def frameworks(self) -> dict[str, list[str]]:
        return {OWASP: list(self.owasp), NIST: list(self.nist)}


NHI1 = "NHI1:2025 Improper Offboarding"
NHI3 = "NHI3:2025 Vulnerable Third-Party NHI"
NHI4 = "NHI4:2025 Insecure Authentication"
NHI5 = "NHI5:2025 Overprivileged NHI"
NHI7 = "NHI7:2025 Long-Lived Secrets"
NHI9 = "NHI9:2025 NHI Reuse"
NHI10 = "NHI10:2025 Human Use of NHI"

CATALOGUE: tuple[Rule, ...] = (
    Rule(
        "orphaned-identity",
        "Identity without an accountable, current owner",
        Severity.MEDIUM,
        orphaned_identity,
        "Assign an active internal owner in the registry (or tag the identity); "
        "if its partner is offboarded or the party is unknown, disable it now, remove every grant and "
        "assignment the evidence names (`partner-nhi sweep --partner ID` prints each command), "
        "and delete it after review.",
        (NHI1, NHI3),
        ("GV.OC-02", "GV.SC-10", "PR.AA-01", "ID.AM-08"),
    ),
    Rule(
        "stale-identity",
        "Identity not used for a long time",
        Severity.LOW,
        stale_identity,
        "Confirm with the owner that it is no longer needed, then disable it; delete it after a quiet period.",
        (NHI1,),
        ("PR.AA-01", "ID.AM-08"),
        90,
    ),
    Rule(
        "stale-credential",
        "Credential not used for a long time",
        Severity.MEDIUM,
        stale_credential,
        "Deactivate the unused credential; delete it once nothing breaks.",
        (NHI7, NHI1),
        ("PR.AA-01",),
        90,
    ),
    Rule(
        "unrotated-credential",
        "Active credential older than the rotation period",
        Severity.MEDIUM,
        unrotated_credential,
        "Create a new credential, move the workload to it, then deactivate and delete the old one; "
        "prefer a keyless federation where the platform offers one.",
        (NHI7,),
        ("PR.AA-01", "PR.AA-03"),
        90,
    ),
    Rule(
        "expired-credential",
        "Expired credential still present",
        Severity.LOW,
        expired_credential,
        "Delete the expired credential so it cannot be confused with a live one or be renewed.",
        (NHI7,),
        ("PR.AA-01",),
    ),
    Rule(
        "expiring-credential",
        "Credential about to expire",
        Severity.MEDIUM,
        expiring_credential,
        "Ask the owner to rotate it before it expires, or confirm the identity can be retired.",
        (NHI7,),
        ("PR.AA-01", "ID.AM-08"),
        30,
    ),
    Rule(
        "multiple-active-credentials",
        "More than one active key on one identity",
        Severity.LOW,
        multiple_active_credentials,
        "Finish the rotation: keep the one credential in use and deactivate the others.",
        (NHI7, NHI9),
        ("PR.AA-01",),
    ),
    Rule(
        "third-party-high-privilege",
        "Third-party app with high-privilege permissions across the tenant",
        Severity.MEDIUM,
        third_party_high_privilege,
        "Confirm with the app's internal owner that it needs each permission the evidence names; remove the "
        "application permissions and tenant-wide consents it does not (`partner-nhi sweep --partner ID` prints "
        "the commands), and ask the vendor for narrower ones (per-user consent, Sites.Selected, "
        "application access policies in Exchange Online).",
        (NHI3, NHI5),
        ("GV.SC-07", "PR.AA-05", "ID.AM-08"),
    ),
    Rule(
        "third-party-unverified-publisher",
        "Third-party app from an unverified publisher holds more than low-privilege permissions",
        Severity.MEDIUM,
        third_party_unverified_publisher,
        "Establish who publishes the app (its owning tenant is in the evidence); if it is not a supplier you "
        "contract with, revoke its consents and disable it; otherwise ask the vendor to complete Microsoft "
        "publisher verification and register its tenant in the registry.",
        (NHI3,),
        ("GV.SC-06", "GV.SC-07", "PR.AA-05"),
    ),
    Rule(
        "federated-trust-too-broad",
        "Federated credential that admits more than one workload",
        Severity.MEDIUM,
        federated_trust_too_broad,
        "Narrow the federated credential to the one workload that needs it: a subject naming the repository "
        "and its branch or environment (not pull requests, not a whole organisation); create one credential "
        "per workload rather than a wide one.",
        (NHI4, NHI5),
        ("PR.AA-03", "PR.AA-05"),
    ),
    Rule(
        "long-lived-credential",
        "Credential valid for longer than the allowed lifetime",
        Severity.MEDIUM,
        long_lived_credential,
        "Replace it with a credential of at most the allowed lifetime, or with a federated credential.",
        (NHI7,),
        ("PR.AA-01",),
        365,
    ),
    Rule(
        "dangling-trust",
        "Trust in a principal that was deleted",
        Severity.LOW,
        dangling_trust,
        "Remove the deleted principal from the trust policy; if access is still needed, name the current "
        "principal again (a principal recreated under the same name is a new one and is not trusted).",
        (NHI1,),
        ("PR.AA-05", "ID.AM-08"),
    ),
    Rule(
        "trust-without-external-id",
        "External account trusted without an external id",
        Severity.HIGH,
        trust_without_external_id,
        "Require the external id the partner issued for this customer (a StringEquals condition on "
        "sts:ExternalId) in every statement that trusts its account; remove the trust if the partner no longer "
        "needs it, and register an unknown account as a partner or remove it.",
        (NHI3, NHI4),
        ("PR.AA-05", "GV.SC-07"),
    ),
    Rule(
        "trust-open-to-anyone",
        "Identity any principal may assume",
        Severity.CRITICAL,
        trust_open_to_anyone,
        "Name the accounts or principals that may assume it, or restrict the wildcard with a condition on "
        "aws:PrincipalOrgID, aws:PrincipalAccount or aws:PrincipalArn; until then, treat it as public.",
        (NHI4, NHI5),
        ("PR.AA-05", "PR.AA-03"),
    ),
    Rule(
        "human-use-of-nhi",
        "A person signs in with a non-human identity",
        Severity.MEDIUM,
        human_use,
        "Give the person an identity of their own (federated, with MFA) and remove the console password "
        "from this one; keep the non-human identity to its workload and rotate its keys, since a person knew them.",
        (NHI10,),
        ("PR.AA-01", "PR.AA-05"),
        90,
    ),
)

RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in CATALOGUE}
DEFAULT_THRESHOLDS: dict[str, int] = {r.id: r.default_days for r in CATALOGUE if r.default_days is not None}


@dataclass(frozen=True)
class Judgement:
    """One rule's verdict on one identity (or one of its credentials)."""

    rule: Rule
    finding_id: str
    verdict: Verdict
    severity: Severity


def finding_id(rule_id: str, provider: str, scope: str, identity_id: str, credential_id: str | None) -> str:
    """The same member (e.g. a partner's user) may hold roles in two projects: two findings."""
    key = "\x1f".join((rule_id, provider, scope, identity_id, credential_id or ""))
    return "nhi-" + hashlib.sha256(key.encode()).hexdigest()[:24]


def evaluate(rule_input: RuleInput) -> Iterator[Judgement]:
    identity, partner = rule_input.identity, rule_input.attribution.partner
    raise_by = 0
    if partner is not None and partner.status in (PartnerStatus.OFFBOARDED, PartnerStatus.OFFBOARDING):
        raise_by += 1
    if identity.privileged:
        raise_by += 1
    for rule in CATALOGUE:
        for verdict in rule.check(rule_input):
            fid = finding_id(rule.id, identity.provider, identity.scope, identity.id, verdict.credential)
            base = (verdict.severity if isinstance(verdict, Hit) else None) or rule.severity
            severity = base if isinstance(verdict, Undetermined) else base.raised(raise_by)
            yield Judgement(rule, fid, verdict, severity)
