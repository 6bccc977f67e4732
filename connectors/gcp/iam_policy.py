"""The project IAM policy: the roles each member holds, and the members outside
the organisation as identities of their own.

Reported members: users, groups and domains outside ``organization_domains``;
service accounts of projects that are not the customer's; ``deleted:``
principals still bound (a strong orphan signal, whoever they were);
``allUsers`` / ``allAuthenticatedUsers`` (public access); workload and
workforce pool principals; Google service agents (as provider-managed).
Members of the organisation are not identities here: a service account of the
scanned project is reported by the service-accounts unit with these roles.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from google.iam.v1 import iam_policy_pb2, options_pb2

from partner_nhi.connectors.gcp.clients import GcpClients
from partner_nhi.connectors.gcp.context import ProjectContext
from partner_nhi.connectors.gcp.members import Member, account_id, home_project, is_service_agent, parse_member
from partner_nhi.connectors.gcp.payload import as_json
from partner_nhi.connectors.gcp.roles import is_privileged
from partner_nhi.contract import Affiliation, Identity, LastUse

UNIT = "iam-policy"
POLICY_VERSION = 3  # conditional bindings come back as they are, not as ``_withcond_`` roles


@dataclass(frozen=True)
class Grant:
    role: str
    condition: str | None = None  # the condition's title (or expression)


def get_iam_policy(clients: GcpClients, project: str) -> dict[str, Any]:
    """``POST v3/projects/{p}:getIamPolicy``: a read, despite the verb."""
    policy = clients.projects.get_iam_policy(
        request=iam_policy_pb2.GetIamPolicyRequest(
            resource=f"projects/{project}",
            options=options_pb2.GetPolicyOptions(requested_policy_version=POLICY_VERSION),
        ),
        retry=clients.retry,
        timeout=clients.timeout,
    )
    return as_json(policy)


def grants_by_member(policy: dict[str, Any]) -> dict[str, list[Grant]]:
    """Member string (as in the policy) -> the roles bound to it."""
    grants: dict[str, list[Grant]] = defaultdict(list)
    for binding in policy.get("bindings", []):
        condition = binding.get("condition") or {}
        label = condition.get("title") or condition.get("expression")
        for member in binding.get("members", []):
            grants[member].append(Grant(binding["role"], label))
    return dict(grants)


def role_summary(grants: Sequence[Grant]) -> tuple[tuple[str, ...], bool, list[str]]:
    """Roles held (sorted), whether any is privileged, and the conditional ones."""
    roles = tuple(sorted({g.role for g in grants}))
    conditional = sorted(f"{g.role} if {g.condition}" for g in grants if g.condition)
    return roles, any(is_privileged(r) for r in roles), conditional


def member_identities(policy: dict[str, Any], context: ProjectContext, own_accounts: Collection[str]) -> list[Identity]:
    """The policy's members outside the organisation (see module docstring).

    ``own_accounts``: emails of the scanned project's service accounts, so its
    default compute account (``N-compute@developer...``) is known as internal.
    """
    identities = []
    for raw, grants in grants_by_member(policy).items():
        identity = member_identity(parse_member(raw), grants, context, own_accounts)
        if identity is not None:
            identities.append(identity)
    return identities


def member_identity(
    member: Member, grants: Sequence[Grant], context: ProjectContext, own_accounts: Collection[str]
) -> Identity | None:
    """One member as an identity, or None when it is inside the organisation."""
    agent = member.type == "serviceAccount" and is_service_agent(member.value)
    affiliation = None if agent else _affiliation(member, context, own_accounts)
    if affiliation is not None and not affiliation.external and not member.deleted:
        return None
    roles, privileged, conditional = role_summary(grants)
    details: dict[str, Any] = {"member_type": member.type}
    if member.deleted:
        details["deleted"] = True
        details["uid"] = member.uid
        details["note"] = "the principal was deleted; its binding still grants these roles"
    if member.type == "public":
        details["public"] = True
    if conditional:
        details["conditional_roles"] = conditional
    kind = "gcp-deleted-member" if member.deleted else "gcp-external-member"
    return Identity(
        id=member.raw,
        provider="gcp",
        kind="gcp-service-agent" if agent else kind,
        scope=context.project,
        name=account_id(member.value) if member.type == "serviceAccount" else member.value,
        source=UNIT,
        aliases=(member.email,) if member.email else (),
        last_used=LastUse.unknown("not exposed for members of an IAM policy"),
        enabled=True,  # bound: the roles are granted
        provider_managed=agent,
        privileged=privileged,
        permissions=roles,
        affiliations=(affiliation,) if affiliation is not None else (),
        details=details,
    )


def _affiliation(member: Member, context: ProjectContext, own_accounts: Collection[str]) -> Affiliation:
    """The party a member belongs to, and whether that party is outside the customer."""
    if member.type == "serviceAccount":
        project = home_project(member.value)
        if project is None:  # e.g. N-compute@developer.gserviceaccount.com
            internal = member.value in own_accounts
            return Affiliation(kind="gcp-service-account", value=member.value, external=not internal)
        return Affiliation(kind="gcp-project", value=project, external=not context.is_internal_project(project))
    if member.domain is not None and member.type in ("user", "group", "domain"):
        return Affiliation(
            kind="gcp-domain",
            value=member.domain,
            external=not context.is_internal_domain(member.domain),
        )
    kinds = {"public": "gcp-public", "principal": "gcp-principal"}
    return Affiliation(kind=kinds.get(member.type, "gcp-member"), value=member.value, external=True)
