"""Service accounts of a project, with their keys, roles and last authentication.

The IAM API exposes no creation time and no labels for a service account:
``created`` stays None and ``tags`` empty.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from google.cloud.iam_admin_v1 import ListServiceAccountsRequest

from partner_nhi.connectors.gcp.activity import LastAuthentication
from partner_nhi.connectors.gcp.clients import GcpClients
from partner_nhi.connectors.gcp.context import ProjectContext
from partner_nhi.connectors.gcp.iam_policy import Grant, role_summary
from partner_nhi.connectors.gcp.keys import is_user_managed, normalize_key
from partner_nhi.connectors.gcp.members import account_id, home_project
from partner_nhi.connectors.gcp.payload import as_json
from partner_nhi.contract import Affiliation, Identity, LastUse

UNIT = "service-accounts"


def list_service_accounts(clients: GcpClients, project: str) -> list[dict[str, Any]]:
    """Every service account of ``project``; the pager follows ``next_page_token``."""
    pager = clients.iam.list_service_accounts(
        request=ListServiceAccountsRequest(name=f"projects/{project}", page_size=clients.page_size),
        retry=clients.retry,
        timeout=clients.timeout,
    )
    return [as_json(account) for account in pager]


def normalize_service_account(
    account: dict[str, Any],
    keys: Sequence[dict[str, Any]] | None,
    grants: Sequence[Grant] | None,
    key_use: LastAuthentication,
    account_use: LastAuthentication,
    context: ProjectContext,
) -> Identity:
    """One service account. ``keys`` / ``grants`` are None when their listing failed
    (the coverage unit says so): the identity then says its keys/roles are unknown."""
    email = account["email"].lower()
    enabled = not account.get("disabled", False)
    unique_id = account.get("uniqueId", "")
    credentials = tuple(
        normalize_key(key, enabled, key_use.of(key["name"].rsplit("/", 1)[-1]), context.now)
        for key in keys or ()
        if is_user_managed(key)
    )
    account_last = account_use.of(email, unique_id) if unique_id else account_use.of(email)
    home = home_project(email) or account.get("projectId") or context.project
    details: dict[str, Any] = {
        "display_name": account.get("displayName"),
        "description": account.get("description"),
        "unique_id": unique_id or None,
        "oauth2_client_id": account.get("oauth2ClientId"),
    }
    if keys is None:
        details["keys"] = "unknown: listing failed"
    permissions: tuple[str, ...] = ()
    privileged = False
    if grants is None:
        details["roles"] = "unknown: IAM policy not read"
    else:
        permissions, privileged, conditional = role_summary(grants)
        if conditional:
            details["conditional_roles"] = conditional
    return Identity(
        id=email,
        provider="gcp",
        kind="gcp-service-account",
        scope=context.project,
        name=account_id(email),
        source=UNIT,
        aliases=(unique_id,) if unique_id else (),
        last_used=LastUse.latest(account_last, *(c.last_used for c in credentials)),
        enabled=enabled,
        privileged=privileged,
        permissions=permissions,
        affiliations=(Affiliation(kind="gcp-project", value=home, external=not context.is_internal_project(home)),),
        credentials=credentials,
        details={k: v for k, v in details.items() if v is not None},
    )
