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

import asyncio
from collections.abc import Callable, Coroutine, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from functools import partial
from typing import Any, ClassVar, TypeVar

from azure.core.credentials import TokenCredential

from partner_nhi.connectors.azure import applications, federated
from partner_nhi.connectors.azure.identities import TenantObjects, build_identities
from partner_nhi.connectors.azure.settings import AzureSettings
from partner_nhi.connectors.microsoft import service_principals, sign_ins
from partner_nhi.connectors.microsoft.arm import open_authorization
from partner_nhi.connectors.microsoft.auth import close_credential, credential_for, static_token
from partner_nhi.connectors.microsoft.errors import classify
from partner_nhi.connectors.microsoft.graph import GraphSession, open_graph
from partner_nhi.connectors.microsoft.role_assignments import Grant, fetch_role_assignments, read_grants, unit_name
from partner_nhi.contract import CallCounter, Connector, ErrorKind, Identity, LastUse, Scope, Units

T = TypeVar("T")


class AzureConnector(Connector):
    name: ClassVar[str] = "azure"
    settings_model = AzureSettings
    resource_types = (
        applications.UNIT,
        service_principals.UNIT,
        federated.UNIT,
        sign_ins.UNIT_SIGN_INS,
        sign_ins.UNIT_CREDENTIAL_SIGN_INS,
    )  # plus role-assignments/<subscription id> per configured subscription: see unit_names
    enrichment_units = frozenset({sign_ins.UNIT_SIGN_INS, sign_ins.UNIT_CREDENTIAL_SIGN_INS})
    settings: AzureSettings

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        static_token(self._endpoints())  # refuse an emulator token for a real endpoint now

    def _endpoints(self) -> tuple[str, str]:
        return self.settings.graph_endpoint, self.settings.arm_endpoint

    def unit_names(self, scope: Scope) -> Sequence[str]:
        return [*self.resource_types, *(unit_name(s) for s in self.settings.subscriptions)]

    def scopes(self) -> list[Scope]:
        tenant = self.settings.tenant_id
        return [Scope(self.name, tenant, tenant)]

    def classify(self, error: BaseException) -> ErrorKind:
        return classify(error)

    def collect(self, scope: Scope, units: Units, calls: CallCounter) -> list[Identity]:
        credential = credential_for(self._endpoints())
        try:
            with asyncio.Runner() as runner:
                graph = open_graph(self.settings.graph_endpoint, credential, calls, self.settings.max_retries)
                try:
                    fetched = _GraphUnits(units, runner, graph).fetch_all()
                finally:
                    runner.run(graph.aclose())
            grants = self._collect_grants(units, calls, credential)
        finally:
            close_credential(credential)
        objects = TenantObjects(
            tenant_id=scope.id,
            now=datetime.now(UTC),
            grants=grants,
            subscriptions=tuple(self.settings.subscriptions),
            microsoft_tenants=frozenset(self.settings.microsoft_tenant_ids),
            **fetched,
        )
        return build_identities(objects, units)

    def _collect_grants(self, units: Units, calls: CallCounter, credential: TokenCredential) -> dict[str, list[Grant]]:
        """Role assignments per subscription (one unit each), merged by principal object id."""
        grants: dict[str, list[Grant]] = {}
        for subscription in self.settings.subscriptions:
            client = open_authorization(
                self.settings.arm_endpoint, subscription, credential, calls, self.settings.max_retries
            )
            with client:
                listing = units.fetch(unit_name(subscription), partial(fetch_role_assignments, client, subscription))
            if listing is None:
                continue
            for principal, held in read_grants(units, subscription, listing).items():
                grants.setdefault(principal, []).extend(held)
        return grants

    @classmethod
    def demo_estate(cls) -> AbstractContextManager[dict[str, Any]]:
        from partner_nhi.connectors.azure.demo import demo_estate

        return demo_estate()


class _GraphUnits:
    """The Graph units of one tenant, each an async fetch run to completion in this
    thread's event loop (msgraph is async; the engine's ``Units`` is not)."""

    def __init__(self, units: Units, runner: asyncio.Runner, graph: GraphSession) -> None:
        self._units = units
        self._runner = runner
        self._graph = graph

    def _fetch(self, unit: str, fetch: Callable[[GraphSession], Coroutine[Any, Any, T]]) -> T | None:
        return self._units.fetch(unit, lambda: self._runner.run(fetch(self._graph)))

    def fetch_all(self) -> dict[str, Any]:
        apps = self._fetch(applications.UNIT, applications.fetch_applications)
        sps = self._fetch(service_principals.UNIT, service_principals.fetch_service_principals)
        return {
            "applications": apps,
            "service_principals": sps,
            "federated": self._federated(apps) if apps is not None else {},
            "activity": sign_ins.Activity(
                by_app=self._report(
                    sign_ins.UNIT_SIGN_INS, sign_ins.SP_REPORT, sign_ins.APP_REPORT_NAME, sign_ins.app_use
                ),
                by_key=self._report(
                    sign_ins.UNIT_CREDENTIAL_SIGN_INS,
                    sign_ins.CREDENTIAL_REPORT,
                    sign_ins.KEY_REPORT_NAME,
                    sign_ins.key_use,
                ),
            ),
        }

    def _federated(self, apps: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
        by_chunk = self._units.fetch_each(
            federated.UNIT,
            federated.chunks([str(app["id"]) for app in apps]),
            lambda chunk: self._runner.run(federated.fetch_federated(self._graph, chunk)),
        )
        return {app_id: rows for found in by_chunk.values() for app_id, rows in found.items()}

    def _report(
        self, unit: str, path: str, name: str, parse: Callable[[dict[str, Any]], tuple[str, LastUse]]
    ) -> sign_ins.Report | None:
        rows = self._fetch(unit, lambda graph: sign_ins.fetch_report(graph, path))
        if rows is None:
            self._units.note(unit, "last use is unknown for this tenant: the report could not be read")
            return None
        return sign_ins.read_report(self._units, unit, name, rows, parse)
