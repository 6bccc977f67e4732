"""Which predefined roles make a holder privileged (raise a finding's severity).

Owner and editor, every IAM administration role, and the roles that let a
principal act as or mint tokens for a service account (a path to every role
that account holds) or rewrite the project's policy. Custom roles are not
judged: their permissions are not read.
"""

from __future__ import annotations

PRIVILEGED_ROLES = frozenset(
    {
        "roles/owner",
        "roles/editor",
        "roles/iam.serviceAccountTokenCreator",
        "roles/iam.serviceAccountUser",
        "roles/iam.serviceAccountKeyAdmin",
        "roles/iam.workloadIdentityUser",
        "roles/resourcemanager.projectIamAdmin",
        "roles/resourcemanager.folderAdmin",
        "roles/resourcemanager.folderIamAdmin",
        "roles/resourcemanager.organizationAdmin",
    }
)


def is_privileged(role: str) -> bool:
    """``roles/iam.*Admin`` (securityAdmin, serviceAccountAdmin, roleAdmin...) or a listed role."""
    if role in PRIVILEGED_ROLES:
        return True
    return role.startswith("roles/iam.") and role.endswith("Admin")
