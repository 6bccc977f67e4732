"""The allow policies over a project (its own, and its folders' and organisation's,
read in :mod:`connectors.gcp.hierarchy`): the roles each member holds there, where
each is bound, and the members outside the organisation as identities of their own.

Reported members: users, groups and domains outside ``organization_domains``;
service accounts of projects that are not the customer's; ``deleted:``
principals still bound (a strong orphan signal, whoever they were);
``allUsers`` / ``allAuthenticatedUsers`` (public access); workload and
workforce pool principals; Google service agents (as provider-managed).
Members of the organisation are not identities here: a service account of the
scanned project is reported by the service-accounts unit with these roles.
GKE workloads are the exception: nothing else lists them, so every one bound is
an identity of its own (``gcp-gke-workload``), the customer's when its cluster's
project is, a partner's (``gcp-project`` of that project) otherwise.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from google.iam.v1 import iam_policy_pb2, options_pb2

from partner_nhi.connectors.gcp.clients import GcpClients
from partner_nhi.connectors.gcp.context import ProjectContext
from partner_nhi.connectors.gcp.coverage import CUSTOM_ROLES, IAM_POLICY, SERVICE_ACCOUNTS
from partner_nhi.connectors.gcp.members import Member, account_id, home_project, is_service_agent, parse_member
from partner_nhi.connectors.gcp.payload import as_json
from partner_nhi.connectors.gcp.roles import is_custom, is_privileged, privileged_permissions
from partner_nhi.contract import Affiliation, Identity, LastUse, Units

POLICY_VERSION = 3  # conditional bindings come back as they are, not as ``_withcond_`` roles


@dataclass(frozen=True)
class ReadPolicy:
    """One allow policy that applies to the project, as read: the project's own, or a
    folder's or the organisation's above it (``unit`` is the coverage unit it came from)."""

    resource: str  # projects/P, folders/N or organizations/N
    unit: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class Grant:
    role: str
    resource: str  # where it is bound: a member bound on a folder holds it in every project below
    condition: Mapping[str, str] | None = None  # title, expression and description, as bound

    def as_binding(self) -> dict[str, Any]:
        """The binding exactly as it stands: what a revocation step must name."""
        binding: dict[str, Any] = {"role": self.role, "resource": self.resource}
        if self.condition:
            binding["condition"] = dict(self.condition)
        return binding

    @property
    def condition_label(self) -> str | None:
        return (self.condition.get("title") or self.condition.get("expression")) if self.condition else None


@dataclass(frozen=True)
class Holding:
    """What a member's grants amount to: roles, privilege and why, and whether the
    privilege was judged from custom role definitions."""

    roles: tuple[str, ...]
    privileged: bool
    custom: bool
    details: dict[str, Any]


def get_iam_policy(clients: GcpClients, resource: str) -> dict[str, Any]:
    """``POST v3/{projects|folders|organizations}/N:getIamPolicy``: a read, despite the verb."""
    policy = clients.policy_client(resource).get_iam_policy(
        request=iam_policy_pb2.GetIamPolicyRequest(
            resource=resource,
            options=options_pb2.GetPolicyOptions(requested_policy_version=POLICY_VERSION),
        ),
        retry=clients.retry,
        timeout=clients.timeout,
    )
    return as_json(policy)


def grants_by_member(policies: Iterable[ReadPolicy], units: Units) -> dict[str, list[Grant]]:
    """Member string (as in the policies) -> the roles bound to it, wherever. Each binding
    goes through the engine's transform: one that cannot be read (no role) costs that binding."""
    grants: dict[str, list[Grant]] = defaultdict(list)
    for policy in policies:
        bindings = policy.payload.get("bindings", [])
        read = partial(_read_binding, policy.resource)
        for grant, members in units.transform(policy.unit, bindings, read, _binding_label):
            for member in members:
                grants[member].append(grant)
    return dict(grants)


def _read_binding(resource: str, binding: dict[str, Any]) -> tuple[Grant, list[str]]:
    condition = binding.get("condition")
    held = {k: condition[k] for k in ("title", "expression", "description") if condition.get(k)} if condition else None
    return Grant(binding["role"], resource, held or None), binding.get("members", [])


def _binding_label(binding: dict[str, Any]) -> str:
    return f"binding of {binding.get('role') or 'no role'} to {', '.join(binding.get('members', []))}"


def holding(grants: Sequence[Grant], definitions: Mapping[str, Sequence[str]]) -> Holding:
    """Judge the roles ``grants`` give. ``definitions``: the permissions of each custom role
    read; a custom role missing from it leaves its holder's privilege unknown (said so)."""
    roles = tuple(sorted({g.role for g in grants}))
    privileged_by = {role: privileged_permissions(definitions[role]) for role in roles if role in definitions}
    unread = [role for role in roles if is_custom(role) and role not in definitions]
    details: dict[str, Any] = {"bindings": sorted((g.as_binding() for g in grants), key=_binding_order)}
    conditional = sorted(f"{g.role} if {g.condition_label}" for g in grants if g.condition)
    if conditional:
        details["conditional_roles"] = conditional
    if any(privileged_by.values()):
        details["privileged_by"] = {role: found for role, found in privileged_by.items() if found}
    if unread:
        details["custom_roles_unread"] = unread
    privileged = any(is_privileged(r) for r in roles) or any(privileged_by.values())
    return Holding(roles, privileged, any(is_custom(r) for r in roles), details)


def _binding_order(binding: dict[str, Any]) -> tuple[str, str]:
    return binding["resource"], binding["role"]


@dataclass(frozen=True)
class Roles:
    """Every role bound over one project, by member, as far as it could be read."""

    grants: Mapping[str, Sequence[Grant]]  # member string -> its grants, from every policy read
    definitions: Mapping[str, Sequence[str]]  # custom role -> its permissions, for those read
    policy_units: tuple[str, ...]  # every unit listing bindings over the project (ProjectContext.policy_units)
    unread: tuple[str, ...] = ()  # those that did not complete: the roles they bind are unknown

    def of(self, member: str) -> Holding:
        return holding(self.grants.get(member, ()), self.definitions)

    def relied_on(self, held: Holding) -> tuple[str, ...]:
        """The units a holder's roles came from: every policy over the project (a binding
        anywhere would make it a holder), and the custom role definitions if it holds one."""
        return (*self.policy_units, *((CUSTOM_ROLES,) if held.custom else ()))


def member_identities(
    roles: Roles, context: ProjectContext, own_accounts: Collection[str] | None, units: Units
) -> list[Identity]:
    """The policies' members outside the organisation (see module docstring), each through
    the engine's transform.

    ``own_accounts``: emails of the scanned project's service accounts, so its default
    compute account (``N-compute@developer...``) is known as internal; None when that
    listing failed (such a member is then left out: its history is carried, because it
    relied on that listing).
    """

    def build(member: str) -> Identity | None:
        return member_identity(parse_member(member), roles, context, own_accounts)

    built = units.transform(IAM_POLICY, list(roles.grants), build, str)
    return [identity for identity in built if identity is not None]


def member_identity(
    member: Member, roles: Roles, context: ProjectContext, own_accounts: Collection[str] | None
) -> Identity | None:
    """One member as an identity; None when it is inside the organisation, or when the
    listing that would tell failed."""
    agent = member.type == "serviceAccount" and is_service_agent(member.value)
    party = None if agent else _party(member, context, own_accounts)
    if party is None and not agent:
        return None
    affiliation, relied_on = party or (None, ())
    if affiliation is not None and not affiliation.external and not member.deleted and member.workload is None:
        return None
    held = roles.of(member.raw)
    details: dict[str, Any] = {"member_type": member.type, **held.details}
    if member.deleted:
        details["deleted"] = True
        details["uid"] = member.uid
        details["note"] = "the principal was deleted; its binding still grants these roles"
    if member.type == "public":
        details["public"] = True
    return Identity(
        id=member.raw,
        provider="gcp",
        kind=_kind(member, agent),
        scope=context.project,
        name=member.workload or (account_id(member.value) if member.type == "serviceAccount" else member.value),
        source=IAM_POLICY,
        also_from=tuple(u for u in dict.fromkeys((*roles.relied_on(held), *relied_on)) if u != IAM_POLICY),
        aliases=(member.email,) if member.email else (),
        last_used=LastUse.unknown("not exposed for members of an IAM policy"),
        enabled=True,  # bound: the roles are granted
        provider_managed=agent,
        privileged=held.privileged,
        permissions=held.roles,
        affiliations=(*((affiliation,) if affiliation is not None else ()), *_subject(member)),
        details=details,
    )


def _subject(member: Member) -> tuple[Affiliation, ...]:
    """A pool principal's subject (``repo:ORG/REPO:ref:...`` from GitHub Actions, say): evidence
    of whose workload it is, for a registry that recognises partners by OIDC subject."""
    return (Affiliation(kind="oidc-subject", value=member.subject, external=True),) if member.subject else ()


def _kind(member: Member, agent: bool) -> str:
    if agent:
        return "gcp-service-agent"
    if member.deleted:
        return "gcp-deleted-member"
    return "gcp-gke-workload" if member.workload is not None else "gcp-external-member"


def _party(
    member: Member, context: ProjectContext, own_accounts: Collection[str] | None
) -> tuple[Affiliation, tuple[str, ...]] | None:
    """The party a member belongs to, whether it is outside the customer, and the units
    (besides the policy) that verdict came from; None when a listing it needs failed."""
    project = member.cluster_project or (home_project(member.value) if member.type == "serviceAccount" else None)
    if project is not None:
        internal = context.is_internal_project(project)
        if internal is None:
            return None
        affiliation = Affiliation(kind="gcp-project", value=project, external=not internal)
        return affiliation, context.units_telling(project)
    if member.type == "serviceAccount":  # e.g. N-compute@developer.gserviceaccount.com: the project's own?
        if own_accounts is None:
            return None
        external = member.value not in own_accounts
        return Affiliation(kind="gcp-service-account", value=member.value, external=external), (SERVICE_ACCOUNTS,)
    if member.domain is not None and member.type in ("user", "group", "domain"):
        external = not context.is_internal_domain(member.domain)
        return Affiliation(kind="gcp-domain", value=member.domain, external=external), ()
    kinds = {"public": "gcp-public", "principal": "gcp-principal"}
    return Affiliation(kind=kinds.get(member.type, "gcp-member"), value=member.value, external=True), ()
