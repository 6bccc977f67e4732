"""The connector end to end through the real google-cloud-iam, resource-manager
and httpx clients, against the local emulators."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from partner_nhi.connector import ErrorKind, UnitStatus
from partner_nhi.connectors.gcp import GcpConnector
from partner_nhi.connectors.gcp.emulator import (
    Account,
    Binding,
    Estate,
    Folder,
    Key,
    Organization,
    Pool,
    Project,
    Provider,
    faults,
    running,
)
from partner_nhi.connectors.gcp.emulator.estate import key_id

UNITS = (
    "service-accounts",
    "service-account-keys",
    "iam-policy",
    "key-last-authentication",
    "account-last-authentication",
)
ACME = "acme-deployer@corp-prod.iam.gserviceaccount.com"
GLOBEX = "globex-monitoring@corp-prod.iam.gserviceaccount.com"
IAM = "iam.googleapis.com"


def _statuses(result):
    return {unit: result.outcomes[unit].status for unit in UNITS}


def test_collects_accounts_keys_members_and_last_use(settings, collect):
    result = collect(settings, "corp-prod")
    assert set(_statuses(result).values()) == {UnitStatus.COMPLETE}
    identities = result.by_id()
    assert set(identities) == {ACME, GLOBEX, "user:dev@globex.example"}
    acme = identities[ACME]
    assert acme.permissions == ("roles/editor",) and acme.privileged
    assert acme.last_used.state == "used"
    keys = {k.id: k for k in acme.credentials}
    assert set(keys) == {key_id("k1"), key_id("k2")}  # not the system-managed key
    assert keys[key_id("k1")].last_used.state == "used"
    assert keys[key_id("k2")].last_used.state == "never"
    assert identities[GLOBEX].enabled is False
    assert identities[GLOBEX].last_used.state == "never"
    assert result.outcomes["key-last-authentication"].notes  # the day-granularity caveat


def test_every_request_is_counted(settings, collect):
    result = collect(settings, "corp-prod")
    assert result.calls.by_operation == {
        "iam.ListServiceAccounts": 1,
        "iam.ListServiceAccountKeys": 2,
        "resourcemanager.projects.getIamPolicy": 1,
        "resourcemanager.projects.get": 1,
        "iam.workloadIdentityPools.list": 1,
        "policyanalyzer.serviceAccountKeyLastAuthentication.query": 1,
        "policyanalyzer.serviceAccountLastAuthentication.query": 1,
    }
    assert result.calls.total == 8


def _paged_estate(accounts: int) -> Estate:
    now = datetime.now(UTC)
    return Estate(
        projects=[
            Project(
                "corp-prod",
                accounts=[
                    Account(
                        f"svc-{n}",
                        keys=[Key(key_id(f"svc-{n}"), now - timedelta(days=10), last_authenticated=now)],
                        last_authenticated=now - timedelta(days=n),
                    )
                    for n in range(accounts)
                ],
            )
        ]
    )


def test_service_accounts_and_activities_over_several_pages(collect):
    with running(_paged_estate(7)) as emulators:
        emulators.iam.max_page_size = 3
        emulators.policy_analyzer.max_page_size = 2
        result = collect(emulators.settings(page_size=50), "corp-prod")
        tokens = [r.page_token for m, r in emulators.iam.requests if m == "ListServiceAccounts"]
        sizes = {r.page_size for m, r in emulators.iam.requests if m == "ListServiceAccounts"}
    assert tokens == ["", "3", "6"]
    assert sizes == {50}
    accounts = [i for i in result.identities if i.kind == "gcp-service-account"]
    assert len(accounts) == 7
    assert all(i.last_used.state == "used" for i in accounts)
    assert all(c.last_used.state == "used" for i in accounts for c in i.credentials)
    assert result.calls.by_operation["policyanalyzer.serviceAccountKeyLastAuthentication.query"] == 4
    assert result.calls.by_operation["policyanalyzer.serviceAccountLastAuthentication.query"] == 4


def test_emulator_honours_the_requested_page_size(collect):
    with running(_paged_estate(5)) as emulators:
        result = collect(emulators.settings(page_size=2), "corp-prod")
    assert result.calls.by_operation["iam.ListServiceAccounts"] == 3
    assert len(result.identities) == 5


def test_throttling_is_retried_and_changes_nothing(emulators, settings, collect):
    baseline = collect(settings, "corp-prod")
    emulators.iam.fail("ListServiceAccounts", faults.quota_exceeded(IAM), times=2)
    emulators.iam.fail("ListServiceAccountKeys", faults.unavailable(), times=1)
    emulators.iam.fail("ListServiceAccountKeys", faults.quota_forbidden(IAM), times=1)
    emulators.resource_manager.fail(
        "POST",
        r":getIamPolicy$",
        faults.quota_exceeded("cloudresourcemanager.googleapis.com").http_response(),
        2,
    )
    emulators.resource_manager.fail(
        "POST",
        r":getIamPolicy$",
        faults.quota_forbidden("cloudresourcemanager.googleapis.com").http_response(),
    )
    emulators.policy_analyzer.fail(
        "GET",
        "serviceAccountKeyLastAuthentication",
        faults.quota_exceeded("policyanalyzer.googleapis.com", retry_after=0).http_response(),
        times=2,
    )
    throttled = collect(settings, "corp-prod")
    assert set(_statuses(throttled).values()) == {UnitStatus.COMPLETE}
    assert throttled.identities == baseline.identities
    assert throttled.calls.by_operation["iam.ListServiceAccounts"] == 3
    assert throttled.calls.by_operation["iam.ListServiceAccountKeys"] == 4
    assert throttled.calls.by_operation["resourcemanager.projects.getIamPolicy"] == 4
    assert throttled.calls.by_operation["policyanalyzer.serviceAccountKeyLastAuthentication.query"] == 3


def test_disabled_policy_analyzer_skips_its_units_and_last_use_is_unknown(emulators, settings, collect):
    disabled = faults.service_disabled("policyanalyzer.googleapis.com", "Policy Analyzer API")
    emulators.policy_analyzer.fail("GET", "activities:query", disabled.http_response(), times=99)
    result = collect(settings, "corp-prod")
    for unit in ("key-last-authentication", "account-last-authentication"):
        outcome = result.outcomes[unit]
        assert outcome.status is UnitStatus.SKIPPED
        assert outcome.error_kind is ErrorKind.API_DISABLED
        assert "has not been used in project" in (outcome.error or "")
    assert {u: s for u, s in _statuses(result).items() if s is UnitStatus.COMPLETE} == {
        "service-accounts": UnitStatus.COMPLETE,
        "service-account-keys": UnitStatus.COMPLETE,
        "iam-policy": UnitStatus.COMPLETE,
    }
    acme = result.by_id()[ACME]
    assert acme.last_used.state == "unknown"  # unknown, not never
    assert {c.last_used.state for c in acme.credentials} == {"unknown"}
    assert result.calls.by_operation["policyanalyzer.serviceAccountKeyLastAuthentication.query"] == 1


def test_disabled_iam_api_skips_the_listing(emulators, settings, collect):
    emulators.iam.fail(
        "ListServiceAccounts",
        faults.service_disabled(IAM, "Identity and Access Management (IAM) API"),
        99,
    )
    result = collect(settings, "corp-prod")
    assert result.outcomes["service-accounts"].status is UnitStatus.SKIPPED
    assert result.outcomes["service-accounts"].error_kind is ErrorKind.API_DISABLED
    assert result.outcomes["iam-policy"].status is UnitStatus.COMPLETE
    assert all(i.kind != "gcp-service-account" for i in result.identities)


def test_a_failed_project_fails_its_units_and_not_the_others(collect):
    estate = Estate(
        projects=[
            Project("corp-prod", accounts=[Account("a")]),
            Project(
                "corp-dev",
                accounts=[Account("b")],
                bindings=[Binding("roles/viewer", ["user:x@globex.example"])],
            ),
        ]
    )
    with running(estate) as emulators:
        denied = faults.permission_denied("iam.serviceAccounts.list")
        emulators.iam.fail("ListServiceAccounts", denied, times=99, match="projects/corp-dev")
        settings = emulators.settings(organization_domains=["corp.example"])
        dev = collect(settings, "corp-dev")
        prod = collect(settings, "corp-prod")
    assert set(_statuses(prod).values()) == {UnitStatus.COMPLETE}
    assert [i.id for i in prod.identities] == ["a@corp-prod.iam.gserviceaccount.com"]
    failed = dev.outcomes["service-accounts"]
    assert failed.status is UnitStatus.FAILED
    assert failed.error_kind is ErrorKind.FORBIDDEN
    assert "iam.serviceAccounts.list" in (failed.error or "")
    for unit in ("service-account-keys", "key-last-authentication", "account-last-authentication"):
        assert dev.outcomes[unit].status is UnitStatus.SKIPPED  # not reached
    assert dev.outcomes["iam-policy"].status is UnitStatus.COMPLETE
    assert [i.id for i in dev.identities] == ["user:x@globex.example"]
    assert dev.calls.by_operation["iam.ListServiceAccounts"] == 1  # forbidden: not retried


def test_one_account_whose_keys_fail_makes_the_unit_partial(emulators, settings, collect):
    denied = faults.permission_denied("iam.serviceAccountKeys.list")
    emulators.iam.fail("ListServiceAccountKeys", denied, times=99, match="globex-monitoring")
    result = collect(settings, "corp-prod")
    assert result.outcomes["service-account-keys"].status is UnitStatus.PARTIAL
    identities = result.by_id()
    assert identities[GLOBEX].details["keys"].startswith("unknown")
    assert len(identities[ACME].credentials) == 2


def test_no_credentials_is_an_auth_failure_not_an_empty_project(emulators, collect):
    settings = emulators.settings(anonymous=False)  # ADC: none exists in the tests
    result = collect(settings, "corp-prod")
    assert {o.status for o in result.outcomes.values()} == {UnitStatus.FAILED}
    assert {o.error_kind for o in result.outcomes.values()} == {ErrorKind.AUTH}
    assert result.identities == []


def test_discovers_projects_under_an_organisation():
    estate = Estate(
        projects=[
            Project("top", parent="organizations/1"),
            Project("nested", parent="folders/22"),
            Project("deeper", parent="folders/333"),
            Project("elsewhere", parent="organizations/9"),
        ],
        folders=[Folder("folders/22", "organizations/1"), Folder("folders/333", "folders/22")],
    )
    with running(estate) as emulators:
        settings = emulators.settings(projects=["pinned"], parent="organizations/1")
        connector = GcpConnector(settings)
        scopes = [*connector.scopes(), *connector.discover()]
    assert [s.id for s in scopes] == ["pinned", "top", "nested", "deeper"]


def test_read_only_and_no_key_material(emulators, collect):
    estate_settings = emulators.settings(parent="organizations/1")
    emulators.iam.estate.projects[0].parent = "organizations/1"
    emulators.iam.estate.organizations.append(Organization("organizations/1"))
    connector = GcpConnector(estate_settings)
    for scope in [*connector.scopes(), *connector.discover()]:
        collect(estate_settings, scope.id)
    assert set(emulators.iam.methods) == {"ListServiceAccounts", "ListServiceAccountKeys"}
    key_requests = [r for m, r in emulators.iam.requests if m == "ListServiceAccountKeys"]
    assert key_requests and all([t.name for t in r.key_types] == ["USER_MANAGED"] for r in key_requests)
    rm = {(r.method, r.path) for r in emulators.resource_manager.requests}
    assert rm == {
        ("POST", "/v3/projects/corp-prod:getIamPolicy"),
        ("GET", "/v3/projects/corp-prod"),
        ("POST", "/v3/organizations/1:getIamPolicy"),
        ("GET", "/v3/projects"),
        ("GET", "/v3/folders"),
    }
    assert {r.method for r in emulators.policy_analyzer.requests} == {"GET"}
    assert all("authorization" not in r.headers for r in emulators.policy_analyzer.requests)


# The permission each request needs, from Google's method references (iam/reference/rest/v1,
# resource-manager/reference/rest/v3, policy-intelligence activity analysis)
_IAM_PERMISSIONS = {
    "ListServiceAccounts": "iam.serviceAccounts.list",
    "ListServiceAccountKeys": "iam.serviceAccountKeys.list",
    "GetRole": "iam.roles.get",
}
_REST_PERMISSIONS = [
    (r"POST /v3/(projects|folders|organizations)/[^/]+:getIamPolicy", "resourcemanager.{0}.getIamPolicy"),
    (r"GET /v3/(projects|folders)/[^/]+", "resourcemanager.{0}.get"),
    (r"GET /v3/(projects|folders)", "resourcemanager.{0}.list"),
    (r"GET /v1/projects/[^/]+/locations/global/(workloadIdentityPool)s", "iam.{0}s.list"),
    (r"GET /v1/projects/[^/]+/locations/global/(workloadIdentityPool)s/[^/]+/providers", "iam.{0}Providers.list"),
    (
        r"GET /v1/projects/[^/]+/locations/global/activityTypes/(\w+)/activities:query",
        "policyanalyzer.{0}Activities.query",
    ),
]


def _permission(request) -> str:
    line = f"{request.method} {request.path}"
    for pattern, permission in _REST_PERMISSIONS:
        if match := re.fullmatch(pattern, line):
            return permission.format(match[1])
    raise AssertionError(f"no known permission for {line}")


def test_the_shipped_role_holds_exactly_the_permissions_used(collect):
    """Every request of a full scan (discovery under an organisation, folder and organisation
    policies, a custom role, last use), as the emulators saw it: the shipped role must hold
    each permission needed, and nothing more."""
    estate = Estate(
        projects=[
            Project(
                "corp-prod",
                parent="folders/7",
                accounts=[Account("app", keys=[Key(key_id("app"), datetime.now(UTC))])],
                bindings=[Binding("projects/corp-prod/roles/deployer", ["user:dev@globex.example"])],
                pools=[
                    Pool("ci", providers=[Provider("github", issuer="https://token.actions.githubusercontent.com")])
                ],
            )
        ],
        folders=[Folder("folders/7", "organizations/1")],
        organizations=[Organization("organizations/1")],
        custom_roles={"projects/corp-prod/roles/deployer": ["run.services.update"]},
    )
    with running(estate) as emulators:
        settings = emulators.settings(projects=[], parent="organizations/1")
        connector = GcpConnector(settings)
        for scope in connector.discover():
            result = collect(settings, scope.id)
            assert {o.status for o in result.outcomes.values()} == {UnitStatus.COMPLETE}
        used = {_IAM_PERMISSIONS[method] for method in emulators.iam.methods}
        rest = [*emulators.iam_rest.requests, *emulators.resource_manager.requests, *emulators.policy_analyzer.requests]
        used |= {_permission(r) for r in rest}
    role = yaml.safe_load((Path(__file__).parents[2] / "config" / "gcp-role.yaml").read_text())
    assert sorted(role["includedPermissions"]) == sorted(used)


@pytest.mark.parametrize("method", ["DeleteServiceAccount", "GetServiceAccountKey", "CreateServiceAccountKey"])
def test_the_read_only_proof_would_catch_another_method(emulators, method):
    """The emulator logs a method it does not serve, so the proof above can fail."""
    import grpc
    from google.api_core import exceptions as api
    from google.cloud.iam_admin_v1 import IAMClient
    from google.cloud.iam_admin_v1.services.iam.transports import IAMGrpcTransport

    client = IAMClient(transport=IAMGrpcTransport(channel=grpc.insecure_channel(emulators.iam.target)))
    name = f"projects/corp-prod/serviceAccounts/{ACME}"
    call = {
        "DeleteServiceAccount": lambda: client.delete_service_account(name=name),
        "GetServiceAccountKey": lambda: client.get_service_account_key(name=f"{name}/keys/x"),
        "CreateServiceAccountKey": lambda: client.create_service_account_key(name=name),
    }[method]
    with pytest.raises(api.MethodNotImplemented):
        call()
    client.transport.close()
    assert method in emulators.iam.methods
