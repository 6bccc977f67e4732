"""The GCP connector: one scope per project, five coverage units per scope.

Calls per project: ListServiceAccounts (one per 100 accounts), one
ListServiceAccountKeys per account (the API has no bulk form), one
getIamPolicy, and one paged Policy Analyzer query per activity type.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

from partner_nhi.connectors.gcp import activity, iam_policy, keys, service_accounts
from partner_nhi.connectors.gcp.activity import LastAuthentication
from partner_nhi.connectors.gcp.clients import GcpClients, open_clients
from partner_nhi.connectors.gcp.context import ProjectContext
from partner_nhi.connectors.gcp.discovery import discover_projects
from partner_nhi.connectors.gcp.errors import classify
from partner_nhi.connectors.gcp.settings import GcpSettings
from partner_nhi.contract import CallCounter, Connector, ErrorKind, Identity, Scope, Units

Payload = dict[str, Any]


@dataclass(frozen=True)
class ProjectData:
    """What one project's fetch returned; None where a unit failed or was skipped."""

    accounts: list[Payload] | None
    keys: Mapping[str, list[Payload]]  # by account email; an account missing: its listing failed
    policy: Payload | None
    key_activities: list[Payload] | None
    account_activities: list[Payload] | None


class GcpConnector(Connector):
    """Service accounts, their user-managed keys, external members of project IAM
    policies and last authentication, for each configured or discovered project."""

    name: ClassVar[str] = "gcp"
    settings_model: ClassVar[type[GcpSettings]] = GcpSettings
    resource_types: ClassVar[tuple[str, ...]] = (
        service_accounts.UNIT,
        keys.UNIT,
        iam_policy.UNIT,
        activity.KEY_UNIT,
        activity.ACCOUNT_UNIT,
    )
    enrichment_units = frozenset({activity.KEY_UNIT, activity.ACCOUNT_UNIT})
    settings: GcpSettings

    def __init__(self, settings: Mapping[str, Any] | None) -> None:
        super().__init__(settings)
        self._projects: list[str] = list(dict.fromkeys(self.settings.projects))

    def scopes(self) -> list[Scope]:
        return [Scope(connector=self.name, id=project) for project in self.settings.projects]

    def discover(self) -> list[Scope]:
        """The projects under ``parent`` (an organisation or folder), when one is configured."""
        if not self.settings.parent:
            return []
        with open_clients(self.settings, CallCounter()) as clients:
            found = discover_projects(clients, self.settings.parent)
        self._projects = list(dict.fromkeys([*self.settings.projects, *found]))
        return [Scope(connector=self.name, id=project) for project in found]

    def collect(self, scope: Scope, units: Units, calls: CallCounter) -> list[Identity]:
        with open_clients(self.settings, calls) as clients:
            data = fetch_project(clients, scope.id, units)
        return normalize_project(data, self._context(scope.id))

    def classify(self, error: BaseException) -> ErrorKind:
        return classify(error)

    @classmethod
    def demo_estate(cls) -> AbstractContextManager[dict[str, Any]]:
        from partner_nhi.connectors.gcp.emulator import demo  # the emulators load only for the demo

        return demo.running_demo()

    def _context(self, project: str) -> ProjectContext:
        return ProjectContext(
            project=project,
            internal_projects=frozenset([*self._projects, *self.settings.internal_projects]),
            organization_domains=frozenset(self.settings.organization_domains),
            now=datetime.now(UTC),
        )


def fetch_project(clients: GcpClients, project: str, units: Units) -> ProjectData:
    """Run every unit of one project through the engine's ``units``."""
    accounts = units.fetch(service_accounts.UNIT, lambda: service_accounts.list_service_accounts(clients, project))
    policy = units.fetch(iam_policy.UNIT, lambda: iam_policy.get_iam_policy(clients, project))
    if accounts is None:  # keys and last use of unknown accounts: not reached
        return ProjectData(None, {}, policy, None, None)
    account_keys = units.fetch_each(
        keys.UNIT,
        [a["email"] for a in accounts],
        lambda email: keys.list_keys(clients, project, email),
    )
    return ProjectData(
        accounts,
        account_keys,
        policy,
        _activities(clients, project, units, activity.KEY_UNIT, activity.KEY_ACTIVITY),
        _activities(clients, project, units, activity.ACCOUNT_UNIT, activity.ACCOUNT_ACTIVITY),
    )


def _activities(clients: GcpClients, project: str, units: Units, unit: str, kind: str) -> list[Payload] | None:
    found = units.fetch(unit, lambda: activity.query_activities(clients, project, kind))
    if found is not None:
        units.note(unit, activity.NOTE)
    return found


def normalize_project(data: ProjectData, context: ProjectContext) -> list[Identity]:
    """Pure: one project's payloads as identities."""
    grants = iam_policy.grants_by_member(data.policy) if data.policy is not None else None
    key_use = LastAuthentication.from_activities(data.key_activities, activity.KEY_UNIT)
    account_use = LastAuthentication.from_activities(data.account_activities, activity.ACCOUNT_UNIT)
    identities = [
        service_accounts.normalize_service_account(
            account,
            data.keys.get(account["email"]),
            None if grants is None else grants.get(f"serviceAccount:{account['email']}", []),
            key_use,
            account_use,
            context,
        )
        for account in data.accounts or ()
    ]
    if data.policy is not None:
        own = {a["email"].lower() for a in data.accounts or ()}
        identities += iam_policy.member_identities(data.policy, context, own)
    return identities
