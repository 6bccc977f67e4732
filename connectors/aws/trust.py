"""Who may assume a role: its trust policy read as affiliations (pure)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote

from partner_nhi.contract import Affiliation, MalformedRecord

_ACCOUNT_IN_ARN = re.compile(r"^arn:aws[a-z-]*:(?:iam|sts)::(\d{12}):")
# IAM saves a principal's ARN as its unique id; once the principal is deleted the policy shows
# that id instead: AIDA... for a user, AROA... for a role (AWS Knowledge Center, "Why is there an
# unknown principal format in my IAM resource-based policy?").
_DELETED_PRINCIPAL = re.compile(r"^(AIDA|AROA)[A-Z0-9]{12,}$")


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


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def trusted_parties(document: dict[str, Any], own_account: str, internal_accounts: Iterable[str]) -> list[Affiliation]:
    """Every principal an ``Allow`` statement lets assume the role.

    An AWS account other than the scanned one and the customer's own is external;
    ``*`` is external and matches no partner, so it is always reported.
    """
    internal = {own_account, *internal_accounts}
    parties: list[Affiliation] = []
    for statement in _as_list(document.get("Statement")):
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal")
        if principal == "*":
            parties.append(Affiliation(kind="aws-account", value="*", external=True))
            continue
        if not isinstance(principal, dict):
            continue
        for value in _as_list(principal.get("AWS")):
            if _DELETED_PRINCIPAL.match(str(value)):
                parties.append(Affiliation(kind="deleted-principal", value=str(value)))
                continue
            account = _account_of(str(value))
            parties.append(Affiliation(kind="aws-account", value=account, external=account not in internal))
        for value in _as_list(principal.get("Service")):
            parties.append(Affiliation(kind="aws-service", value=str(value)))
        for value in _as_list(principal.get("Federated")):
            text = str(value)
            kind = "saml" if ":saml-provider/" in text else "oidc"
            parties.append(Affiliation(kind=kind, value=text.split(":oidc-provider/")[-1]))
    return list(dict.fromkeys(parties))


def _account_of(principal: str) -> str:
    if principal == "*":
        return "*"
    if principal.isdigit() and len(principal) == 12:
        return principal
    match = _ACCOUNT_IN_ARN.match(principal)
    return match.group(1) if match else principal
