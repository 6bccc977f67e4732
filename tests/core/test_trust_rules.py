"""The trust rules: what a trust relationship leaves open, judged from affiliations."""

from __future__ import annotations

from helpers.builders import NOW, identity, sample_registry
from partner_nhi.attribution import Attributor
from partner_nhi.records import Affiliation, Identity
from partner_nhi.rules.catalogue import DEFAULT_THRESHOLDS, Judgement, evaluate
from partner_nhi.rules.model import Hit, RuleInput


def findings(subject: Identity, rule: str) -> list[Judgement]:
    who = Attributor(sample_registry()).attribute(subject)
    judged = evaluate(RuleInput(subject, who, dict(DEFAULT_THRESHOLDS), NOW))
    return [j for j in judged if j.rule.id == rule and isinstance(j.verdict, Hit)]


def role(*affiliations: Affiliation, **overrides: object) -> Identity:
    return identity("deployer", kind="aws-role", affiliations=affiliations, **overrides)


def test_a_trust_in_a_deleted_principal_is_dangling() -> None:
    [found] = findings(
        role(
            Affiliation(kind="deleted-principal", value="AROAKSCDLFT9R5DQP782U"),
            Affiliation(kind="deleted-principal", value="AIDAJQABLZS4A3QDU576Q"),
            Affiliation(kind="aws-service", value="lambda.amazonaws.com"),
        ),
        "dangling-trust",
    )
    assert isinstance(found.verdict, Hit)
    assert found.verdict.evidence == {"deleted_principals": ["AIDAJQABLZS4A3QDU576Q", "AROAKSCDLFT9R5DQP782U"]}
    assert found.severity.value == "low"


def test_no_deleted_principal_no_dangling_trust() -> None:
    assert findings(role(Affiliation(kind="aws-service", value="lambda.amazonaws.com")), "dangling-trust") == []
    deleted = Affiliation(kind="deleted-principal", value="AROAKSCDLFT9R5DQP782U")
    assert findings(role(deleted, provider_managed=True), "dangling-trust") == []


def test_a_deleted_principal_is_not_an_unregistered_party() -> None:
    subject = role(Affiliation(kind="deleted-principal", value="AROAKSCDLFT9R5DQP782U"))
    assert Attributor(sample_registry()).attribute(subject).unregistered_external == ()
