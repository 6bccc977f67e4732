"""The trust rules: what a trust relationship leaves open, judged from affiliations."""

from __future__ import annotations

from helpers.builders import NOW, REGISTRY, identity, sample_registry
from partner_nhi.attribution import Attributor
from partner_nhi.records import Affiliation, Identity
from partner_nhi.registry import Registry
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


def test_an_external_account_without_external_id_names_the_partner() -> None:
    acme = Affiliation(kind="aws-account", value="111122223333", external=True, gap="no-external-id", detail="x")
    [found] = findings(role(acme), "trust-without-external-id")
    assert isinstance(found.verdict, Hit)
    assert found.verdict.message == "deployer may be assumed from 111122223333 (partner acme) without an external id"
    assert found.verdict.evidence == {
        "partner": "acme",
        "parties": [{"kind": "aws-account", "value": "111122223333", "registered": True, "detail": "x"}],
    }
    assert found.severity.value == "critical"  # high, raised for the offboarded partner


def test_an_unknown_account_without_external_id_is_flagged_unregistered() -> None:
    unknown = Affiliation(kind="aws-account", value="999900001111", external=True, gap="no-external-id")
    [found] = findings(role(unknown), "trust-without-external-id")
    assert isinstance(found.verdict, Hit) and "(no registered partner)" in found.verdict.message
    assert found.verdict.evidence["parties"][0]["registered"] is False
    assert found.severity.value == "high"


def test_internal_accounts_and_guarded_trusts_need_no_external_id() -> None:
    internal = Affiliation(kind="aws-account", value="123456789012", gap="no-external-id")
    guarded = Affiliation(kind="aws-account", value="444455556666", external=True)
    assert findings(role(internal, guarded), "trust-without-external-id") == []


def test_a_trust_open_to_anyone_is_critical() -> None:
    anyone = Affiliation(kind="aws-account", value="*", external=True, gap="anyone", detail="Principal *")
    [found] = findings(role(anyone), "trust-open-to-anyone")
    assert (
        isinstance(found.verdict, Hit)
        and found.verdict.message == "deployer may be assumed by any principal: Principal *"
    )
    assert found.severity.value == "critical"
    assert findings(role(anyone, provider_managed=True), "trust-open-to-anyone") == []


def test_an_oidc_subject_is_attribution_evidence() -> None:
    registry = Registry.model_validate(
        {
            **REGISTRY,
            "partners": [*REGISTRY["partners"], {"id": "hooli", "match": {"oidc_subjects": ["repo:Hooli-Corp/*"]}}],
        }
    )
    subject = role(
        Affiliation(kind="oidc", value="token.actions.githubusercontent.com"),
        Affiliation(kind="oidc-subject", value="repo:hooli-corp/deploy:ref:refs/heads/main"),
        tags={},
    )
    who = Attributor(registry).attribute(subject)
    assert who.partner is not None and who.partner.id == "hooli"
    assert who.partner_evidence.source == "match"
    assert who.partner_evidence.detail == (
        "oidc-subject repo:hooli-corp/deploy:ref:refs/heads/main matches 'repo:Hooli-Corp/*' "
        "in hooli.match.oidc_subjects"
    )
    other = role(Affiliation(kind="oidc-subject", value="repo:someone-else/deploy:*"), tags={})
    assert Attributor(registry).attribute(other).partner is None


def test_a_registry_without_oidc_subjects_is_still_version_1() -> None:
    assert Registry.model_validate(REGISTRY).partners[0].match.oidc_subjects == []
