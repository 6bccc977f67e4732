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
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from google.iam.v1 import iam_policy_pb2, options_pb2

from partner_nhi.connectors.gcp.clients import GcpClients
from partner_nhi.connectors.gcp.context import ProjectContext
from partner_nhi.connectors.gcp.coverage import IAM_POLICY, SERVICE_ACCOUNTS
from partner_nhi.connectors.gcp.members import Member, account_id, home_project, is_service_agent, parse_member
from partner_nhi.connectors.gcp.payload import as_json
from partner_nhi.connectors.gcp.roles import is_privileged
from partner_nhi.contract import Affiliation, Identity, LastUse, Units

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


def grants_by_member(policy: dict[str, Any], units: Units) -> dict[str, list[Grant]]:
    """Member string (as in the policy) -> the roles bound to it. Each binding goes through
    the engine's transform: one that cannot be read (no role) costs that binding."""
    grants: dict[str, list[Grant]] = defaultdict(list)
    for grant, members in units.transform(IAM_POLICY, policy.get("bindings", []), _read_binding, _binding_label):
        for member in members:
            grants[member].append(grant)
    return dict(grants)


def _read_binding(binding: dict[str, Any]) -> tuple[Grant, list[str]]:
    condition = binding.get("condition") or {}
    return Grant(binding["role"], condition.get("title") or condition.get("expression")), binding.get("members", [])


def _binding_label(binding: dict[str, Any]) -> str:
    return f"binding of {binding.get('role') or 'no role'} to {', '.join(binding.get('members', []))}"


def role_summary(grants: Sequence[Grant]) -> tuple[tuple[str, ...], bool, list[str]]:
    """Roles held (sorted), whether any is privileged, and the conditional ones."""
    roles = tuple(sorted({g.role for g in grants}))
    conditional = sorted(f"{g.role} if {g.condition}" for g in grants if g.condition)
    return roles, any(is_privileged(r) for r in roles), conditional


def member_identities(
    grants: Mapping[str, Sequence[Grant]],
    context: ProjectContext,
    own_accounts: Collection[str] | None,
    units: Units,
) -> list[Identity]:
    """The policy's members outside the organisation (see module docstring), each through
    the engine's transform.

    ``own_accounts``: emails of the scanned project's service accounts, so its default
    compute account (``N-compute@developer...``) is known as internal; None when that
    listing failed (such a member is then left out: its history is carried, because it
    relied on that listing).
    """

    def build(item: tuple[str, Sequence[Grant]]) -> Identity | None:
        return member_identity(parse_member(item[0]), item[1], context, own_accounts)

    built = units.transform(IAM_POLICY, list(grants.items()), build, lambda item: item[0])
    return [identity for identity in built if identity is not None]


def member_identity(
    member: Member, grants: Sequence[Grant], context: ProjectContext, own_accounts: Collection[str] | None
) -> Identity | None:
    """One member as an identity; None when it is inside the organisation, or when the
    listing that would tell failed."""
    agent = member.type == "serviceAccount" and is_service_agent(member.value)
    party = None if agent else _party(member, context, own_accounts)
    if party is None and not agent:
        return None
    affiliation, relied_on = party or (None, ())
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
        source=IAM_POLICY,
        also_from=relied_on,
        aliases=(member.email,) if member.email else (),
        last_used=LastUse.unknown("not exposed for members of an IAM policy"),
        enabled=True,  # bound: the roles are granted
        provider_managed=agent,
        privileged=privileged,
        permissions=roles,
        affiliations=(affiliation,) if affiliation is not None else (),
        details=details,
    )


def _party(
    member: Member, context: ProjectContext, own_accounts: Collection[str] | None
) -> tuple[Affiliation, tuple[str, ...]] | None:
    """The party a member belongs to, whether it is outside the customer, and the units
    (besides the policy) that verdict came from; None when a listing it needs failed."""
    if member.type == "serviceAccount":
        project = home_project(member.value)
        if project is None:  # e.g. N-compute@developer.gserviceaccount.com: the project's own?
            if own_accounts is None:
                return None
            external = member.value not in own_accounts
            return Affiliation(kind="gcp-service-account", value=member.value, external=external), (SERVICE_ACCOUNTS,)
        internal = context.is_internal_project(project)
        if internal is None:
            return None
        affiliation = Affiliation(kind="gcp-project", value=project, external=not internal)
        return affiliation, context.units_telling(project)
    if member.domain is not None and member.type in ("user", "group", "domain"):
        external = not context.is_internal_domain(member.domain)
        return Affiliation(kind="gcp-domain", value=member.domain, external=external), ()
    kinds = {"public": "gcp-public", "principal": "gcp-principal"}
    return Affiliation(kind=kinds.get(member.type, "gcp-member"), value=member.value, external=True), ()
