"""GetAccountAuthorizationDetails: users, groups, roles and customer-managed policies in a few
paged calls. Groups are asked for because users are usually granted power through them; an
AWS-managed policy is judged by its name (its document is not fetched: ~1,000 of them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

FILTER = ["User", "Role", "Group", "LocalManagedPolicy"]


@dataclass
class AuthorizationDetails:
    users: list[dict[str, Any]] = field(default_factory=list)
    groups: list[dict[str, Any]] = field(default_factory=list)
    roles: list[dict[str, Any]] = field(default_factory=list)
    policies: list[dict[str, Any]] = field(default_factory=list)  # customer-managed


def fetch_authorization_details(iam: Any) -> AuthorizationDetails:
    """Every page (``IsTruncated``/``Marker``) or an exception: never a partial list."""
    details = AuthorizationDetails()
    paginator = iam.get_paginator("get_account_authorization_details")
    for page in paginator.paginate(Filter=FILTER):
        details.users.extend(page.get("UserDetailList", []))
        details.groups.extend(page.get("GroupDetailList", []))
        details.roles.extend(page.get("RoleDetailList", []))
        details.policies.extend(page.get("Policies", []))
    return details
