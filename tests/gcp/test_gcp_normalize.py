"""Normalization from fixture payloads (real API shapes): pure functions, no I/O."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from partner_nhi.connectors.gcp.activity import LastAuthentication
from partner_nhi.connectors.gcp.iam_policy import Roles, member_identities
from partner_nhi.connectors.gcp.members import home_project, is_service_agent, parse_member
from partner_nhi.connectors.gcp.payload import parse_time
from partner_nhi.connectors.gcp.roles import is_privileged
from partner_nhi.connectors.gcp.service_accounts import build_service_accounts
from partner_nhi.records import CredentialKind

ACME = "acme-deployer@corp-prod.iam.gserviceaccount.com"
KEY_USED = "90c48f61c65cd56224a12ab18e6ee9ca9c3aee7c"
KEY_EXPIRED = "1f2e3d4c5b6a79881726354453627180a9b8c7d6"
KEY_DISABLED = "aa11bb22cc33dd44ee55ff6600778899aabbccdd"
SYSTEM_KEY = "0123456789abcdef0123456789abcdef01234567"


def _uses(payload, name, units, unit="u"):
    return LastAuthentication.from_activities(payload(name)["activities"], unit, units)


def _account(payload, context, units, roles_of, email=ACME, keys="keys", grants=True, activities=True):
    account = next(a for a in payload("service_accounts")["accounts"] if a["email"] == email)
    [identity] = build_service_accounts(
        [account],
        {email: payload(keys)["keys"]} if keys else {},
        roles_of(payload("iam_policy")) if grants else Roles({}, {}, ("iam-policy",), unread=("iam-policy",)),
        _uses(payload, "key_activities", units) if activities else LastAuthentication(None, "k"),
        _uses(payload, "account_activities", units) if activities else LastAuthentication(None, "a"),
        context,
        units,
    )
    assert {o.status.value for o in units.outcomes()} <= {"complete", "skipped"}  # nothing rejected
    return identity


def test_service_account_fields(payload, context, units, roles_of):
    identity = _account(payload, context, units, roles_of)
    assert identity.id == ACME
    assert identity.aliases == ("104729384756102938475",)
    assert (identity.provider, identity.kind, identity.scope) == (
        "gcp",
        "gcp-service-account",
        "corp-prod",
    )
    assert identity.name == "acme-deployer"  # the account id: name patterns like acme-* match it
    assert identity.enabled is True
    assert identity.created is None  # the IAM API exposes no creation time
    assert identity.tags == {}
    assert identity.privileged is True
    assert identity.permissions == ("roles/editor",)
    assert [(a.kind, a.value, a.external) for a in identity.affiliations] == [("gcp-project", "corp-prod", False)]
    assert identity.details["display_name"] == "Acme CI deployer"
    # the account's own last authentication (May 4) is later than its key's (May 2)
    assert identity.last_used.state == "used"
    assert identity.last_used.at == datetime(2025, 5, 4, 7, tzinfo=UTC)


def test_keys_user_managed_only_with_dates_and_status(payload, context, units, roles_of):
    credentials = {c.id: c for c in _account(payload, context, units, roles_of).credentials}
    assert set(credentials) == {KEY_USED, KEY_EXPIRED, KEY_DISABLED}  # the system key is dropped
    used = credentials[KEY_USED]
    assert used.kind is CredentialKind.SERVICE_ACCOUNT_KEY
    assert used.active is True
    assert used.created == datetime(2023, 11, 20, 9, 15, 2, tzinfo=UTC)
    assert used.expires is None  # year 9999: no expiry
    assert used.last_used.state == "used"
    assert used.last_used.at == datetime(2025, 5, 2, 7, tzinfo=UTC)
    assert used.display == "GOOGLE_PROVIDED"
    assert used.source == "service-account-keys"
    expired = credentials[KEY_EXPIRED]
    assert expired.active is False
    assert expired.expires == datetime(2025, 4, 10, 12, tzinfo=UTC)
    assert expired.display == "USER_PROVIDED"
    assert expired.last_used.state == "never"  # the query completed without a record of it
    assert credentials[KEY_DISABLED].active is False


def test_disabled_account_and_its_keys_are_not_active(payload, context, units, roles_of):
    identity = _account(payload, context, units, roles_of, email="legacy-batch@corp-prod.iam.gserviceaccount.com")
    assert identity.enabled is False
    assert identity.credentials and not any(c.active for c in identity.credentials)
    assert identity.permissions == ("roles/iam.securityAdmin",)
    assert identity.privileged is True


def test_unknown_when_units_did_not_complete(payload, context, units, roles_of):
    identity = _account(payload, context, units, roles_of, keys=None, grants=False, activities=False)
    assert identity.credentials == ()
    assert identity.details["keys"].startswith("unknown")
    assert identity.details["roles"] == "incomplete: iam-policy not read"
    assert identity.permissions == () and identity.privileged is False
    assert identity.last_used.state == "unknown"


def test_last_use_unknown_is_not_never(payload, context, units, roles_of):
    identity = _account(payload, context, units, roles_of, activities=False)
    assert {c.last_used.state for c in identity.credentials} == {"unknown"}
    assert identity.last_used.state == "unknown"


def test_last_authentication_lookup_by_every_name(payload, units):
    keys = _uses(payload, "key_activities", units)
    accounts = _uses(payload, "account_activities", units)
    assert keys.of(KEY_USED).state == "used"
    assert keys.of("ffff").state == "never"
    assert accounts.of("104729384756102938475").state == "used"  # by unique id
    assert accounts.of(ACME.upper()).state == "used"  # by email, any case
    unknown = LastAuthentication.from_activities(None, "key-last-authentication", units).of(KEY_USED)
    assert unknown.state == "unknown"
    assert "key-last-authentication" in (unknown.detail or "")


def _members(payload, context, units, roles_of, own=(ACME, "legacy-batch@corp-prod.iam.gserviceaccount.com")):
    return {i.id: i for i in member_identities(roles_of(payload("iam_policy")), context, set(own), units)}


def test_external_members_only(payload, context, units, roles_of):
    members = _members(payload, context, units, roles_of)
    assert set(members) == {
        "user:ops-lead@globex.example",
        "serviceAccount:482910573920-compute@developer.gserviceaccount.com",
        "serviceAccount:acme-pipeline@acme-tools-prod.iam.gserviceaccount.com",
        "deleted:serviceAccount:initech-sync@corp-prod.iam.gserviceaccount.com?uid=112233445566778899001",
        "deleted:user:former@initech.example?uid=998877665544332211",
        "group:auditors@globex.example",
        "domain:partner.example",
        "allUsers",
        "user:someone@unknown-contractor.example",
        "principalSet://iam.googleapis.com/projects/123456789/locations/global/"
        "workloadIdentityPools/github/attribute.repository/acme/deploy",
        "serviceAccount:service-482910573920@gcp-sa-pubsub.iam.gserviceaccount.com",
    }  # not: corp.example users/groups, own accounts, ci@corp-shared (an internal project)


def test_partner_user_with_editor(payload, context, units, roles_of):
    user = _members(payload, context, units, roles_of)["user:ops-lead@globex.example"]
    assert user.kind == "gcp-external-member"
    assert user.name == "ops-lead@globex.example"
    assert user.aliases == ("ops-lead@globex.example",)
    assert user.permissions == ("roles/editor", "roles/logging.viewer")
    assert user.privileged is True
    assert user.details["conditional_roles"] == ["roles/logging.viewer if until offboarding"]
    assert [(a.kind, a.value, a.external) for a in user.affiliations] == [("gcp-domain", "globex.example", True)]
    assert user.last_used.state == "unknown"
    assert user.enabled is True


def test_other_project_service_account(payload, context, units, roles_of):
    member = _members(payload, context, units, roles_of)[
        "serviceAccount:acme-pipeline@acme-tools-prod.iam.gserviceaccount.com"
    ]
    assert member.name == "acme-pipeline"
    assert member.aliases == ("acme-pipeline@acme-tools-prod.iam.gserviceaccount.com",)
    assert [(a.kind, a.value, a.external) for a in member.affiliations] == [("gcp-project", "acme-tools-prod", True)]
    assert member.privileged is True  # serviceAccountTokenCreator


def test_deleted_members_are_reported_even_from_inside(payload, context, units, roles_of):
    members = _members(payload, context, units, roles_of)
    account = members["deleted:serviceAccount:initech-sync@corp-prod.iam.gserviceaccount.com?uid=112233445566778899001"]
    assert account.kind == "gcp-deleted-member"
    assert account.enabled is True
    assert account.details["deleted"] is True
    assert account.details["uid"] == "112233445566778899001"
    assert account.name == "initech-sync"
    assert [(a.kind, a.value, a.external) for a in account.affiliations] == [("gcp-project", "corp-prod", False)]
    user = members["deleted:user:former@initech.example?uid=998877665544332211"]
    assert [(a.kind, a.value, a.external) for a in user.affiliations] == [("gcp-domain", "initech.example", True)]


def test_public_principal_agent_and_domain_members(payload, context, units, roles_of):
    members = _members(payload, context, units, roles_of)
    public = members["allUsers"]
    assert public.details["public"] is True
    assert [(a.kind, a.external) for a in public.affiliations] == [("gcp-public", True)]
    assert members["domain:partner.example"].affiliations[0].value == "partner.example"
    pool = next(m for k, m in members.items() if k.startswith("principalSet://"))
    assert pool.affiliations[0].kind == "gcp-principal"
    agent = members["serviceAccount:service-482910573920@gcp-sa-pubsub.iam.gserviceaccount.com"]
    assert agent.kind == "gcp-service-agent"
    assert agent.provider_managed is True
    assert agent.affiliations == ()
    compute = members["serviceAccount:482910573920-compute@developer.gserviceaccount.com"]
    assert [(a.kind, a.external) for a in compute.affiliations] == [("gcp-service-account", True)]


def test_own_default_compute_account_is_internal(payload, context, units, roles_of):
    ids = set(_members(payload, context, units, roles_of, own=["482910573920-compute@developer.gserviceaccount.com"]))
    assert "serviceAccount:482910573920-compute@developer.gserviceaccount.com" not in ids


@pytest.mark.parametrize(
    ("raw", "kind", "value", "deleted", "uid"),
    [
        ("user:Dev@Acme.example", "user", "dev@acme.example", False, None),
        ("deleted:group:g@x.example?uid=42", "group", "g@x.example", True, "42"),
        ("allAuthenticatedUsers", "public", "allAuthenticatedUsers", False, None),
        ("projectOwner:corp-prod", "unknown", "projectOwner:corp-prod", False, None),
    ],
)
def test_parse_member(raw, kind, value, deleted, uid):
    member = parse_member(raw)
    assert (member.type, member.value, member.deleted, member.uid) == (kind, value, deleted, uid)


@pytest.mark.parametrize(
    ("email", "project", "agent"),
    [
        ("acme-deployer@acme-tools-prod.iam.gserviceaccount.com", "acme-tools-prod", False),
        ("corp-prod@appspot.gserviceaccount.com", "corp-prod", False),
        ("123-compute@developer.gserviceaccount.com", None, False),
        ("service-123@gcp-sa-pubsub.iam.gserviceaccount.com", None, True),
        ("123@cloudbuild.gserviceaccount.com", None, True),
    ],
)
def test_home_project_and_service_agents(email, project, agent):
    assert home_project(email) == project
    assert is_service_agent(email) is agent


@pytest.mark.parametrize(
    ("role", "privileged"),
    [
        ("roles/owner", True),
        ("roles/editor", True),
        ("roles/iam.serviceAccountTokenCreator", True),
        ("roles/iam.serviceAccountKeyAdmin", True),
        ("roles/iam.securityAdmin", True),
        ("roles/resourcemanager.projectIamAdmin", True),
        ("roles/iam.securityReviewer", False),
        ("roles/viewer", False),
        ("projects/corp-prod/roles/customAdmin", False),
    ],
)
def test_privileged_roles(role, privileged):
    assert is_privileged(role) is privileged


def test_parse_time():
    assert parse_time("2025-01-10T12:00:00.123456789Z") == datetime(2025, 1, 10, 12, 0, 0, 123456, tzinfo=UTC)
    assert parse_time(None) is None
