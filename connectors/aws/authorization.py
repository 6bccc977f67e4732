"""GetAccountAuthorizationDetails: users, roles and local policies in a few paged calls."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class AuthorizationDetails:
    users: list[dict[str, Any]] = field(default_factory=list)
    roles: list[dict[str, Any]] = field(default_factory=list)
    policies: list[dict[str, Any]] = field(default_factory=list)  # customer-managed


def fetch_authorization_details(iam: Any) -> AuthorizationDetails:
    """Every page (``IsTruncated``/``Marker``) or an exception: never a partial list."""
    details = AuthorizationDetails()
    paginator = iam.get_paginator("get_account_authorization_details")
    for page in paginator.paginate(Filter=["User", "Role", "LocalManagedPolicy"]):
        details.users.extend(page.get("UserDetailList", []))
        details.roles.extend(page.get("RoleDetailList", []))
        details.policies.extend(page.get("Policies", []))
    return details
