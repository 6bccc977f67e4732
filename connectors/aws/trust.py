"""Who may assume a role: its trust policy read as affiliations, and what each leaves open (pure).

Parties: AWS accounts (external unless the customer's), deleted principals, AWS services,
OIDC issuers (with the subjects their conditions admit, as ``oidc-subject`` evidence) and
SAML providers. Each web-identity federation is also a federated credential of the role,
marked ``admits_many`` when it admits more than one workload.

Only ``Allow`` statements that allow an assume action count. Conditions are read as IAM
evaluates them (IAM User Guide, "Condition operators"): a key absent from the request makes
a condition false, except with ``...IfExists`` (absent passes) and ``ForAllValues`` (absent
passes); so only a positive operator (``StringEquals``, ``StringLike``, ``ArnEquals``, ...,
alone or under ``ForAnyValue``) binds a key, and a ``Like`` value of wildcards alone binds
nothing. Keys are case-insensitive. ``Deny`` statements are not credited: a trust a ``Deny``
narrows may be reported as open.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any
from urllib.parse import unquote

from partner_nhi.connectors.aws.unit_names import UNIT_PRINCIPALS
from partner_nhi.contract import Affiliation, Credential, CredentialKind, LastUse, MalformedRecord

_ACCOUNT_IN_ARN = re.compile(r"^arn:aws[a-z-]*:(?:iam|sts)::(\d{12}):")
# IAM saves a principal's ARN as its unique id; once the principal is deleted the policy shows
# that id instead: AIDA... for a user, AROA... for a role (AWS Knowledge Center, "Why is there an
# unknown principal format in my IAM resource-based policy?").
_DELETED_PRINCIPAL = re.compile(r"^(AIDA|AROA)[A-Z0-9]{12,}$")
ASSUME_ACTIONS = ("sts:assumerole", "sts:assumerolewithwebidentity", "sts:assumerolewithsaml")
_BINDING_OPERATORS = frozenset({"stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike"})
_LIKE_OPERATORS = frozenset({"stringlike", "arnlike"})
# Global keys that say who the caller is: one of them narrows a wildcard principal.
CALLER_KEYS = (
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:sourceaccount",
    "aws:sourcearn",
    "aws:sourceorgid",
    "aws:sourceorgpaths",
    "aws:userid",
    "aws:username",
)
EXTERNAL_ID_KEY = "sts:externalid"
NO_EXTERNAL_ID = "no-external-id"  # Affiliation.gap values, as the core names them
ANYONE = "anyone"
# Public identity providers named without an IAM provider ARN: their app id binds the trust to one
# application (IAM User Guide, "Creating a role for web identity or OpenID Connect federation").
WEB_IDENTITY_APP_KEYS = {
    "cognito-identity.amazonaws.com": "aud",
    "accounts.google.com": "aud",
    "www.amazon.com": "app_id",
    "graph.facebook.com": "app_id",
}
_EKS_ISSUER = re.compile(r"^oidc\.eks\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/id/")


def policy_document(value: Any, field: str) -> dict[str, Any]:
    """botocore usually decodes policy documents; real payloads may still be URL-encoded JSON.
    One that cannot be read raises :class:`MalformedRecord` naming ``field``: never an empty
    policy, which would read as "trusts nobody" or "grants nothing"."""
    if isinstance(value, dict):
        return value
    if value is None or value == "":
        raise MalformedRecord(field, "missing")
    try:
        decoded = json.loads(unquote(value)) if isinstance(value, str) else None
    except ValueError:
        decoded = None
    if not isinstance(decoded, dict):
        raise MalformedRecord(field, "not a JSON policy document")
    return decoded


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


@dataclass(frozen=True)
class Requirement:
    """One ``operator: {key: values}`` entry of a statement's ``Condition``."""

    operator: str  # without qualifier or IfExists, lower-case: "stringlike"
    key: str  # lower-case: condition keys are case-insensitive
    values: tuple[str, ...]
    for_all_values: bool
    if_exists: bool
    written: str  # the operator as the policy writes it, for evidence

    @property
    def binds(self) -> bool:
        """The key must be present and match one of the values for the statement to apply."""
        return self.operator in _BINDING_OPERATORS and not self.if_exists and not self.for_all_values

    def admits_anything(self) -> bool:
        """A ``Like`` value made of wildcards only matches every value."""
        return self.operator in _LIKE_OPERATORS and any(not v.strip("*?") for v in self.values)

    def describe(self) -> str:
        return f"{self.written} {self.key} {list(self.values)}"


def requirements(statement: Mapping[str, Any]) -> list[Requirement]:
    """The statement's conditions, read entry by entry."""
    condition = statement.get("Condition") or {}
    if not isinstance(condition, dict):
        raise MalformedRecord("AssumeRolePolicyDocument", "a Condition that is not an object")
    found = []
    for operator, entries in condition.items():
        if not isinstance(entries, dict):
            raise MalformedRecord("AssumeRolePolicyDocument", f"condition {operator} is not an object")
        qualifier, _, base = str(operator).rpartition(":")
        if_exists = base.lower().endswith("ifexists")
        base = base[: -len("ifexists")] if if_exists else base
        for key, values in entries.items():
            found.append(
                Requirement(
                    operator=base.lower(),
                    key=str(key).lower(),
                    values=tuple(str(v) for v in as_list(values)),
                    for_all_values=qualifier.lower() == "forallvalues",
                    if_exists=if_exists,
                    written=str(operator),
                )
            )
    return found


def bound(conditions: Iterable[Requirement], key: str) -> list[Requirement]:
    return [c for c in conditions if c.key == key and c.binds]


def external_id_gap(conditions: list[Requirement]) -> str | None:
    """Why an external account's trust lacks an external id (None when one is required)."""
    binding = bound(conditions, EXTERNAL_ID_KEY)
    if any(not c.admits_anything() for c in binding):
        return None
    loose = [c for c in conditions if c.key == EXTERNAL_ID_KEY]
    if not loose:
        return "no sts:ExternalId condition"
    return "the sts:ExternalId condition admits any caller: " + "; ".join(c.describe() for c in loose)


def wildcard_gap(conditions: list[Requirement]) -> str | None:
    """Why a wildcard principal is open to anyone (None when a condition narrows the caller)."""
    if any(not c.admits_anything() for key in CALLER_KEYS for c in bound(conditions, key)):
        return None
    return (
        "Principal * with no condition on the caller (aws:PrincipalOrgID, aws:PrincipalAccount, aws:PrincipalArn, ...)"
    )


def subject_breadth(issuer: str, conditions: list[Requirement]) -> str | None:
    """What an OIDC trust admits beyond one workload, and why (None when its ``sub`` is pinned)."""
    key = f"{issuer.lower()}:sub"
    binding = bound(conditions, key)
    if any(all(pins_owner(value, issuer) for value in c.values) for c in binding):
        return None
    if not binding:
        unbound = "; ".join(c.describe() for c in conditions if c.key == key)
        why = f"the {issuer}:sub condition does not bind: {unbound}" if unbound else f"no {issuer}:sub condition"
        return f"any subject {issuer} issues a token for ({why})"
    loose = ", ".join(value for c in binding for value in c.values if not pins_owner(value, issuer))
    return f"any repository, organisation or namespace ({issuer}:sub {loose})"


def pins_owner(subject: str, issuer: str) -> bool:
    """A subject pattern names its owner before any wildcard: ``repo:ORG/...`` for GitHub,
    ``project_path:GROUP/...`` for GitLab, ``organization:ORG:...`` for Terraform Cloud,
    ``system:serviceaccount:NAMESPACE:...`` for EKS. ``repo:*`` or ``repo:org*`` do not."""
    literal = re.split(r"[*?]", subject, maxsplit=1)[0]
    if literal == subject:
        return True
    if _EKS_ISSUER.match(issuer):
        return re.match(r"^system:serviceaccount:[^:]+:", literal) is not None
    return re.match(r"^[^:]+:[^:/]+[:/]", literal) is not None


def web_identity_breadth(provider: str, conditions: list[Requirement]) -> str | None:
    """What a public identity provider's trust admits (None when it is bound to one app)."""
    key = f"{provider}:{WEB_IDENTITY_APP_KEYS[provider]}"
    if any(not c.admits_anything() for c in bound(conditions, key)):
        return None
    return f"any {provider} user of any application (no {key} condition)"


def federations(document: dict[str, Any]) -> list[Credential]:
    """Each web-identity federation a role trusts (an OIDC provider, or a public provider named
    without one), as a federated credential: the issuer and the subjects its conditions admit,
    and, when it admits more than one workload, what and why (``admits_many``). A federation
    broad in any statement is broad. SAML federations are left to the trust's affiliations."""
    found: dict[str, Credential] = {}
    for statement in as_list(document.get("Statement")):
        if not isinstance(statement, dict) or not allows_assume(statement):
            continue
        principal = statement.get("Principal")
        if not isinstance(principal, dict):
            continue
        conditions = requirements(statement)
        for value in as_list(principal.get("Federated")):
            provider = str(value)
            if ":saml-provider/" in provider:
                continue
            issuer = provider.split(":oidc-provider/")[-1]
            if issuer.lower() in WEB_IDENTITY_APP_KEYS:
                breadth = web_identity_breadth(issuer.lower(), conditions)
            else:
                breadth = subject_breadth(issuer, conditions)
            subjects = [v for c in bound(conditions, f"{issuer.lower()}:sub") for v in c.values]
            federation = Credential(
                id=provider,
                kind=CredentialKind.FEDERATED,
                display=f"{issuer} sub {', '.join(subjects)}" if subjects else issuer,
                last_used=LastUse.unknown("AWS records a role's last use, not each trust's"),
                admits_many=breadth,
                source=UNIT_PRINCIPALS,
            )
            known = found.get(provider)
            if known is None or (known.admits_many is None and breadth is not None):
                found[provider] = federation
    return list(found.values())


def allows_assume(statement: Mapping[str, Any]) -> bool:
    """An Allow statement whose Action (or NotAction) admits an sts:AssumeRole* action."""
    if statement.get("Effect") != "Allow":
        return False
    if "Action" in statement:
        patterns = [str(a).lower() for a in as_list(statement["Action"])]
        return any(fnmatchcase(action, pattern) for action in ASSUME_ACTIONS for pattern in patterns)
    excluded = [str(a).lower() for a in as_list(statement.get("NotAction"))]
    return not all(any(fnmatchcase(action, pattern) for pattern in excluded) for action in ASSUME_ACTIONS)


def trusted_parties(document: dict[str, Any], own_account: str, internal_accounts: Iterable[str]) -> list[Affiliation]:
    """Every principal an ``Allow`` statement lets assume the role, with what its conditions
    leave open. An AWS account other than the scanned one and the customer's own is external;
    ``*`` is external and matches no partner, so it is always reported. A party open in any
    statement is open."""
    internal = {own_account, *internal_accounts}
    found: dict[tuple[str, str], Affiliation] = {}
    for statement in as_list(document.get("Statement")):
        if not isinstance(statement, dict) or not allows_assume(statement):
            continue
        conditions = requirements(statement)
        parties = list(_principals(statement, internal))
        for party in [*parties, *_subjects(parties, conditions)]:
            judged = _judged(party, conditions)
            known = found.get((judged.kind, judged.value))
            if known is None or (known.gap is None and judged.gap is not None):
                found[(judged.kind, judged.value)] = judged
    return list(found.values())


def _principals(statement: Mapping[str, Any], internal: set[str]) -> Iterator[Affiliation]:
    if "NotPrincipal" in statement:  # Allow with NotPrincipal: everyone but those named
        yield Affiliation(kind="aws-account", value="*", external=True)
        return
    principal = statement.get("Principal")
    if principal == "*":
        yield Affiliation(kind="aws-account", value="*", external=True)
        return
    if not isinstance(principal, dict):
        return
    for value in as_list(principal.get("AWS")):
        if _DELETED_PRINCIPAL.match(str(value)):
            yield Affiliation(kind="deleted-principal", value=str(value))
            continue
        account = _account_of(str(value))
        yield Affiliation(kind="aws-account", value=account, external=account not in internal)
    for value in as_list(principal.get("Service")):
        yield Affiliation(kind="aws-service", value=str(value))
    for value in as_list(principal.get("Federated")):
        text = str(value)
        kind = "saml" if ":saml-provider/" in text else "oidc"
        yield Affiliation(kind=kind, value=text.split(":oidc-provider/")[-1])


def _subjects(parties: list[Affiliation], conditions: list[Requirement]) -> Iterator[Affiliation]:
    """The subjects an OIDC trust admits (its bound ``sub`` values): attribution evidence."""
    for party in parties:
        if party.kind == "oidc":
            for condition in bound(conditions, f"{party.value.lower()}:sub"):
                for value in condition.values:
                    yield Affiliation(kind="oidc-subject", value=value)


def _judged(party: Affiliation, conditions: list[Requirement]) -> Affiliation:
    """The party with what the statement's conditions leave open."""
    if party.kind == "aws-account" and party.value == "*":
        gap, detail = ANYONE, wildcard_gap(conditions)
    elif party.kind == "aws-account" and party.external:
        gap, detail = NO_EXTERNAL_ID, external_id_gap(conditions)
    else:
        return party
    if detail is None:
        return party
    return party.model_copy(update={"gap": gap, "detail": detail})


def _account_of(principal: str) -> str:
    if principal == "*":
        return "*"
    if principal.isdigit() and len(principal) == 12:
        return principal
    match = _ACCOUNT_IN_ARN.match(principal)
    return match.group(1) if match else principal


def without_accounts(document: Mapping[str, Any], accounts: set[str]) -> tuple[dict[str, Any], list[str]]:
    """The trust policy with every principal of ``accounts`` (and any wildcard principal) taken
    out of its Allow statements, a statement left with no principal dropped; and the principals
    removed. For the revocation step that cuts external accounts off while the role stays."""
    kept: list[Any] = []
    removed: list[str] = []
    for statement in as_list(document.get("Statement")):
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            kept.append(statement)
            continue
        if "NotPrincipal" in statement or statement.get("Principal") == "*":
            removed.append("*")
            continue
        principal = dict(statement.get("Principal") or {})
        aws = [str(v) for v in as_list(principal.get("AWS"))]
        gone = [v for v in aws if _account_of(v) in accounts]
        if not gone:
            kept.append(statement)
            continue
        removed += gone
        remaining = [v for v in aws if v not in gone]
        if remaining:
            principal["AWS"] = remaining if len(remaining) > 1 else remaining[0]
        else:
            principal.pop("AWS", None)
        if principal:
            kept.append({**statement, "Principal": principal})
    return {**document, "Statement": kept}, removed
