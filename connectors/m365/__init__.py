"""Microsoft 365: the third-party apps of one tenant, what they may do, and who they belong to.

One scope per tenant. Its units: ``service-principals`` (one listing, owners expanded),
``delegated-grants`` (the tenant's oauth2PermissionGrants, one listing filtered here),
``app-role-assignments`` (20 apps per ``$batch``, then each resource's app roles once),
``sign-in-activity`` and ``credential-sign-in-activity`` (beta reports, enrichment) and,
when ``subscriptions`` are configured, ``role-assignments/<subscription id>`` (ARM).

This connector owns third-party apps (other tenants' service principals): see
``docs/m365.md`` for how it shares a tenant with the azure connector, the Graph
permissions it needs and what each finding means. Importing it loads no ARM SDK; that is
imported only when subscriptions are configured.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, ClassVar

from azure.core.credentials import TokenCredential

from partner_nhi.connectors.m365 import permissions
from partner_nhi.connectors.m365.apps import TenantApps, build_apps, principal_label, third_party
from partner_nhi.connectors.m365.revocation import revocation_steps
from partner_nhi.connectors.m365.settings import M365Settings
from partner_nhi.connectors.microsoft import service_principals, sign_ins
from partner_nhi.connectors.microsoft.auth import close_credential, credential_for, static_token
from partner_nhi.connectors.microsoft.collection import GraphUnits, graph_units
from partner_nhi.connectors.microsoft.connector import MicrosoftConnector, same_tenant
from partner_nhi.connectors.microsoft.role_assignments import Grant
from partner_nhi.contract import (
    CallCounter,
    ConfigError,
    Connector,
    Identity,
    RevocationStep,
    Scope,
    Units,
)


class M365Connector(MicrosoftConnector):
    name: ClassVar[str] = "m365"
    settings_model = M365Settings
    resource_types = (
        service_principals.UNIT,
        permissions.UNIT_DELEGATED,
        permissions.UNIT_APPLICATION,
        sign_ins.UNIT_SIGN_INS,
        sign_ins.UNIT_CREDENTIAL_SIGN_INS,
    )  # plus role-assignments/<subscription id> per configured subscription: see unit_names
    settings: M365Settings

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        if self.settings.subscriptions:
            _arm_roles()  # a missing ARM SDK is bad input, said before any scan

    def alongside(self, others: Mapping[str, Connector]) -> None:
        """Beside the azure connector on the same tenant, this connector owns third-party apps, so
        it reads their roles on azure's subscriptions too (and through azure's ARM endpoint when it
        was given none of its own)."""
        azure = others.get("azure")
        if azure is None or not same_tenant(azure, self):
            return
        theirs = azure.settings.subscriptions
        merged = list(dict.fromkeys([*self.settings.subscriptions, *theirs]))
        if merged == self.settings.subscriptions:
            return
        update: dict[str, Any] = {"subscriptions": merged}
        if not self.settings.subscriptions and "arm_endpoint" not in self.settings.model_fields_set:
            update["arm_endpoint"] = azure.settings.arm_endpoint
        self.settings = self.settings.model_copy(update=update)
        _arm_roles()  # a missing ARM SDK is bad input, said before any scan
        static_token(self.endpoints())

    def collect(self, scope: Scope, units: Units, calls: CallCounter) -> list[Identity]:
        credential = credential_for(self.endpoints())
        try:
            with graph_units(
                units, self.settings.graph_endpoint, credential, calls, self.settings.max_retries
            ) as graph:
                objects = self._read_tenant(scope, graph)
            if objects is None:
                return []
            roles = self._azure_roles(units, calls, credential)
        finally:
            close_credential(credential)
        return build_apps(replace(objects, roles=roles, subscriptions=tuple(self.settings.subscriptions)), units)

    def _read_tenant(self, scope: Scope, graph: GraphUnits) -> TenantApps | None:
        """Graph: the third-party apps, their grants, assignments, resources and last sign-in.
        ``None`` when the service principals could not be listed (the other units are not reached)."""
        listed = graph.fetch(service_principals.UNIT, service_principals.fetch_service_principals)
        if listed is None:
            return None
        listed = graph.complete_owners(service_principals.UNIT, "servicePrincipals", listed)
        microsoft = frozenset(t.lower() for t in self.settings.microsoft_tenant_ids)
        read = graph.units.transform(
            service_principals.UNIT, listed, lambda sp: third_party(sp, scope.id, microsoft), principal_label
        )
        apps = [app for app in read if app is not None]
        _note_principals_without_owner(graph.units, listed)
        rows = graph.fetch(permissions.UNIT_DELEGATED, permissions.fetch_delegated_grants)
        grants = (
            permissions.read_delegated_grants(graph.units, rows, {a.id.lower() for a in apps})
            if rows is not None
            else None
        )
        assignments = graph.fetch_chunks(
            permissions.UNIT_APPLICATION, [a.id for a in apps], permissions.fetch_assignments
        )
        resources = permissions.resource_index(listed)
        referenced = sorted(
            {str(row.get("resourceId")) for held in assignments.values() for row in held if row.get("resourceId")}
        )
        bodies = graph.fetch_chunks(permissions.UNIT_APPLICATION, referenced, permissions.fetch_resources)
        return TenantApps(
            tenant_id=scope.id,
            now=datetime.now(UTC),
            apps=apps,
            grants=grants,
            assignments=assignments,
            resources=permissions.with_roles(resources, bodies),
            activity=graph.activity(),
        )

    def _azure_roles(self, units: Units, calls: CallCounter, credential: TokenCredential) -> dict[str, list[Grant]]:
        """Azure role assignments of the configured subscriptions; the ARM SDK is imported only then."""
        if not self.settings.subscriptions:
            return {}
        return _arm_roles()(units, self.settings, credential, calls)

    @classmethod
    def revocation_steps(cls, identity: Identity) -> list[RevocationStep]:
        return revocation_steps(identity)

    @classmethod
    def demo_estate(cls) -> AbstractContextManager[dict[str, Any]]:
        from partner_nhi.connectors.microsoft.emulator.demo import m365_demo_estate

        return m365_demo_estate()


def _arm_roles() -> Callable[[Units, M365Settings, TokenCredential, CallCounter], dict[str, list[Grant]]]:
    """The ARM role-assignment reader, imported on demand: the m365 extra does not install ARM."""
    try:
        from partner_nhi.connectors.microsoft.arm import read_role_grants
    except ImportError as exc:
        raise ConfigError(
            f"connectors.m365.subscriptions needs the ARM SDK ({exc.name} is missing): pip install 'partner-nhi[azure]'"
        ) from None
    return read_role_grants


def _note_principals_without_owner(units: Units, listed: list[dict[str, Any]]) -> None:
    """Principals Graph gives no owning tenant cannot be told third-party or not: say how many."""
    unowned = [
        sp for sp in listed if not sp.get("appOwnerOrganizationId") and sp.get("servicePrincipalType") == "Application"
    ]
    if unowned:
        units.note(
            service_principals.UNIT,
            f"{len(unowned)} service principal(s) have no owning tenant (appOwnerOrganizationId): not judged "
            f"as third-party apps (e.g. {principal_label(unowned[0])})",
        )
