"""Every GCP transform over the corpus of real-shaped samples (tests/gcp/corpus.py), not
over our emulator's idea of the API: each documented record is read without a rejection,
into the fields the documentation gives it. gRPC-served records (service accounts, keys,
roles) also take the client's path: parsed into the google-cloud-iam message, then turned
back into REST JSON by ``as_json``, which must give the documented shape."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from google.cloud.iam_admin_v1 import types
from google.iam.v1 import policy_pb2
from google.protobuf import json_format

from partner_nhi.connector import UnitStatus
from partner_nhi.connectors.gcp.activity import LastAuthentication
from partner_nhi.connectors.gcp.iam_policy import Roles, member_identities
from partner_nhi.connectors.gcp.members import parse_member
from partner_nhi.connectors.gcp.payload import as_json
from partner_nhi.connectors.gcp.roles import granted_permissions
from partner_nhi.connectors.gcp.service_accounts import build_service_accounts
from partner_nhi.connectors.gcp.workload_identity import NO_CONDITION, build_providers
from partner_nhi.records import CredentialKind

from . import corpus


def _through_client(message_type: Any, record: dict[str, Any]) -> dict[str, Any]:
    """A REST record as the gRPC client hands it over: the message, then as_json."""
    return as_json(json_format.ParseDict(record, message_type.pb(message_type())))


@pytest.mark.parametrize(
    ("message_type", "records"),
    [
        (types.ServiceAccount, corpus.SERVICE_ACCOUNTS["accounts"]),
        (types.ServiceAccountKey, corpus.KEYS["keys"]),
        (types.Role, [corpus.ROLE]),
    ],
)
def test_grpc_records_come_back_in_their_documented_shape(message_type: Any, records: list[dict[str, Any]]) -> None:
    """The etag is left out: a bytes field, and one documentation example ("UkQpTwBVUsL=") is not
    canonical base64, so it comes back re-encoded; partner-nhi never reads it."""

    def without_etag(record: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in record.items() if k != "etag"}

    assert [without_etag(_through_client(message_type, r)) for r in records] == [without_etag(r) for r in records]


def _no_rejection(units: Any) -> None:
    failed = [(o.resource_type, o.error) for o in units.outcomes() if o.items_failed]
    assert failed == []


def test_service_accounts_and_keys(context: Any, units: Any) -> None:
    accounts = [_through_client(types.ServiceAccount, a) for a in corpus.SERVICE_ACCOUNTS["accounts"]]
    keys = [_through_client(types.ServiceAccountKey, k) for k in corpus.KEYS["keys"]]
    uses = LastAuthentication.from_activities(corpus.KEY_ACTIVITIES["activities"], "key-last-authentication", units)
    account_uses = LastAuthentication.from_activities(
        corpus.ACCOUNT_ACTIVITIES["activities"], "account-last-authentication", units
    )
    roles = Roles({}, {}, ("iam-policy",))
    identities = build_service_accounts(
        accounts, {"sa-1@my-project.iam.gserviceaccount.com": keys}, roles, uses, account_uses, context, units
    )
    _no_rejection(units)
    first, second = identities
    assert (first.id, first.name, first.aliases) == (
        "sa-1@my-project.iam.gserviceaccount.com",
        "sa-1",
        ("123456789012345678901",),
    )
    assert first.details["display_name"] == "Service account 1"
    assert first.affiliations[0].value == "my-project"
    assert second.details["keys"] == "unknown: listing failed"  # no listing given for it
    credentials = {c.id: c for c in first.credentials}
    assert credentials["90c48f61c65cd56224a12ab18e6ee9ca9c3aee7c"].created == datetime(
        2020, 3, 4, 17, 39, 47, tzinfo=UTC
    )
    assert {c.expires for c in first.credentials} == {None}  # year 9999: never expires
    assert not credentials["b97699f042b8eee6a846f4f96259fbcd13e2682e"].active  # "disabled": true
    assert {c.last_used.state for c in first.credentials} == {"never"}  # no activity names these keys


def test_activities(units: Any) -> None:
    keys = LastAuthentication.from_activities(corpus.KEY_ACTIVITIES["activities"], "key-last-authentication", units)
    accounts = LastAuthentication.from_activities(
        corpus.ACCOUNT_ACTIVITIES["activities"], "account-last-authentication", units
    )
    _no_rejection(units)
    key = keys.of("e0b1b971487ffff7f725b124d3b729191f76b4cc")  # named only inside the activity
    assert (key.state, key.at) == ("used", datetime(2021, 4, 18, 7, tzinfo=UTC))
    by_email = accounts.of("service-account-1@my-project.iam.gserviceaccount.com")
    assert by_email.at == datetime(2021, 4, 27, 7, tzinfo=UTC)
    assert accounts.of("123456789012345678901") == by_email  # and by unique id


def test_policy_and_member_forms(roles_of: Any, context: Any, units: Any) -> None:
    policy = _through_rest_client(corpus.POLICY)
    extra = {"role": "roles/viewer", "members": list(corpus.MEMBERS.values())}
    bound = roles_of({**policy, "bindings": [*policy["bindings"], extra]})
    found = {i.id: i for i in member_identities(bound, context, set(), units)}
    _no_rejection(units)
    eve = found["user:eve@example.com"]
    assert eve.details["bindings"] == [
        {
            "role": "roles/resourcemanager.organizationViewer",
            "resource": "projects/corp-prod",
            "condition": corpus.POLICY["bindings"][1]["condition"],
        }
    ]
    assert found["user:mike@example.com"].privileged  # organizationAdmin
    assert found["serviceAccount:my-project-id@appspot.gserviceaccount.com"].affiliations[0].value == "my-project-id"
    assert found[corpus.MEMBERS["deleted"]].kind == "gcp-deleted-member"
    assert found[corpus.MEMBERS["gke"]].kind == "gcp-gke-workload"
    assert parse_member(corpus.MEMBERS["gke legacy"]).cluster_project == "my-project"
    assert found[corpus.MEMBERS["workforce"]].affiliations[0].kind == "gcp-principal"
    assert {o.status for o in units.outcomes()} <= {UnitStatus.COMPLETE, UnitStatus.SKIPPED}


def _through_rest_client(record: dict[str, Any]) -> dict[str, Any]:
    """A policy as resource manager's REST client hands it over: a google.iam.v1.Policy."""
    return as_json(json_format.ParseDict(record, policy_pb2.Policy()))


def test_custom_role(units: Any) -> None:
    assert granted_permissions(_through_client(types.Role, corpus.ROLE)) == ["iam.roles.get", "iam.roles.list"]


def test_an_unreadable_activity_of_the_inner_shape_is_named_by_its_inner_resource(units: Any) -> None:
    [record] = corpus.KEY_ACTIVITIES["activities"]
    broken = {**record, "activity": {**record["activity"], "lastAuthenticatedTime": "18/04/2021"}}
    uses = LastAuthentication.from_activities([broken], "key-last-authentication", units)
    assert uses.of("e0b1b971487ffff7f725b124d3b729191f76b4cc").state == "unknown"
    [outcome] = [o for o in units.outcomes() if o.resource_type == "key-last-authentication"]
    assert outcome.error == (
        "malformed record '//iam.googleapis.com/projects/broad-dsde-perf/serviceAccounts/"
        "agora-perf-service-account@broad-dsde-perf.iam.gserviceaccount.com/keys/e0b1b971487ffff7f725b124d3b729191f76b4cc'"
        ": field 'activity.lastAuthenticatedTime': not an RFC 3339 time: '18/04/2021'"
    )


def test_workload_identity_providers(context: Any, units: Any) -> None:
    [pool] = corpus.POOLS["workloadIdentityPools"]
    pooled = [(pool, provider) for provider in corpus.PROVIDERS["workloadIdentityPoolProviders"]]
    github, aws = build_providers(pooled, context, units)
    _no_rejection(units)
    assert (github.kind, github.name, github.enabled) == ("gcp-workload-identity-provider", "ci-pool/github", True)
    [trust] = github.credentials
    assert (trust.kind, trust.display, trust.admits_many) == (
        CredentialKind.FEDERATED,
        "https://token.actions.githubusercontent.com",
        None,  # assertion.repository_owner == 'my-org' restricts it
    )
    assert [(a.kind, a.value) for a in github.affiliations] == [("oidc", "https://token.actions.githubusercontent.com")]
    assert aws.credentials[0].admits_many == NO_CONDITION  # any role of that account may exchange tokens
    assert [(a.kind, a.value, a.external) for a in aws.affiliations] == [("aws-account", "999999999999", True)]
    assert aws.details["protocol"] == "aws"
