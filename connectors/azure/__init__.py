"""Azure / Entra ID: app registrations (secrets, certificates, federated
credentials, owners), service principals and managed identities, their last
sign-in, and their Azure RBAC role assignments on the configured subscriptions.

One scope per tenant. Its units: ``applications``, ``service-principals``,
``federated-credentials``, ``sign-in-activity``, ``credential-sign-in-activity``
(Graph) and ``role-assignments/<subscription id>`` per subscription (ARM), so a
subscription that fails fails only its own unit and the run is partial.
See ``docs/azure.md`` for permissions, configuration and API-call counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any, ClassVar

from partner_nhi.connectors.azure import applications, federated
from partner_nhi.connectors.azure.identities import TenantObjects, build_identities
from partner_nhi.connectors.azure.revocation import revocation_steps
from partner_nhi.connectors.azure.settings import AzureSettings
from partner_nhi.connectors.microsoft import service_principals, sign_ins
from partner_nhi.connectors.microsoft.arm import read_role_grants
from partner_nhi.connectors.microsoft.auth import close_credential, credential_for
from partner_nhi.connectors.microsoft.collection import GraphUnits, graph_units
from partner_nhi.connectors.microsoft.connector import MicrosoftConnector, same_tenant
from partner_nhi.contract import CallCounter, Connector, Identity, RevocationStep, Scope, Units


class AzureConnector(MicrosoftConnector):
    name: ClassVar[str] = "azure"
    settings_model = AzureSettings
    resource_types = (
        applications.UNIT,
        service_principals.UNIT,
        federated.UNIT,
        sign_ins.UNIT_SIGN_INS,
        sign_ins.UNIT_CREDENTIAL_SIGN_INS,
    )  # plus role-assignments/<subscription id> per configured subscription: see unit_names
    settings: AzureSettings

    def endpoints(self) -> list[str]:
        """Graph and ARM: the azure section always names both, and neither may get the emulator token."""
        return [self.settings.graph_endpoint, self.settings.arm_endpoint]

    def alongside(self, others: Mapping[str, Connector]) -> None:
        """Beside the m365 connector on the same tenant, third-party apps are its (one identity,
        with its Graph permissions and Azure roles): leave them, unless the config says otherwise."""
        m365 = others.get("m365")
        if m365 is None or "third_party_apps" in self.settings.model_fields_set:
            return
        if same_tenant(m365, self):
            self.settings = self.settings.model_copy(update={"third_party_apps": False})

    def collect(self, scope: Scope, units: Units, calls: CallCounter) -> list[Identity]:
        credential = credential_for(self.endpoints())
        try:
            with graph_units(
                units, self.settings.graph_endpoint, credential, calls, self.settings.max_retries
            ) as graph:
                fetched = _fetch_graph(graph)
            grants = read_role_grants(units, self.settings, credential, calls)
        finally:
            close_credential(credential)
        objects = TenantObjects(
            tenant_id=scope.id,
            now=datetime.now(UTC),
            grants=grants,
            subscriptions=tuple(self.settings.subscriptions),
            microsoft_tenants=frozenset(self.settings.microsoft_tenant_ids),
            third_party_apps=self.settings.third_party_apps,
            **fetched,
        )
        return build_identities(objects, units)

    @classmethod
    def revocation_steps(cls, identity: Identity) -> list[RevocationStep]:
        return revocation_steps(identity)

    @classmethod
    def demo_estate(cls) -> AbstractContextManager[dict[str, Any]]:
        from partner_nhi.connectors.microsoft.emulator.demo import azure_demo_estate

        return azure_demo_estate()


def _fetch_graph(graph: GraphUnits) -> dict[str, Any]:
    """The tenant's Graph units: applications and service principals (owners completed past
    the $expand cap), their federated credentials, and the sign-in reports."""
    apps = graph.fetch(applications.UNIT, applications.fetch_applications)
    sps = graph.fetch(service_principals.UNIT, service_principals.fetch_service_principals)
    if apps is not None:
        apps = graph.complete_owners(applications.UNIT, "applications", apps)
    if sps is not None:
        sps = graph.complete_owners(service_principals.UNIT, "servicePrincipals", sps)
    federated_rows = (
        graph.fetch_chunks(federated.UNIT, [str(app["id"]) for app in apps if app.get("id")], federated.fetch_federated)
        if apps is not None
        else {}
    )
    return {
        "applications": apps,
        "service_principals": sps,
        "federated": federated_rows,
        "activity": graph.activity(),
    }
