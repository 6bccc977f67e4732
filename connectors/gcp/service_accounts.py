"""Service accounts of a project, with their keys, roles and last authentication.

The IAM API exposes no creation time and no labels for a service account:
``created`` stays None and ``tags`` empty.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from google.cloud.iam_admin_v1 import ListServiceAccountsRequest

from partner_nhi.connectors.gcp import keys
from partner_nhi.connectors.gcp.activity import LastAuthentication
from partner_nhi.connectors.gcp.clients import GcpClients
from partner_nhi.connectors.gcp.context import ProjectContext
from partner_nhi.connectors.gcp.coverage import SERVICE_ACCOUNTS
from partner_nhi.connectors.gcp.iam_policy import Roles
from partner_nhi.connectors.gcp.members import account_id, home_project
from partner_nhi.connectors.gcp.payload import as_json
from partner_nhi.contract import Affiliation, Credential, Identity, LastUse, Units


def list_service_accounts(clients: GcpClients, project: str) -> list[dict[str, Any]]:
    """Every service account of ``project``; the pager follows ``next_page_token``."""
    pager = clients.iam.list_service_accounts(
        request=ListServiceAccountsRequest(name=f"projects/{project}", page_size=clients.page_size),
        retry=clients.retry,
        timeout=clients.timeout,
    )
    return [as_json(account) for account in pager]


def label(account: dict[str, Any]) -> str:
    """How an error names an account record: its resource name (its email may be what is missing)."""
    return str(account.get("email") or account["name"])


def build_service_accounts(
    accounts: Sequence[dict[str, Any]],
    keys_by_email: Mapping[str, Sequence[dict[str, Any]]],
    roles: Roles,
    key_use: LastAuthentication,
    account_use: LastAuthentication,
    context: ProjectContext,
    units: Units,
) -> list[Identity]:
    """Each account (and each of its keys) through the engine's transform. An account
    missing from ``keys_by_email`` had its key listing fail."""

    def build(account: dict[str, Any]) -> Identity:
        email = account["email"]
        enabled = not account.get("disabled", False)
        listed = keys_by_email.get(email)
        credentials = None if listed is None else keys.build_keys(listed, enabled, key_use, context.now, units)
        return normalize_service_account(account, credentials, roles, account_use, context)

    return units.transform(SERVICE_ACCOUNTS, accounts, build, label)


def normalize_service_account(
    account: dict[str, Any],
    credentials: Sequence[Credential] | None,
    roles: Roles,
    account_use: LastAuthentication,
    context: ProjectContext,
) -> Identity:
    """One service account. ``credentials`` is None when its key listing failed (the coverage
    unit says so): the identity then says its keys are unknown; likewise its roles when a
    policy over the project was not read.

    Its roles come from the allow policies (and custom role definitions), so those units are
    among the units the identity relies on. Its keys' unit is not: every finding that judged a
    key records the key's own unit. Nor is Policy Analyzer (an enrichment unit): when it did
    not deliver, last use is ``unknown`` and the usage rules neither fire nor resolve."""
    email = account["email"].lower()
    unique_id = account.get("uniqueId", "")
    account_last = account_use.of(email, unique_id) if unique_id else account_use.of(email)
    home = home_project(email) or account.get("projectId") or context.project
    outside = context.is_internal_project(home) is False  # always its own project, in practice
    details: dict[str, Any] = {
        "display_name": account.get("displayName"),
        "description": account.get("description"),
        "unique_id": unique_id or None,
        "oauth2_client_id": account.get("oauth2ClientId"),
    }
    if credentials is None:
        details["keys"] = "unknown: listing failed"
    held = roles.of(f"serviceAccount:{account['email']}")
    details.update(held.details)
    if roles.unread:
        details["roles"] = f"incomplete: {', '.join(roles.unread)} not read"
    return Identity(
        id=email,
        provider="gcp",
        kind="gcp-service-account",
        scope=context.project,
        name=account_id(email),
        source=SERVICE_ACCOUNTS,
        also_from=roles.relied_on(held),
        aliases=(unique_id,) if unique_id else (),
        last_used=LastUse.latest(account_last, *(c.last_used for c in credentials or ())),
        enabled=not account.get("disabled", False),
        privileged=held.privileged,
        permissions=held.roles,
        affiliations=(Affiliation(kind="gcp-project", value=home, external=outside),),
        credentials=tuple(credentials or ()),
        details={k: v for k, v in details.items() if v is not None},
    )
