"""Every record through the engine's transform (the foundation issue): a malformed account,
key, binding, member or activity record costs that record, its unit becomes partial with
an error naming the record and the field, and every other record is kept. Pure: fixture
payloads (real API shapes) and the engine's own UnitRecorder, no I/O."""

from __future__ import annotations

import copy
from dataclasses import replace

from google.cloud.iam_admin_v1 import types
from google.protobuf import timestamp_pb2

from partner_nhi.connector import UnitStatus
from partner_nhi.connectors.gcp.activity import LastAuthentication
from partner_nhi.connectors.gcp.iam_policy import member_identities
from partner_nhi.connectors.gcp.payload import as_json
from partner_nhi.connectors.gcp.service_accounts import build_service_accounts
from partner_nhi.connectors.gcp.workload_identity import build_providers

ACME = "acme-deployer@corp-prod.iam.gserviceaccount.com"
KEY_PREFIX = f"projects/corp-prod/serviceAccounts/{ACME}/keys/"
KEY_USED = "90c48f61c65cd56224a12ab18e6ee9ca9c3aee7c"
KEY_EXPIRED = "1f2e3d4c5b6a79881726354453627180a9b8c7d6"


def _outcome(units, unit):
    return {o.resource_type: o for o in units.outcomes()}[unit]


def _accounts(payload, context, units, roles_of, accounts=None, keys=None, activities=None):
    activities = activities if activities is not None else payload("key_activities")["activities"]
    keys = keys if keys is not None else payload("keys")["keys"]
    return build_service_accounts(
        accounts if accounts is not None else payload("service_accounts")["accounts"],
        {ACME: keys},
        roles_of(payload("iam_policy")),
        LastAuthentication.from_activities(activities, "key-last-authentication", units),
        LastAuthentication.from_activities(payload("account_activities")["activities"], "a", units),
        context,
        units,
    )


def test_a_key_with_an_unreadable_date_costs_that_key(payload, context, units, roles_of):
    keys = copy.deepcopy(payload("keys")["keys"])
    keys[1]["validAfterTime"] = "2025-02-30T12:00:00Z"  # no such day
    [acme, _legacy] = _accounts(payload, context, units, roles_of, keys=keys)
    assert KEY_EXPIRED not in {c.id for c in acme.credentials}
    assert KEY_USED in {c.id for c in acme.credentials}  # the others are kept
    outcome = _outcome(units, "service-account-keys")
    assert (outcome.status, outcome.items_failed) == (UnitStatus.PARTIAL, 1)
    assert outcome.error == (
        f"malformed record '{KEY_PREFIX}{KEY_EXPIRED}': "
        "field 'validAfterTime': not an RFC 3339 time: '2025-02-30T12:00:00Z'"
    )
    assert _outcome(units, "service-accounts").items_failed == 0  # the account itself is kept


def test_a_key_without_its_creation_date_is_malformed_not_undated(payload, context, units, roles_of):
    keys = copy.deepcopy(payload("keys")["keys"])
    del keys[0]["validAfterTime"]
    [acme, _legacy] = _accounts(payload, context, units, roles_of, keys=keys)
    assert KEY_USED not in {c.id for c in acme.credentials}
    assert _outcome(units, "service-account-keys").error == (
        f"malformed record '{KEY_PREFIX}{KEY_USED}': field 'validAfterTime': missing"
    )


def test_a_grpc_timestamp_out_of_range_is_text_the_key_transform_rejects(payload, context, units, roles_of):
    """The one way a gRPC date is unreadable: converting it must cost the key, not the listing."""
    key = types.ServiceAccountKey(
        name=f"{KEY_PREFIX}{KEY_USED}", valid_after_time=timestamp_pb2.Timestamp(seconds=10**13)
    )
    record = as_json(types.ServiceAccountKey.deserialize(types.ServiceAccountKey.serialize(key)))
    assert record == {
        "name": f"{KEY_PREFIX}{KEY_USED}",
        "validAfterTime": "10000000000000 seconds since 1970 (out of range)",
    }
    [acme, _legacy] = _accounts(payload, context, units, roles_of, keys=[record])
    assert acme.credentials == ()
    assert "field 'validAfterTime': not an RFC 3339 time" in (_outcome(units, "service-account-keys").error or "")


def test_an_account_without_its_email_costs_that_account(payload, context, units, roles_of):
    accounts = copy.deepcopy(payload("service_accounts")["accounts"])
    del accounts[1]["email"]
    identities = _accounts(payload, context, units, roles_of, accounts=accounts)
    assert [i.id for i in identities] == [ACME]
    outcome = _outcome(units, "service-accounts")
    assert outcome.status is UnitStatus.PARTIAL
    assert outcome.error == (
        "malformed record 'projects/corp-prod/serviceAccounts/legacy-batch@corp-prod.iam.gserviceaccount.com': "
        "field 'email': missing"
    )


def test_a_bad_activity_time_makes_that_key_unknown_not_never(payload, context, units, roles_of):
    rows = copy.deepcopy(payload("key_activities")["activities"])
    rows[0]["activity"]["lastAuthenticatedTime"] = "yesterday"
    [acme, _legacy] = _accounts(payload, context, units, roles_of, activities=rows)
    uses = {c.id: c.last_used for c in acme.credentials}
    assert uses[KEY_USED].state == "unknown"  # its record was rejected: not "never"
    assert "could not be read" in (uses[KEY_USED].detail or "")
    assert uses[KEY_EXPIRED].state == "never"  # the rest of the listing still speaks
    assert acme.last_used.state == "unknown"  # one key's last use might be the latest
    outcome = _outcome(units, "key-last-authentication")
    assert outcome.status is UnitStatus.PARTIAL
    assert outcome.error == (
        f"malformed record '//iam.googleapis.com/{KEY_PREFIX}{KEY_USED}': "
        "field 'activity.lastAuthenticatedTime': not an RFC 3339 time: 'yesterday'"
    )


def test_an_activity_naming_nothing_leaves_every_undated_key_unknown(payload, units):
    rows = [*payload("key_activities")["activities"], {"activity": {"lastAuthenticatedTime": "2025-05-01T07:00:00Z"}}]
    uses = LastAuthentication.from_activities(rows, "key-last-authentication", units)
    assert uses.of(KEY_USED).state == "used"  # one record per resource: its own record was read
    assert uses.of(KEY_EXPIRED).state == "unknown"  # the nameless record might have been its
    assert _outcome(units, "key-last-authentication").error == (
        "malformed record #1: field 'fullResourceName': missing: the record names no account or key"
    )


def test_a_binding_without_a_role_costs_that_binding(payload, context, units, roles_of):
    policy = copy.deepcopy(payload("iam_policy"))
    policy["bindings"][4].pop("role")  # roles/viewer of someone@unknown-contractor and others
    members = {i.id for i in member_identities(roles_of(policy), context, set(), units)}
    assert "user:someone@unknown-contractor.example" not in members
    assert "user:ops-lead@globex.example" in members
    assert _outcome(units, "iam-policy").error == (
        "malformed record 'binding of no role to user:someone@unknown-contractor.example, "
        "group:data-team@corp.example, principalSet://iam.googleapis.com/projects/123456789/locations/global/"
        "workloadIdentityPools/github/attribute.repository/acme/deploy': field 'role': missing"
    )


def test_a_member_whose_verdict_needs_a_failed_listing_is_left_out(payload, context, units, roles_of):
    """Not judged on a guess: left out, its history is carried (it relied on that listing)."""
    roles = roles_of(payload("iam_policy"))
    compute = "serviceAccount:482910573920-compute@developer.gserviceaccount.com"
    partner = "serviceAccount:acme-pipeline@acme-tools-prod.iam.gserviceaccount.com"
    known = {i.id: i for i in member_identities(roles, context, set(), units)}
    assert known[compute].also_from == ("service-accounts",)  # external because not the project's own
    assert known[partner].also_from == ()  # decided by the configuration alone
    unknown_own = {i.id for i in member_identities(roles, context, None, units)}
    assert compute not in unknown_own and partner in unknown_own
    discovery = replace(context, discovered_projects=frozenset({"corp-dev"}), discovery_unit="projects-under-parent")
    by_discovery = {i.id: i for i in member_identities(roles, discovery, set(), units)}
    assert by_discovery[partner].also_from == ("projects-under-parent",)
    failed = replace(discovery, discovered_projects=None)
    assert partner not in {i.id for i in member_identities(roles, failed, set(), units)}
    assert {o.status for o in units.outcomes()} <= {UnitStatus.COMPLETE, UnitStatus.SKIPPED}


def test_a_provider_without_its_name_costs_that_provider(context, units):
    pool = {"name": "projects/1/locations/global/workloadIdentityPools/ci"}
    good = {
        "name": f"{pool['name']}/providers/github",
        "oidc": {"issuerUri": "https://token.actions.githubusercontent.com"},
    }
    nameless = {"aws": {"accountId": "999999999999"}}
    assert [i.name for i in build_providers([(pool, nameless), (pool, good)], context, units)] == ["ci/github"]
    assert _outcome(units, "workload-identity-providers").error == "malformed record #0: field 'name': missing"
