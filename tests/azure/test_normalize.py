"""Normalization from Graph/ARM payloads (fixtures in the real response shapes), no I/O."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from partner_nhi.connectors.azure.attributes import owner_hints, parse_tags
from partner_nhi.connectors.azure.credentials import thumbprint
from partner_nhi.connectors.azure.identities import TenantObjects, build_identities
from partner_nhi.connectors.azure.role_assignments import Grant, RoleAssignmentRow, grants_by_principal
from partner_nhi.connectors.azure.settings import MICROSOFT_TENANT_IDS
from partner_nhi.connectors.azure.sign_ins import Activity, app_uses, key_uses
from partner_nhi.records import CredentialKind, Identity

FIXTURES = Path(__file__).parent / "fixtures"
TENANT = "6d1a0c2e-0000-4000-8000-00000000c0de"
SUB = "3c9e4b1d-5555-4a2f-9d0e-00000000c0de"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def _build(**overrides: Any) -> dict[str, Identity]:
    reports = _load("sign_in_reports.json")
    objects: dict[str, Any] = {
        "tenant_id": TENANT,
        "now": NOW,
        "applications": _load("applications.json")["value"],
        "service_principals": _load("service_principals.json")["value"],
        "federated": {
            "0a1b2c3d-0000-4000-8000-000000000002": [
                {
                    "id": "f1",
                    "name": "gh",
                    "issuer": "https://token.actions.githubusercontent.com",
                    "subject": "repo:corp/infra:ref:refs/heads/main",
                    "audiences": ["api://AzureADTokenExchange"],
                }
            ]
        },
        "activity": Activity(
            app_uses(reports["servicePrincipalSignInActivities"]["value"]),
            key_uses(reports["appCredentialSignInActivities"]["value"]),
        ),
        "grants": {
            "5b000000-0000-4000-8000-000000000002": [Grant("Owner", f"/subscriptions/{SUB}", SUB)],
            "5b000000-0000-4000-8000-000000000003": [Grant("Reader", f"/subscriptions/{SUB}", SUB)],
            "5b000000-0000-4000-8000-000000000004": [Grant("Reader", f"/subscriptions/{SUB}", SUB)],
        },
        "microsoft_tenants": frozenset(MICROSOFT_TENANT_IDS),
    }
    objects.update(overrides)
    return {i.name: i for i in build_identities(TenantObjects(**objects))}


def test_app_registration_merges_its_home_service_principal() -> None:
    app = _build()["acme-sync"]
    assert app.kind == "azure-app" and app.provider == "azure" and app.scope == TENANT
    assert app.id == "0a1b2c3d-0000-4000-8000-000000000001"
    assert app.aliases == ("aaaaaaaa-0000-4000-8000-000000000001", "5b000000-0000-4000-8000-000000000001")
    assert app.source == "applications"
    assert app.created == datetime(2025, 1, 10, 8, 30, tzinfo=UTC)
    assert app.enabled is False  # the service principal is disabled
    assert app.tags == {"partner": "globex", "owner": "bob@example.com"}  # SP tags win over app tags
    assert app.owner_hints == ("carol@example.com", "bob@example.com")
    assert {(a.kind, a.value, a.external) for a in app.affiliations} == {
        ("azure-app", "aaaaaaaa-0000-4000-8000-000000000001", False),
        ("publisher-domain", "corp.example", False),
    }
    assert app.last_used.state == "used"
    assert app.last_used.at == datetime(2026, 11, 3, 10, tzinfo=UTC)  # latest of all activity kinds


def test_credentials_dates_activity_and_display() -> None:
    expired, current, future_cert = _build()["acme-sync"].credentials
    assert expired.kind is CredentialKind.CLIENT_SECRET and not expired.active
    assert expired.display == "old (hint aQ1…)"
    assert expired.last_used.state == "unknown"  # absent from the report: not "never"
    assert current.active and current.expires is not None and current.expires.year == 2099
    assert current.last_used.at == datetime(2026, 10, 5, tzinfo=UTC)  # latest across resources
    assert future_cert.kind is CredentialKind.CLIENT_CERTIFICATE
    assert not future_cert.active  # not started yet
    assert future_cert.display == "thumbprint " + "5A" * 20
    assert future_cert.last_used.state == "never"  # the report has it, with no sign-in
    assert {c.source for c in (expired, current, future_cert)} == {"applications"}


def test_federated_credential_is_keyless_and_unknown_use() -> None:
    app = _build()["unregistered-in-home"]
    [fic] = app.credentials
    assert fic.kind is CredentialKind.FEDERATED and fic.active
    assert fic.display == "https://token.actions.githubusercontent.com repo:corp/infra:ref:refs/heads/main"
    assert fic.source == "federated-credentials" and fic.last_used.state == "unknown"
    assert app.enabled and app.aliases == ("aaaaaaaa-0000-4000-8000-000000000002",)


def test_managed_identity_with_owner_is_privileged() -> None:
    mi = _build()["deploy-mi"]
    assert mi.kind == "azure-managed-identity" and mi.source == "service-principals"
    assert mi.privileged and mi.permissions == (f"Owner on /subscriptions/{SUB}",)
    assert mi.affiliations == () and not mi.provider_managed
    assert mi.details["managed_identity"] == "user-assigned"
    assert mi.details["resource_id"].endswith("/userAssignedIdentities/deploy-mi")
    assert mi.last_used.state == "never"  # an entry with no sign-in at all


def test_third_party_principals_only_with_a_role() -> None:
    identities = _build()
    insights = identities["Globex Insights"]
    assert insights.kind == "azure-service-principal"
    assert insights.source == f"role-assignments/{SUB}"
    assert {(a.kind, a.value, a.external) for a in insights.affiliations} == {
        ("azure-app", "aaaaaaaa-0000-4000-8000-0000000000gx", False),
        ("azure-tenant", "7d3e1a52-2222-4f0b-8c1d-5e6f7a8b9c0d", True),
    }
    assert insights.details["verified_publisher"] == "Globex Managed Services"
    graph = identities["Microsoft Graph"]
    assert graph.provider_managed and not any(a.external for a in graph.affiliations)
    assert "Other Vendor App" not in identities  # no role: the m365 connector's business


def test_failed_application_listing_does_not_invent_principals() -> None:
    identities = _build(applications=None)
    assert "acme-sync" not in identities  # its SP is not reported as an unregistered one
    assert {"deploy-mi", "Globex Insights", "Microsoft Graph"} <= set(identities)


def test_unavailable_reports_make_every_last_use_unknown() -> None:
    identities = _build(activity=Activity(None, None))
    for identity in identities.values():
        assert identity.last_used.state == "unknown"
        assert "report unavailable" in (identity.last_used.detail or "")
        assert all(c.last_used.state == "unknown" for c in identity.credentials)


@pytest.mark.parametrize(
    ("scope", "privileged"),
    [
        (f"/subscriptions/{SUB}", True),
        (f"/subscriptions/{SUB.upper()}/", True),
        ("/providers/Microsoft.Management/managementGroups/root", True),
        ("/", True),
        (f"/subscriptions/{SUB}/resourceGroups/rg-infra", False),
    ],
)
def test_privileged_means_a_powerful_role_on_the_subscription_or_above(scope: str, privileged: bool) -> None:
    assert Grant("Contributor", scope, SUB).privileged is privileged
    assert not Grant("Reader", scope, SUB).privileged


def test_role_assignments_grouped_with_role_names() -> None:
    definition = f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/"
    rows = [
        RoleAssignmentRow("P1", definition + "8E3AF657-A8FF-443C-A75C-2FE8C4BCB635", f"/subscriptions/{SUB}"),
        RoleAssignmentRow(
            "p1", definition + "11111111-2222-3333-4444-555555555555", f"/subscriptions/{SUB}/resourceGroups/x"
        ),
    ]
    grants = grants_by_principal(SUB, rows, {"8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner"})
    assert [g.describe() for g in grants["p1"]] == [
        f"Owner on /subscriptions/{SUB}",
        f"11111111-2222-3333-4444-555555555555 on /subscriptions/{SUB}/resourceGroups/x",
    ]


def test_tags_and_owner_hints() -> None:
    assert parse_tags(["a=1", "b:2", "c=x:y", "flag", "=nokey"], ["a=3"]) == {"a": "3", "b": "2", "c": "x:y"}
    owners = [
        {"@odata.type": "#microsoft.graph.user", "mail": None, "userPrincipalName": "u@x"},
        {"@odata.type": "#microsoft.graph.group", "mail": "group@x"},
    ]
    assert owner_hints(owners, None) == ("u@x",)


def test_thumbprint_decodes_base64_and_keeps_anything_else() -> None:
    assert thumbprint("AQID") == "010203"
    assert thumbprint("not base64!") == "not base64!"
    assert thumbprint(None) is None
