"""Role trust policies from AWS's documented samples: who may assume the role, and what the
trust leaves open."""

from __future__ import annotations

import json

import pytest

from helpers.aws_corpus import (
    TRUST_DELETED_PRINCIPALS,
    TRUST_GITHUB_OIDC,
    TRUST_WITH_EXTERNAL_ID,
    TRUST_WITHOUT_EXTERNAL_ID,
)
from helpers.builders import REGISTRY, sample_registry
from helpers.moto import Moto
from helpers.scan import by_rule, scan
from partner_nhi.connectors.aws.trust import federations, trusted_parties
from partner_nhi.contract import Credential
from partner_nhi.registry import Registry

OWN = "123456789012"


def parties(document: dict[str, object]) -> set[tuple[str, str, bool]]:
    return {(a.kind, a.value, a.external) for a in trusted_parties(document, OWN, [])}


def test_deleted_principals_are_dangling_not_external_accounts() -> None:
    assert parties(TRUST_DELETED_PRINCIPALS) == {
        ("deleted-principal", "AIDAJQABLZS4A3QDU576Q", False),
        ("deleted-principal", "AROAKSCDLFT9R5DQP782U", False),
    }


def test_a_role_trusting_a_deleted_role_is_reported_as_dangling(moto: Moto) -> None:
    seed = moto.seeder()
    trust = json.dumps(TRUST_DELETED_PRINCIPALS)
    seed.role("old-vendor-bridge", 300, trust, used_days_ago=1, tags={"owner": "alice@example.com"})
    run = scan({"aws": moto.settings()}, sample_registry(), None)
    [finding] = run.findings  # no orphaned-identity: a deleted principal is no unknown partner
    assert (finding.rule, finding.identity_name) == ("dangling-trust", "old-vendor-bridge")
    assert finding.evidence["deleted_principals"] == ["AIDAJQABLZS4A3QDU576Q", "AROAKSCDLFT9R5DQP782U"]


def with_condition(condition: dict[str, object] | None, principal: object = None) -> dict[str, object]:
    """AWS's documented third-party trust with another Condition (or Principal) in its place."""
    statement = dict(TRUST_WITH_EXTERNAL_ID["Statement"])
    if condition is None:
        statement.pop("Condition")
    else:
        statement["Condition"] = condition
    if principal is not None:
        statement["Principal"] = principal
    return {"Version": "2012-10-17", "Statement": [statement]}


def gaps(document: dict[str, object]) -> dict[str, tuple[str | None, str | None]]:
    return {a.value: (a.gap, a.detail) for a in trusted_parties(document, OWN, [])}


def test_the_documented_external_id_closes_the_confused_deputy() -> None:
    assert gaps(TRUST_WITH_EXTERNAL_ID) == {"111122223333": (None, None)}
    assert gaps(TRUST_WITHOUT_EXTERNAL_ID) == {"111122223333": ("no-external-id", "no sts:ExternalId condition")}


@pytest.mark.parametrize(
    ("condition", "guarded"),
    [
        ({"StringEquals": {"sts:ExternalId": ["id-for-us", "id-for-our-other-tenant"]}}, True),  # an array: any of
        ({"ForAnyValue:StringEquals": {"sts:ExternalId": "id-for-us"}}, True),
        ({"StringLike": {"STS:EXTERNALID": "us-*"}}, True),  # keys are case-insensitive
        ({"StringLike": {"sts:ExternalId": "*"}}, False),  # any value passes
        ({"StringEqualsIfExists": {"sts:ExternalId": "id-for-us"}}, False),  # an absent id passes
        ({"ForAllValues:StringEquals": {"sts:ExternalId": "id-for-us"}}, False),  # an absent key passes
        ({"StringNotEquals": {"sts:ExternalId": "nobody"}}, False),
        ({"Bool": {"aws:MultiFactorAuthPresent": "true"}}, False),
    ],
)
def test_external_id_conditions_are_read_as_iam_evaluates_them(condition: dict[str, object], guarded: bool) -> None:
    [(gap, detail)] = gaps(with_condition(condition)).values()
    assert (gap is None) is guarded
    if not guarded:
        assert detail is not None and "sts:ExternalId" in detail


def test_internal_accounts_need_no_external_id() -> None:
    [party] = trusted_parties(TRUST_WITHOUT_EXTERNAL_ID, OWN, ["111122223333"])
    assert (party.external, party.gap) == (False, None)


@pytest.mark.parametrize(
    ("principal", "condition", "open_to_anyone"),
    [
        ("*", None, True),
        ({"AWS": "*"}, None, True),
        ({"AWS": ["*"]}, {"StringEquals": {"sts:ExternalId": "shared"}}, True),  # a shared secret does not say who
        ({"AWS": "*"}, {"StringEquals": {"aws:PrincipalOrgID": "o-exampleorgid"}}, False),
        ({"AWS": "*"}, {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/*"}}, False),
        ({"AWS": "*"}, {"StringLike": {"aws:PrincipalAccount": "*"}}, True),
    ],
)
def test_a_wildcard_principal_without_a_caller_condition_is_open_to_anyone(
    principal: object, condition: dict[str, object] | None, open_to_anyone: bool
) -> None:
    [(gap, _)] = gaps(with_condition(condition, principal)).values()
    assert (gap == "anyone") is open_to_anyone


def test_not_principal_allows_everyone_else() -> None:
    statement = {
        "Effect": "Allow",
        "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"},
        "Action": "sts:AssumeRole",
    }
    [party] = trusted_parties({"Statement": [statement]}, OWN, [])
    assert (party.value, party.gap) == ("*", "anyone")


def test_only_statements_allowing_an_assume_action_count() -> None:
    tag_only = {"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "sts:TagSession"}
    wildcard = {"Effect": "Allow", "Principal": {"AWS": "444455556666"}, "Action": "sts:*"}
    not_action = {"Effect": "Allow", "Principal": {"AWS": "777788889999"}, "NotAction": "sts:TagSession"}
    parties = {a.value for a in trusted_parties({"Statement": [tag_only, wildcard, not_action]}, OWN, [])}
    assert parties == {"444455556666", "777788889999"}


def test_a_party_open_in_any_statement_is_open() -> None:
    guarded = TRUST_WITH_EXTERNAL_ID["Statement"]
    document = {"Statement": [guarded, *TRUST_WITHOUT_EXTERNAL_ID["Statement"]]}
    [party] = trusted_parties(document, OWN, [])
    assert party.gap == "no-external-id"


def test_a_partner_role_without_external_id_is_found_with_the_partner(moto: Moto) -> None:
    seed = moto.seeder()
    seed.role("acme-bridge", 300, json.dumps(TRUST_WITHOUT_EXTERNAL_ID), used_days_ago=1)
    seed.role("acme-guarded", 300, json.dumps(TRUST_WITH_EXTERNAL_ID), used_days_ago=1)
    found = by_rule(scan({"aws": moto.settings()}, sample_registry(), None), "trust-without-external-id")
    assert set(found) == {"acme-bridge"}
    assert found["acme-bridge"].partner == "acme"
    assert found["acme-bridge"].evidence["parties"] == [
        {"kind": "aws-account", "value": "111122223333", "registered": True, "detail": "no sts:ExternalId condition"}
    ]


def github(sub_condition: dict[str, object] | None) -> dict[str, object]:
    """The documented GitHub Actions trust with another sub condition (None: without one)."""
    statement = json.loads(json.dumps(TRUST_GITHUB_OIDC["Statement"][0]))
    statement["Condition"].pop("StringLike")
    if sub_condition:
        statement["Condition"].update(sub_condition)
    return {"Version": "2012-10-17", "Statement": [statement]}


GITHUB = "token.actions.githubusercontent.com"
SUB = f"{GITHUB}:sub"


def federation(document: dict[str, object]) -> Credential:
    [found] = federations(document)
    return found


def test_the_documented_github_trust_pins_the_subject_and_names_it() -> None:
    github_trust = federation(TRUST_GITHUB_OIDC)
    assert github_trust.admits_many is None and github_trust.kind.value == "federated"
    assert github_trust.id == f"arn:aws:iam::{OWN}:oidc-provider/{GITHUB}"
    assert github_trust.display == f"{GITHUB} sub repo:octo-org/octo-repo:ref:refs/heads/main"
    parties = {(a.kind, a.value) for a in trusted_parties(TRUST_GITHUB_OIDC, OWN, [])}
    assert ("oidc-subject", "repo:octo-org/octo-repo:ref:refs/heads/main") in parties


ANY_REPOSITORY = "any repository, organisation or namespace"


@pytest.mark.parametrize(
    ("sub_condition", "admits"),
    [
        (None, f"any subject {GITHUB} issues a token for (no {SUB} condition)"),
        ({"StringLike": {SUB: "repo:*"}}, f"{ANY_REPOSITORY} ({SUB} repo:*)"),
        ({"StringLike": {SUB: "repo:octo*"}}, f"{ANY_REPOSITORY} ({SUB} repo:octo*)"),
        ({"StringLike": {SUB: ["repo:octo-org/a:*", "*"]}}, f"{ANY_REPOSITORY} ({SUB} *)"),
        (
            {"StringLikeIfExists": {SUB: "repo:octo-org/*"}},
            f"any subject {GITHUB} issues a token for (the {SUB} condition does not bind: StringLikeIfExists",
        ),
        ({"StringLike": {SUB: "repo:octo-org/*"}}, None),  # any repository of one organisation: pinned to it
        ({"StringEquals": {SUB: ["repo:octo-org/a:ref:refs/heads/main", "repo:octo-org/b:environment:prod"]}}, None),
        ({"ForAnyValue:StringLike": {SUB.upper(): "repo:octo-org/deploy:*"}}, None),
    ],
)
def test_oidc_subjects_must_pin_the_owner(sub_condition: dict[str, object] | None, admits: str | None) -> None:
    found = federation(github(sub_condition))
    if admits is None:
        assert found.admits_many is None
    else:
        assert (found.admits_many or "").startswith(admits)


def test_eks_service_account_subjects_must_pin_the_namespace() -> None:
    issuer = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"

    # IAM roles for service accounts (EKS User Guide): sub is system:serviceaccount:NAMESPACE:NAME
    def trust(sub: str) -> dict[str, object]:
        return {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": f"arn:aws:iam::{OWN}:oidc-provider/{issuer}"},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {"StringLike": {f"{issuer}:sub": sub, f"{issuer}:aud": "sts.amazonaws.com"}},
                }
            ]
        }

    assert federation(trust("system:serviceaccount:payments:api")).admits_many is None
    assert federation(trust("system:serviceaccount:payments:*")).admits_many is None
    assert federation(trust("system:serviceaccount:*")).admits_many is not None


def test_public_identity_providers_must_name_the_app() -> None:
    # IAM User Guide, "Creating a role for web identity or OpenID Connect federation": the Cognito trust
    cognito = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": "cognito-identity.amazonaws.com"},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {"cognito-identity.amazonaws.com:aud": "us-east:12345678-ffff-ffff-ffff-123456"}
                },
            }
        ],
    }
    assert federation(cognito).admits_many is None
    cognito["Statement"][0].pop("Condition")  # type: ignore[index]
    assert federation(cognito).admits_many == (
        "any cognito-identity.amazonaws.com user of any application (no cognito-identity.amazonaws.com:aud condition)"
    )


def test_saml_federations_are_not_web_identity_credentials() -> None:
    saml = {"Effect": "Allow", "Principal": {"Federated": f"arn:aws:iam::{OWN}:saml-provider/okta"}, "Action": "*"}
    assert federations({"Statement": [saml]}) == []


def test_oidc_trusts_through_moto_attribute_by_subject_and_flag_wildcards(moto: Moto) -> None:
    registry = Registry.model_validate(
        {**REGISTRY, "partners": [*REGISTRY["partners"], {"id": "hooli", "match": {"oidc_subjects": ["repo:hooli/*"]}}]}
    )
    seed = moto.seeder()
    owner = {"owner": "alice@example.com"}
    pinned = json.dumps(github({"StringLike": {SUB: "repo:hooli/site:ref:refs/heads/main"}}))
    seed.role("hooli-deploy", 30, pinned, used_days_ago=1)
    seed.role("any-repo-deploy", 30, json.dumps(github({"StringLike": {SUB: "repo:*"}})), used_days_ago=1, tags=owner)
    run = scan({"aws": moto.settings()}, registry, None)
    partners = {j.identity.name: (j.attribution.partner.id if j.attribution.partner else None) for j in run.identities}
    assert partners == {"hooli-deploy": "hooli", "any-repo-deploy": None}
    [found] = [f for f in run.findings if f.rule == "federated-trust-too-broad"]
    assert found.identity_name == "any-repo-deploy"
    assert found.credential == f"arn:aws:iam::{OWN}:oidc-provider/{GITHUB}"
    assert found.evidence["admits"] == f"{ANY_REPOSITORY} ({SUB} repo:*)"
