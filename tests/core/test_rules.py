"""The rule catalogue: each rule fires, passes, or says the evidence is missing."""

from __future__ import annotations

from typing import Any

import pytest

from helpers.builders import NOW, credential, identity
from partner_nhi.attribution import Attributor
from partner_nhi.config import Thresholds
from partner_nhi.records import (
    Affiliation,
    CredentialKind,
    Entitlement,
    EntitlementKind,
    EntitlementLevel,
    Identity,
    LastUse,
)
from partner_nhi.registry import Registry
from partner_nhi.rules import CATALOGUE, Hit, RuleInput, Severity, Undetermined
from partner_nhi.rules.catalogue import DEFAULT_THRESHOLDS, evaluate, finding_id

SPEC_RULES = {
    "orphaned-identity",
    "stale-identity",
    "stale-credential",
    "unrotated-credential",
    "expired-credential",
    "expiring-credential",
    "multiple-active-credentials",
}


def judge(registry: Registry, subject: Identity, thresholds: dict[str, int] | None = None) -> dict[str, list[Any]]:
    who = Attributor(registry).attribute(subject)
    verdicts: dict[str, list[Any]] = {}
    for judgement in evaluate(RuleInput(subject, who, {**DEFAULT_THRESHOLDS, **(thresholds or {})}, NOW)):
        verdicts.setdefault(judgement.rule.id, []).append(judgement)
    return verdicts


def hits(verdicts: dict[str, list[Any]], rule: str) -> list[Hit]:
    return [j.verdict for j in verdicts.get(rule, []) if isinstance(j.verdict, Hit)]


def undetermined(verdicts: dict[str, list[Any]], rule: str) -> list[Undetermined]:
    return [j.verdict for j in verdicts.get(rule, []) if isinstance(j.verdict, Undetermined)]


def test_catalogue_has_every_spec_rule_with_metadata() -> None:
    ids = {rule.id for rule in CATALOGUE}
    assert ids >= SPEC_RULES
    assert len(ids) == len(CATALOGUE)
    for rule in CATALOGUE:
        assert rule.remediation and rule.owasp and rule.nist and rule.title


def test_a_healthy_identity_has_no_findings(registry: Registry) -> None:
    assert judge(registry, identity(credentials=(credential(),))) == {}


# -- orphaned-identity ------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "reason", "severity"),
    [
        ({"tags": {}}, "no-owner", Severity.MEDIUM),
        ({"tags": {"owner": "carol@example.com"}}, "owner-departed", Severity.MEDIUM),
        ({"name": "acme-sync", "tags": {}}, "partner-offboarded", Severity.CRITICAL),
        (
            {"affiliations": (Affiliation(kind="aws-account", value="999900001111", external=True),)},
            "unregistered-external",
            Severity.HIGH,
        ),
    ],
)
def test_orphaned_reasons(registry: Registry, overrides: dict[str, Any], reason: str, severity: Severity) -> None:
    found = judge(registry, identity(**overrides))["orphaned-identity"]
    assert len(found) == 1
    assert found[0].verdict.reason == reason
    assert found[0].severity is severity


def test_offboarded_partner_but_disabled_is_not_partner_offboarded(registry: Registry) -> None:
    found = hits(judge(registry, identity("acme-sync", tags={}, enabled=False)), "orphaned-identity")
    assert found == []  # disabled, and the sponsor (active) owns it


def test_offboarded_partner_disabled_but_still_granted_names_each_grant(registry: Registry) -> None:
    grant = entitlement("Files.Read.All", EntitlementKind.DELEGATED, all_users=True, ids=("grant-1",))
    found = hits(
        judge(registry, identity("acme-sync", tags={}, enabled=False, entitlements=(grant,))), "orphaned-identity"
    )
    [hit] = found
    assert hit.reason == "partner-offboarded"
    assert "disabled but still granted" in hit.message and "Files.Read.All on Microsoft Graph" in hit.message
    assert hit.evidence["remove"] == [
        {
            "permission": "Files.Read.All on Microsoft Graph (delegated, all users)",
            "level": "high",
            "classified_by": "test",
            "ids": ["grant-1"],
        }
    ]


def test_provider_managed_roles_are_never_orphaned(registry: Registry) -> None:
    subject = identity(
        "AWSServiceRoleForSupport", kind="aws-role", tags={}, provider_managed=True, last_used=LastUse.never()
    )
    assert judge(registry, subject) == {}


def test_privileged_raises_severity(registry: Registry) -> None:
    found = judge(registry, identity(tags={}, privileged=True, permissions=("AdministratorAccess",)))
    assert found["orphaned-identity"][0].severity is Severity.HIGH


# -- stale-identity ---------------------------------------------------------------


def test_stale_identity_by_last_use(registry: Registry) -> None:
    assert hits(judge(registry, identity(last_used=LastUse.used(NOW.replace(year=2026, month=1)))), "stale-identity")
    assert not hits(judge(registry, identity(last_used=LastUse.used(NOW.replace(day=1)))), "stale-identity")


def test_stale_identity_never_used_and_old(registry: Registry) -> None:
    assert hits(judge(registry, identity(last_used=LastUse.never())), "stale-identity")
    young = identity(last_used=LastUse.never(), created=NOW.replace(day=1))
    assert not hits(judge(registry, young), "stale-identity")


def test_stale_identity_unknown_is_undetermined_not_stale(registry: Registry) -> None:
    verdicts = judge(registry, identity(last_used=LastUse.unknown("sign-in logs need a P1 licence")))
    assert not hits(verdicts, "stale-identity")
    assert undetermined(verdicts, "stale-identity")[0].why == "sign-in logs need a P1 licence"


def test_disabled_identity_is_not_stale(registry: Registry) -> None:
    assert "stale-identity" not in judge(registry, identity(last_used=LastUse.never(), enabled=False))


def test_stale_threshold_is_configurable(registry: Registry) -> None:
    subject = identity(last_used=LastUse.used(NOW.replace(month=10, day=1)))  # 53 days
    assert not hits(judge(registry, subject), "stale-identity")
    assert hits(judge(registry, subject, {"stale-identity": 30}), "stale-identity")


# -- credentials -----------------------------------------------------------------


def test_stale_credential(registry: Registry) -> None:
    verdicts = judge(
        registry,
        identity(
            credentials=(
                credential("OLD", used=120, created=200),
                credential("NEVER", used=None, created=100),
                credential("FRESH", used=2, created=80),
                credential("OFF", used=300, created=300, active=False),
                credential("UNK", used="unknown", created=20),
            )
        ),
    )
    assert sorted(h.credential for h in hits(verdicts, "stale-credential")) == ["NEVER", "OLD"]
    assert [u.credential for u in undetermined(verdicts, "stale-credential")] == ["UNK"]


def test_unrotated_only_for_active_secrets(registry: Registry) -> None:
    verdicts = judge(
        registry,
        identity(
            credentials=(
                credential("OLD", created=91),
                credential("INACTIVE", created=400, active=False),
                credential("FED", CredentialKind.FEDERATED, created=400),
                credential("NEW", created=89),
            )
        ),
    )
    assert [h.credential for h in hits(verdicts, "unrotated-credential")] == ["OLD"]


def test_expired_and_expiring(registry: Registry) -> None:
    verdicts = judge(
        registry,
        identity(
            credentials=(
                credential("GONE", CredentialKind.CLIENT_SECRET, expires=-3, active=False),
                credential("SOON", CredentialKind.CLIENT_SECRET, expires=12),
                credential("LATER", CredentialKind.CLIENT_SECRET, expires=45),
            )
        ),
    )
    assert [h.credential for h in hits(verdicts, "expired-credential")] == ["GONE"]
    assert [h.credential for h in hits(verdicts, "expiring-credential")] == ["SOON"]


def test_long_lived_credential(registry: Registry) -> None:
    verdicts = judge(
        registry,
        identity(
            credentials=(
                credential("TWO-YEARS", CredentialKind.CLIENT_SECRET, created=10, expires=720),
                credential("SIX-MONTHS", CredentialKind.CLIENT_SECRET, created=10, expires=170),
            )
        ),
    )
    assert [h.credential for h in hits(verdicts, "long-lived-credential")] == ["TWO-YEARS"]


def test_multiple_active_credentials(registry: Registry) -> None:
    two = identity(credentials=(credential("A"), credential("B"), credential("C", active=False)))
    found = hits(judge(registry, two), "multiple-active-credentials")
    assert len(found) == 1 and found[0].credential is None and "A, B" in found[0].message
    one = identity(credentials=(credential("A"), credential("S", CredentialKind.SSH_KEY)))
    assert not hits(judge(registry, one), "multiple-active-credentials")


# -- ids, severity, thresholds ------------------------------------------------------


def test_finding_ids_are_stable_and_distinct() -> None:
    first = finding_id("stale-credential", "aws", "1", "arn:x", "AKIA1")
    assert first == finding_id("stale-credential", "aws", "1", "arn:x", "AKIA1")
    assert first != finding_id("stale-credential", "aws", "1", "arn:x", "AKIA2")
    assert first != finding_id("unrotated-credential", "aws", "1", "arn:x", "AKIA1")
    assert first != finding_id("stale-credential", "aws", "2", "arn:x", "AKIA1")
    assert finding_id("orphaned-identity", "aws", "1", "x", None) != finding_id(
        "orphaned-identity", "gcp", "1", "x", None
    )


def test_offboarding_partner_raises_severity(registry: Registry) -> None:
    subject = identity("etl-job", tags={"owner": "alice@example.com"}, credentials=(credential("OLD", created=200),))
    assert judge(registry, subject)["unrotated-credential"][0].severity is Severity.HIGH


def test_thresholds_resolve_partner_over_provider_over_default() -> None:
    thresholds = Thresholds(
        default={"stale-identity": 60},
        providers={"aws": {"stale-identity": 45, "unrotated-credential": 30}},
        partners={"acme": {"stale-identity": 10}},
    )
    assert thresholds.resolve("gcp", None)["stale-identity"] == 60
    assert thresholds.resolve("aws", None)["stale-identity"] == 45
    assert thresholds.resolve("aws", "acme")["stale-identity"] == 10
    assert thresholds.resolve("aws", "acme")["unrotated-credential"] == 30
    assert thresholds.resolve("gcp", "globex")["expiring-credential"] == 30
    with pytest.raises(ValueError, match="no threshold for stale-idnetity"):
        Thresholds(default={"stale-idnetity": 5})


# -- third-party apps -------------------------------------------------------------


def entitlement(
    permission: str,
    kind: EntitlementKind = EntitlementKind.APPLICATION,
    level: EntitlementLevel = EntitlementLevel.HIGH,
    **extra: Any,
) -> Entitlement:
    return Entitlement(
        kind=kind,
        resource="Microsoft Graph",
        permission=permission,
        level=level,
        classified_by="test",
        source="grants",
        **{"ids": (f"id-{permission}",), **extra},
    )


FOREIGN = (Affiliation(kind="azure-tenant", value="tenant-unknown", external=True),)


@pytest.mark.parametrize(
    ("held", "fires"),
    [
        ((entitlement("Mail.ReadWrite"),), True),
        ((entitlement("Files.Read.All", EntitlementKind.DELEGATED, all_users=True),), True),
        ((entitlement("Files.Read.All", EntitlementKind.DELEGATED, users=40),), False),  # per-user consent
        ((entitlement("User.Read.All", level=EntitlementLevel.MEDIUM),), False),
        ((), False),
    ],
)
def test_third_party_high_privilege(registry: Registry, held: tuple[Entitlement, ...], fires: bool) -> None:
    subject = identity("vendor-app", affiliations=FOREIGN, entitlements=held, publisher_verified=True)
    found = hits(judge(registry, subject), "third-party-high-privilege")
    assert bool(found) is fires
    if fires:
        assert found[0].evidence["parties"] == ["azure-tenant tenant-unknown"]
        assert found[0].evidence["permissions"][0]["ids"] == list(held[0].ids)


def test_the_customers_own_app_is_not_third_party(registry: Registry) -> None:
    subject = identity("own-app", entitlements=(entitlement("Mail.ReadWrite"),), publisher_verified=False)
    verdicts = judge(registry, subject)
    assert "third-party-high-privilege" not in verdicts and "third-party-unverified-publisher" not in verdicts


@pytest.mark.parametrize(
    ("verified", "level", "fires"),
    [
        (False, EntitlementLevel.MEDIUM, True),
        (False, EntitlementLevel.HIGH, True),
        (False, EntitlementLevel.LOW, False),  # User.Read, openid: nothing above low
        (True, EntitlementLevel.HIGH, False),
        (None, EntitlementLevel.HIGH, False),  # the platform has no notion of a verified publisher
    ],
)
def test_third_party_unverified_publisher(
    registry: Registry, verified: bool | None, level: EntitlementLevel, fires: bool
) -> None:
    held = (entitlement("Mail.ReadWrite", EntitlementKind.DELEGATED, level=level, users=1),)
    subject = identity("vendor-app", affiliations=FOREIGN, entitlements=held, publisher_verified=verified)
    assert bool(hits(judge(registry, subject), "third-party-unverified-publisher")) is fires


def test_microsofts_own_apps_are_never_judged_as_third_party(registry: Registry) -> None:
    subject = identity(
        "Graph Explorer",
        affiliations=FOREIGN,
        entitlements=(entitlement("Mail.ReadWrite"),),
        publisher_verified=False,
        provider_managed=True,
    )
    assert judge(registry, subject) == {}


# -- federated-trust-too-broad ------------------------------------------------------


def test_a_federated_credential_admitting_many_workloads(registry: Registry) -> None:
    broad = credential("fic-1", CredentialKind.FEDERATED, used="unknown").model_copy(
        update={"admits_many": "any pull request of octo-org/app", "display": "issuer repo:octo-org/app:pull_request"}
    )
    narrow = credential("fic-2", CredentialKind.FEDERATED, used="unknown")
    found = hits(judge(registry, identity(credentials=(broad, narrow))), "federated-trust-too-broad")
    assert [(h.credential, h.evidence["admits"]) for h in found] == [("fic-1", "any pull request of octo-org/app")]
    inactive = broad.model_copy(update={"active": False})
    assert hits(judge(registry, identity(credentials=(inactive,))), "federated-trust-too-broad") == []
