"""Normalization from Graph/ARM payloads (fixtures in the real response shapes), no I/O."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from azure.mgmt.authorization.v2022_04_01.models import RoleAssignment

from partner_nhi.connectors.azure import AzureConnector
from partner_nhi.connectors.azure.identities import TenantObjects, build_identities
from partner_nhi.connectors.microsoft import sign_ins
from partner_nhi.connectors.microsoft.attributes import owner_hints, parse_tags
from partner_nhi.connectors.microsoft.credentials import thumbprint
from partner_nhi.connectors.microsoft.emulator import Subscription
from partner_nhi.connectors.microsoft.emulator import tenant as seed
from partner_nhi.connectors.microsoft.role_assignments import (
    Grant,
    RoleAssignmentListing,
    RoleAssignmentRow,
    grants_by_principal,
    read_grants,
)
from partner_nhi.connectors.microsoft.sign_ins import Activity
from partner_nhi.connectors.microsoft.tenants import MICROSOFT_TENANT_IDS
from partner_nhi.connectors.microsoft.times import parse_time
from partner_nhi.coverage import UnitRecorder
from partner_nhi.errors import MalformedRecord
from partner_nhi.records import CredentialKind, Identity

FIXTURES = Path(__file__).parent / "fixtures"
TENANT = "6d1a0c2e-0000-4000-8000-00000000c0de"
SUB = "3c9e4b1d-5555-4a2f-9d0e-00000000c0de"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
READER = seed.BUILTIN_ROLES["Reader"]


def _load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def _units() -> UnitRecorder:
    return UnitRecorder(AzureConnector({"tenant_id": TENANT, "subscriptions": [SUB]}))


def _activity(units: UnitRecorder) -> Activity:
    reports = _load("sign_in_reports.json")
    return Activity(
        sign_ins.read_report(
            units,
            sign_ins.UNIT_SIGN_INS,
            sign_ins.APP_REPORT_NAME,
            reports["servicePrincipalSignInActivities"]["value"],
            sign_ins.app_use,
        ),
        sign_ins.read_report(
            units,
            sign_ins.UNIT_CREDENTIAL_SIGN_INS,
            sign_ins.KEY_REPORT_NAME,
            reports["appCredentialSignInActivities"]["value"],
            sign_ins.key_use,
        ),
    )


def _build(**overrides: Any) -> dict[str, Identity]:
    identities, units = _build_reading(**overrides)
    assert [o.error for o in units.outcomes() if o.status.value == "partial"] == []  # every fixture record reads
    return identities


def _build_reading(**overrides: Any) -> tuple[dict[str, Identity], UnitRecorder]:
    """The identities and the recorder that read them (its outcomes name malformed records)."""
    units = _units()
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
        "activity": _activity(units),
        "grants": {
            "5b000000-0000-4000-8000-000000000002": [Grant("Owner", f"/subscriptions/{SUB}", SUB)],
            "5b000000-0000-4000-8000-000000000003": [Grant("Reader", f"/subscriptions/{SUB}", SUB)],
            "5b000000-0000-4000-8000-000000000004": [Grant("Reader", f"/subscriptions/{SUB}", SUB)],
        },
        "subscriptions": (SUB,),
        "microsoft_tenants": frozenset(MICROSOFT_TENANT_IDS),
    }
    objects.update(overrides)
    return {i.name: i for i in build_identities(TenantObjects(**objects), units)}, units


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


def test_each_identity_names_every_unit_that_shaped_it() -> None:
    identities = _build()
    assert identities["acme-sync"].units == ("applications", "service-principals")
    assert identities["deploy-mi"].units == ("service-principals",)
    assert identities["Globex Insights"].units == (f"role-assignments/{SUB}", "service-principals")
    fic = identities["unregistered-in-home"].credentials[0]
    assert identities["unregistered-in-home"].units_for(fic.id) == [
        "applications",
        "service-principals",
        "federated-credentials",
    ]


def test_unregistered_home_principal_relies_on_the_application_listing() -> None:
    sps = _load("service_principals.json")["value"]
    stray = {**sps[0], "id": "5b000000-0000-4000-8000-0000000000ff", "appId": "aaaaaaaa-0000-4000-8000-0000000000ff"}
    stray["displayName"] = "stray-sp"
    identities = _build(service_principals=[*sps, stray])
    assert identities["stray-sp"].kind == "azure-service-principal"
    assert identities["stray-sp"].units == ("service-principals", "applications")


def _apps() -> list[dict[str, Any]]:
    return _load("applications.json")["value"]


def _partial(units: UnitRecorder, unit: str) -> tuple[int, str | None]:
    outcome = next(o for o in units.outcomes() if o.resource_type == unit)
    assert outcome.status.value == "partial"
    return outcome.items_failed, outcome.error


def test_an_unreadable_created_date_costs_that_application_only() -> None:
    apps = _apps()
    apps[0]["createdDateTime"] = "10/01/2025"
    identities, units = _build_reading(applications=apps)
    assert "acme-sync" not in identities and "unregistered-in-home" in identities
    assert _partial(units, "applications") == (
        1,
        "malformed record 'application 0a1b2c3d-0000-4000-8000-000000000001 (acme-sync)': "
        "field 'createdDateTime': not an ISO 8601 date-time: '10/01/2025'",
    )
    # its principal is still known to be registered: not invented as an unregistered one
    assert not any(i.id == "5b000000-0000-4000-8000-000000000001" for i in identities.values())


def test_an_unreadable_end_date_costs_that_secret_only() -> None:
    apps = _apps()
    apps[0]["passwordCredentials"][1]["endDateTime"] = "2099-13-45T00:00:00Z"
    identities, units = _build_reading(applications=apps)
    assert [c.id for c in identities["acme-sync"].credentials] == [
        "5e1c0000-0000-4000-8000-000000000001",
        "ce470000-0000-4000-8000-000000000003",
    ]
    failed, error = _partial(units, "applications")
    assert failed == 1
    assert error == (
        "malformed record 'application 0a1b2c3d-0000-4000-8000-000000000001 (acme-sync) passwordCredential "
        "5e1c0000-0000-4000-8000-000000000002': field 'endDateTime': not an ISO 8601 date-time: '2099-13-45T00:00:00Z'"
    )


def test_a_principal_without_app_id_is_left_out_by_name() -> None:
    sps = _load("service_principals.json")["value"]
    del sps[2]["appId"]
    identities, units = _build_reading(service_principals=sps)
    assert "Globex Insights" not in identities and "deploy-mi" in identities
    assert _partial(units, "service-principals") == (
        1,
        "malformed record 'servicePrincipal 5b000000-0000-4000-8000-000000000003 (Globex Insights)': "
        "field 'appId': missing",
    )


def test_an_application_without_app_id_invents_no_unregistered_principals() -> None:
    apps = _apps()
    del apps[0]["appId"]
    identities, units = _build_reading(applications=apps)
    assert {i.kind for i in identities.values()} == {"azure-app", "azure-managed-identity", "azure-service-principal"}
    assert "acme-sync" not in identities  # neither as an app nor as an "unregistered" principal
    assert "field 'appId': missing" in (_partial(units, "applications")[1] or "")


def test_a_malformed_federated_credential_costs_that_credential() -> None:
    federated = {"0a1b2c3d-0000-4000-8000-000000000002": [{"name": "no-id", "issuer": "i", "subject": "s"}]}
    identities, units = _build_reading(federated=federated)
    assert identities["unregistered-in-home"].credentials == ()
    assert "federatedIdentityCredential None (no-id)': field 'id': missing" in (
        _partial(units, "federated-credentials")[1] or ""
    )


def test_an_unreadable_sign_in_row_costs_that_row() -> None:
    units = _units()
    rows = _load("sign_in_reports.json")["servicePrincipalSignInActivities"]["value"]
    rows[0]["lastSignInActivity"]["lastSignInDateTime"] = "yesterday"
    report = sign_ins.read_report(units, sign_ins.UNIT_SIGN_INS, sign_ins.APP_REPORT_NAME, rows, sign_ins.app_use)
    assert report.unreadable == 1
    assert report.lookup("aaaaaaaa-0000-4000-8000-0000000000mi").state == "never"  # the other row is kept
    unknown = report.lookup("aaaaaaaa-0000-4000-8000-000000000001")
    assert unknown.state == "unknown" and "1 row(s) could not be read" in (unknown.detail or "")
    assert _partial(units, sign_ins.UNIT_SIGN_INS) == (
        1,
        "malformed record 'servicePrincipalSignInActivities row ZmFrZQ': "
        "field 'lastSignInActivity.lastSignInDateTime': not an ISO 8601 date-time: 'yesterday'",
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2021-03-08T23:32:57-8:00", datetime(2021, 3, 9, 7, 32, 57, tzinfo=UTC)),  # as in Microsoft's beta examples
        ("2023-04-05T22:04:11.0954098Z", datetime(2023, 4, 5, 22, 4, 11, 95409, tzinfo=UTC)),
        ("2024-01-01T01:00:00+01:00", datetime(2024, 1, 1, tzinfo=UTC)),
        (None, None),
    ],
)
def test_graph_times_are_read_defensively(text: str | None, expected: datetime | None) -> None:
    assert parse_time(text, "x") == expected


def test_an_unreadable_time_names_its_field() -> None:
    with pytest.raises(MalformedRecord, match=r"field 'endDateTime': not an ISO 8601 date-time: 'soon'"):
        parse_time("soon", "endDateTime")


def test_a_role_assignment_without_principal_costs_that_row() -> None:
    units = _units()
    subscription = Subscription(SUB)
    rows = [seed.role_assignment(subscription, {"id": "P1"}, "Reader") for _ in range(2)]
    del rows[1]["properties"]["principalId"]
    listing = RoleAssignmentListing([RoleAssignment.deserialize(row) for row in rows], {READER: "Reader"})
    grants = read_grants(units, SUB, listing)
    assert [(g.describe(), g.assignment_id) for g in grants["p1"]] == [
        (f"Reader on /subscriptions/{SUB}", rows[0]["id"])
    ]
    assert _partial(units, f"role-assignments/{SUB}") == (
        1,
        f"malformed record 'role assignment {rows[1]['id']}': field 'principalId': missing",
    )
