"""The GCP connector: one scope per project, eight coverage units per scope (nine with
``parent``: the listing of the organisation's projects, which tells whether another
project's service account bound here is the customer's; seven with
``inherited_policies: false``).

Calls per project: ListServiceAccounts (one per 100 accounts), one
ListServiceAccountKeys per account (the API has no bulk form), one getIamPolicy, one
projects.get, one listing of workload identity pools and one of each pool's providers,
and one paged Policy Analyzer query per activity type. Shared by every
project of a run, read once: discovery under ``parent``, each folder's parent and
policy, the organisation's policy, and each custom role's definition (GetRole).

Every raw record becomes a core record through the engine's ``units.transform``:
a malformed account, key, binding, member or activity record costs that record and
makes its unit partial, with an error naming the record and the field.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any, ClassVar

from partner_nhi.connectors.gcp import (
    activity,
    hierarchy,
    iam_policy,
    keys,
    roles,
    service_accounts,
    workload_identity,
)
from partner_nhi.connectors.gcp.activity import LastAuthentication
from partner_nhi.connectors.gcp.clients import GcpClients, open_clients
from partner_nhi.connectors.gcp.context import ProjectContext
from partner_nhi.connectors.gcp.coverage import (
    ACCOUNT_LAST_AUTHENTICATION,
    CUSTOM_ROLES,
    IAM_POLICY,
    INHERITED_POLICIES,
    KEY_LAST_AUTHENTICATION,
    KEYS,
    PARENT_PROJECTS,
    SERVICE_ACCOUNTS,
    WORKLOAD_PROVIDERS,
)
from partner_nhi.connectors.gcp.discovery import discover_projects
from partner_nhi.connectors.gcp.errors import DiscoveryFailed, classify
from partner_nhi.connectors.gcp.iam_policy import ReadPolicy
from partner_nhi.connectors.gcp.revocation import revocation_steps
from partner_nhi.connectors.gcp.settings import GcpSettings
from partner_nhi.connectors.gcp.shared import SharedReads
from partner_nhi.connectors.gcp.workload_identity import Pooled
from partner_nhi.contract import CallCounter, Connector, ErrorKind, Identity, RevocationStep, Scope, Units

Payload = dict[str, Any]


@dataclass(frozen=True)
class ProjectData:
    """What one project's fetch returned; None where a unit failed or was skipped."""

    accounts: list[Payload] | None
    keys: Mapping[str, list[Payload]]  # by account email; an account missing: its listing failed
    policy: Payload | None
    inherited: list[ReadPolicy] | None  # the folders' and organisation's (none read with inherited_policies: false)
    role_permissions: Mapping[str, list[str]]  # by custom role; a role missing: its definition was not read
    providers: list[Pooled] | None  # the workload identity pools' providers
    key_activities: list[Payload] | None
    account_activities: list[Payload] | None


class GcpConnector(Connector):
    """Service accounts and their user-managed keys, members from outside bound in the allow
    policies over the project (its own, its folders', its organisation's), GKE workloads, the
    external identity providers its pools trust, and last authentication, for each configured
    or discovered project."""

    name: ClassVar[str] = "gcp"
    settings_model: ClassVar[type[GcpSettings]] = GcpSettings
    resource_types: ClassVar[tuple[str, ...]] = (
        SERVICE_ACCOUNTS,
        KEYS,
        IAM_POLICY,
        INHERITED_POLICIES,
        CUSTOM_ROLES,
        WORKLOAD_PROVIDERS,
        KEY_LAST_AUTHENTICATION,
        ACCOUNT_LAST_AUTHENTICATION,
        PARENT_PROJECTS,
    )
    enrichment_units = frozenset({KEY_LAST_AUTHENTICATION, ACCOUNT_LAST_AUTHENTICATION})
    settings: GcpSettings

    def __init__(self, settings: Mapping[str, Any] | None) -> None:
        super().__init__(settings)
        self._lock = threading.Lock()
        self._parent_listing: list[str] | Exception | None = None  # listed once per run
        self._shared = SharedReads()  # folders' and the organisation's policies, custom roles

    def unit_names(self, scope: Scope) -> tuple[str, ...]:
        unused = {
            PARENT_PROJECTS: not self.settings.parent,
            INHERITED_POLICIES: not self.settings.inherited_policies,
        }
        return tuple(unit for unit in self.resource_types if not unused.get(unit, False))

    def scopes(self) -> list[Scope]:
        return [Scope(connector=self.name, id=project) for project in self.settings.projects]

    def discover(self) -> list[Scope]:
        """The projects under ``parent`` (an organisation or folder), when one is configured."""
        if not self.settings.parent:
            return []
        listing = self._list_parent(self.settings.parent)
        if isinstance(listing, Exception):
            raise listing
        return [Scope(connector=self.name, id=project) for project in listing]

    def collect(self, scope: Scope, units: Units, calls: CallCounter) -> list[Identity]:
        discovered: frozenset[str] | None = frozenset()
        parent = self.settings.parent
        if parent:
            listed = units.fetch(PARENT_PROJECTS, lambda: self._projects_under(parent))
            discovered = None if listed is None else frozenset(listed)
        with open_clients(self.settings, calls) as clients:
            data = fetch_project(clients, scope.id, units, self._shared, self.settings.inherited_policies)
        return normalize_project(data, self._context(scope.id, discovered), units)

    def classify(self, error: BaseException) -> ErrorKind:
        return classify(error)

    @classmethod
    def revocation_steps(cls, identity: Identity) -> list[RevocationStep]:
        return revocation_steps(identity)

    @classmethod
    def demo_estate(cls) -> AbstractContextManager[dict[str, Any]]:
        from partner_nhi.connectors.gcp.emulator import demo  # the emulators load only for the demo

        return demo.running_demo()

    def _list_parent(self, parent: str) -> list[str] | Exception:
        """The projects under ``parent``, or why they could not be listed: once per run,
        shared by discovery and every project's scan."""
        with self._lock:
            if self._parent_listing is None:
                try:
                    with open_clients(self.settings, CallCounter()) as clients:
                        self._parent_listing = discover_projects(clients, parent)
                except Exception as exc:
                    self._parent_listing = exc
            return self._parent_listing

    def _projects_under(self, parent: str) -> list[str]:
        """For a project's own unit of that listing: a failed listing is recorded there too,
        so members whose verdict needed it are carried, not judged on a guess."""
        listing = self._list_parent(parent)
        if isinstance(listing, Exception):
            raise DiscoveryFailed(parent, listing)
        return listing

    def _context(self, project: str, discovered: frozenset[str] | None) -> ProjectContext:
        return ProjectContext(
            project=project,
            internal_projects=frozenset([*self.settings.projects, *self.settings.internal_projects]),
            organization_domains=frozenset(self.settings.organization_domains),
            now=datetime.now(UTC),
            discovered_projects=discovered,
            discovery_unit=PARENT_PROJECTS if self.settings.parent else None,
            policy_units=(IAM_POLICY, INHERITED_POLICIES) if self.settings.inherited_policies else (IAM_POLICY,),
        )


def fetch_project(
    clients: GcpClients, project: str, units: Units, shared: SharedReads, inherited_policies: bool
) -> ProjectData:
    """Run every unit of one project through the engine's ``units``."""
    accounts = units.fetch(SERVICE_ACCOUNTS, lambda: service_accounts.list_service_accounts(clients, project))
    policy = units.fetch(IAM_POLICY, lambda: iam_policy.get_iam_policy(clients, f"projects/{project}"))
    inherited: list[ReadPolicy] | None = []
    if inherited_policies:
        inherited = units.fetch(INHERITED_POLICIES, lambda: hierarchy.inherited_policies(clients, project, shared))
    else:
        units.note(IAM_POLICY, "inherited_policies: false: bindings on the folders and organisation above not read")
    bound = roles.custom_roles([p for p in (policy, *(p.payload for p in inherited or ())) if p is not None])
    definitions = units.fetch_each(
        CUSTOM_ROLES, bound, lambda name: shared.get(f"role {name}", partial(roles.get_role, clients, name))
    )
    providers = units.fetch(WORKLOAD_PROVIDERS, lambda: workload_identity.list_providers(clients, project))
    if accounts is None:  # keys and last use of unknown accounts: not reached
        return ProjectData(None, {}, policy, inherited, definitions, providers, None, None)
    account_keys = units.fetch_each(
        KEYS,
        [account["email"] for account in accounts if "email" in account],  # one without: rejected when built
        lambda email: keys.list_keys(clients, project, email),
    )
    return ProjectData(
        accounts,
        account_keys,
        policy,
        inherited,
        definitions,
        providers,
        _activities(clients, project, units, KEY_LAST_AUTHENTICATION, activity.KEY_ACTIVITY),
        _activities(clients, project, units, ACCOUNT_LAST_AUTHENTICATION, activity.ACCOUNT_ACTIVITY),
    )


def _activities(clients: GcpClients, project: str, units: Units, unit: str, kind: str) -> list[Payload] | None:
    found = units.fetch(unit, lambda: activity.query_activities(clients, project, kind))
    if found is not None:
        units.note(unit, activity.NOTE)
    return found


def normalize_project(data: ProjectData, context: ProjectContext, units: Units) -> list[Identity]:
    """One project's payloads as identities; I/O-free, each record through ``units.transform``."""
    read = [*data.inherited] if data.inherited is not None else []
    unread = [] if data.inherited is not None else [INHERITED_POLICIES]
    if data.policy is not None:
        read.insert(0, ReadPolicy(f"projects/{context.project}", IAM_POLICY, data.policy))
    else:
        unread.insert(0, IAM_POLICY)
    grants = iam_policy.grants_by_member(read, units)
    bound = iam_policy.Roles(grants, data.role_permissions, context.policy_units, tuple(unread))
    key_use = LastAuthentication.from_activities(data.key_activities, KEY_LAST_AUTHENTICATION, units)
    account_use = LastAuthentication.from_activities(data.account_activities, ACCOUNT_LAST_AUTHENTICATION, units)
    accounts = service_accounts.build_service_accounts(
        data.accounts or [], data.keys, bound, key_use, account_use, context, units
    )
    # the project's own accounts tell whether a member like N-compute@developer... is internal;
    # unknown when the listing failed or rejected a record (it might be the one a member names)
    listed_whole = data.accounts is not None and len(accounts) == len(data.accounts)
    own = {identity.id for identity in accounts} if listed_whole else None
    members = iam_policy.member_identities(bound, context, own, units)
    return accounts + members + workload_identity.build_providers(data.providers or [], context, units)
