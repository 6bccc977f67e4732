"""Every Microsoft transform over real-shaped samples from Microsoft's documentation
(``tests/samples/microsoft``), independently of the emulator: each record must read, and
read to what the documentation says it means."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from azure.mgmt.authorization.v2022_04_01.models import RoleAssignment

from partner_nhi.connectors.azure import AzureConnector
from partner_nhi.connectors.azure.identities import TenantObjects, build_identities
from partner_nhi.connectors.m365 import M365Connector
from partner_nhi.connectors.m365.apps import TenantApps, build_apps, third_party
from partner_nhi.connectors.m365.permissions import (
    read_delegated_grants,
    resource_index,
    with_roles,
)
from partner_nhi.connectors.microsoft import owners, sign_ins
from partner_nhi.connectors.microsoft.batch import retry_after, sub_response_error
from partner_nhi.connectors.microsoft.errors import classify
from partner_nhi.connectors.microsoft.role_assignments import RoleAssignmentListing, read_grants
from partner_nhi.connectors.microsoft.tenants import MICROSOFT_TENANT_IDS
from partner_nhi.contract import ErrorKind
from partner_nhi.coverage import UnitRecorder
from partner_nhi.records import CredentialKind, EntitlementKind, EntitlementLevel

SAMPLES = Path(__file__).parent / "microsoft"
HOME = "84841066-274d-4ec0-a5c1-276be684bdd3"  # the tenant of the documentation's grant example
SUBSCRIPTION = "a925f2f7-5c63-4b7b-8799-25a5f97bc3b2"
NOW = datetime(2025, 6, 1, tzinfo=UTC)


def sample(name: str) -> Any:
    document = json.loads((SAMPLES / f"{name}.json").read_text())
    assert document["_source"].startswith("https://learn.microsoft.com/")
    return document["response"]


def values(name: str) -> list[dict[str, Any]]:
    return list(sample(name)["value"])


def partial_units(units: UnitRecorder) -> list[str | None]:
    return [o.error for o in units.outcomes() if o.status.value == "partial"]


def test_sign_in_reports_read_every_row_offsets_included() -> None:
    units = UnitRecorder(AzureConnector({"tenant_id": HOME}))
    apps = sign_ins.read_report(
        units,
        sign_ins.UNIT_SIGN_INS,
        sign_ins.APP_REPORT_NAME,
        values("service_principal_sign_in_activities"),
        sign_ins.app_use,
    )
    keys = sign_ins.read_report(
        units,
        sign_ins.UNIT_CREDENTIAL_SIGN_INS,
        sign_ins.KEY_REPORT_NAME,
        values("app_credential_sign_in_activities"),
        sign_ins.key_use,
    )
    assert partial_units(units) == [] and apps.unreadable == keys.unreadable == 0
    # 2021-04-01T00:00:00-8:00 (app-only as a resource) is later than lastSignInActivity's 2021-04-01T00:00:00Z
    assert apps.lookup("83F45296-FB8F-4AAA-A399-AC51084E02B7").at == datetime(2021, 4, 1, 8, tzinfo=UTC)
    assert keys.lookup("83f45296-fb8f-4aaa-a399-ac51084e02b7").at == datetime(2021, 4, 1, 8, tzinfo=UTC)


def test_the_tenants_own_principals_and_apps() -> None:
    units = UnitRecorder(AzureConnector({"tenant_id": HOME, "subscriptions": [SUBSCRIPTION]}))
    listing = RoleAssignmentListing(
        [RoleAssignment.deserialize(row) for row in values("arm_role_assignments")],
        {"acdd72a7-3385-48ef-bd42-f606fba81ae7": "Reader", "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor"},
    )
    grants = read_grants(units, SUBSCRIPTION, listing)
    apps = values("applications")
    objects = TenantObjects(
        tenant_id=HOME,
        now=NOW,
        applications=apps,
        service_principals=values("service_principals"),
        federated={apps[0]["id"]: values("federated_identity_credentials")},
        grants=grants,
        subscriptions=(SUBSCRIPTION,),
        microsoft_tenants=frozenset(MICROSOFT_TENANT_IDS),
    )
    identities = {i.name: i for i in build_identities(objects, units)}
    assert partial_units(units) == []

    payroll = identities["Contoso Payroll Sync"]
    assert payroll.created == datetime(2019, 9, 17, 19, 10, 35, 274261, tzinfo=UTC)
    secret, certificate, *federated = payroll.credentials
    assert (secret.kind, secret.active, secret.display) == (
        CredentialKind.CLIENT_SECRET,
        False,
        "Password friendly name (hint Y6X…)",
    )
    assert certificate.display == "thumbprint 52ED9B5038A47B9E2E2190715CC238359D4F8F73"
    assert [c.display for c in federated][1] == (
        "https://token.actions.githubusercontent.com repo:octo-org/octo-repo:environment:Production"
    )
    assert payroll.tags == {"owner": "AdeleV@contoso.com"} and payroll.owner_hints == ()  # owners: id and type only
    assert owners.without_evidence(apps) == 1

    vm = identities["vm-build-01"]
    assert vm.kind == "azure-managed-identity" and vm.details["managed_identity"] == "system-assigned"
    assert vm.permissions == (f"Contributor on /subscriptions/{SUBSCRIPTION}/resourceGroups/rg-build",)
    vendor = identities["dxprovisioning-graphapi-client"]  # another tenant's app holding Reader
    assert (vendor.kind, vendor.publisher_verified) == ("azure-service-principal", True)
    assert [e.ids for e in vendor.entitlements] == [(listing.assignments[0].id,)]
    assert "Microsoft Graph" not in identities


def test_third_party_apps_their_grants_and_application_permissions() -> None:
    units = UnitRecorder(M365Connector({"tenant_id": HOME}))
    principals = values("service_principals")
    # the documentation's examples come from different tenants: its grants' client (263a5b01-…) is the
    # assignment's app here, and their resource 943603e4-… is this tenant's Microsoft Graph (fea94d6d-…);
    # 1804a6f8-… stays a resource this tenant does not list
    vendor = next(p for p in principals if p["displayName"] == "dxprovisioning-graphapi-client")
    graph_here = {"943603e4-e787-4fe9-93d1-e30f749aae39": "fea94d6d-b5bf-44d2-a887-4f72a8d74f44"}
    grants = [
        {**g, "clientId": vendor["id"], "resourceId": graph_here.get(g["resourceId"], g["resourceId"])}
        for g in values("oauth2_permission_grants")
    ]
    microsoft = frozenset(MICROSOFT_TENANT_IDS)
    apps = [a for a in (third_party(p, HOME, microsoft) for p in principals) if a is not None]
    assert [a.raw["displayName"] for a in apps] == ["dxprovisioning-graphapi-client"]  # not Graph, not the MI

    graph = sample("graph_resource_app_roles")
    resources = with_roles(resource_index(principals), {graph["id"]: graph})
    identities = build_apps(
        TenantApps(
            tenant_id=HOME,
            now=NOW,
            apps=apps,
            grants=read_delegated_grants(units, grants, {vendor["id"]}),
            assignments={vendor["id"]: values("app_role_assignments")},
            resources=resources,
        ),
        units,
    )
    assert partial_units(units) == []
    [app] = identities
    held = {(e.kind, e.permission): e for e in app.entitlements}
    mail = held[(EntitlementKind.APPLICATION, "Mail.ReadWrite")]
    assert (mail.resource, mail.level, mail.ids) == (
        "Microsoft Graph",
        EntitlementLevel.HIGH,
        ("UxOIjjUXr0WvIe4TRFgqTY4z9Wu5KxpBtlEpoTGjw-A",),
    )
    delegated = {p for k, p in held if k is EntitlementKind.DELEGATED}
    assert delegated == {
        "User.Read",
        "Group.ReadWrite.All",
        "Tasks.ReadWrite",
        "Files.ReadWrite.All",
        "Mail.ReadWrite",
        "Directory.ReadWrite.All",
        "openid",
        "profile",
        "Calendars.Read",
    }  # a trailing space in the scope string is no scope
    assert held[(EntitlementKind.DELEGATED, "Calendars.Read")].users == 1
    assert held[(EntitlementKind.DELEGATED, "Directory.ReadWrite.All")].all_users
    assert held[(EntitlementKind.DELEGATED, "openid")].level is EntitlementLevel.LOW
    unknown_api = held[(EntitlementKind.DELEGATED, "Group.ReadWrite.All")]  # granted on the unlisted resource
    assert (unknown_api.resource, unknown_api.level) == (
        "1804a6f8-e623-4520-8f40-ba1b0c11c42d",
        EntitlementLevel.MEDIUM,
    )
    assert unknown_api.classified_by.startswith("not in partner-nhi's classification table")
    assert app.publisher_verified and app.details["verified_publisher"] == "Contoso Provisioning"
    assert [a.value for a in app.affiliations if a.kind == "publisher-domain"] == ["api.contoso.com", "contoso.com"]
    assert [c.kind for c in app.credentials] == [CredentialKind.CLIENT_SECRET]


def test_batch_sub_responses_throttled_and_denied() -> None:
    throttled, denied = sample("batch_with_throttled_item")["responses"][1:]
    assert retry_after(throttled) == 7.0
    assert classify(sub_response_error(throttled, "/servicePrincipals/x/appRoleAssignments")) is ErrorKind.THROTTLED
    assert classify(sub_response_error(denied, "/servicePrincipals/y/appRoleAssignments")) is ErrorKind.FORBIDDEN
