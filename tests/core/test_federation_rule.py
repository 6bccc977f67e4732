"""unrestricted-federation: a federated trust that accepts any workload its issuer vouches for."""

from __future__ import annotations

from helpers.builders import NOW, identity
from partner_nhi.attribution import Attributor
from partner_nhi.records import Affiliation, Credential, CredentialKind, Identity
from partner_nhi.registry import Registry
from partner_nhi.rules import Hit, RuleInput, Severity
from partner_nhi.rules.catalogue import DEFAULT_THRESHOLDS, evaluate

ISSUER = "https://token.actions.githubusercontent.com"


def _trust(unrestricted: bool, active: bool = True) -> Credential:
    return Credential(
        id="github", kind=CredentialKind.FEDERATED, active=active, display=ISSUER, unrestricted=unrestricted, source="p"
    )


def _judged(registry: Registry, subject: Identity) -> list[tuple[Hit, Severity]]:
    who = Attributor(registry).attribute(subject)
    return [
        (j.verdict, j.severity)
        for j in evaluate(RuleInput(subject, who, DEFAULT_THRESHOLDS, NOW))
        if j.rule.id == "unrestricted-federation" and isinstance(j.verdict, Hit)
    ]


def test_fires_on_an_active_unrestricted_federation_only(registry: Registry) -> None:
    [(hit, severity)] = _judged(registry, identity(credentials=(_trust(True),)))
    assert hit.credential == "github" and hit.evidence == {"issuer": ISSUER}
    assert ISSUER in hit.message and severity is Severity.HIGH
    assert _judged(registry, identity(credentials=(_trust(False),))) == []  # a condition restricts it
    assert _judged(registry, identity(credentials=(_trust(True, active=False),))) == []  # disabled


def test_raised_for_an_offboarded_partner(registry: Registry) -> None:
    partners = (Affiliation(kind="aws-account", value="111122223333", external=True),)  # acme, offboarded
    [(_, severity)] = _judged(registry, identity(credentials=(_trust(True),), affiliations=partners))
    assert severity is Severity.CRITICAL
