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
from collections.abc import Callable, Coroutine
from contextlib import AbstractContextManager
from datetime import datetime, timezone
from typing import Any, ClassVar, TypeVar

from connectors.azure import applications, federated, service_principals, sign_ins
from connectors.azure.identities import TenantObjects, build_identities
from connectors.azure.role_assignments import Grant, fetch_grants, unit_name
from connectors.azure.settings import AzureSettings
from connectors.microsoft.arm import open_authorization
from connectors.microsoft.auth import credential_for, static_token
from connectors.microsoft.errors import classify
from connectors.microsoft.graph import GraphSession, open_graph
from scanner.connector import CallCounter, Connector, ErrorKind, Scope, Units
from scanner.records import Identity

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
    )  # plus role-assignments/<subscription id> per configured subscription
    settings: AzureSettings

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        static_token(self._endpoints())  # refuse an emulator token for a real endpoint now

    def _endpoints(self) -> tuple[str, str]:
        return self.settings.graph_endpoint, self.settings.arm_endpoint

    def scopes(self) -> list[Scope]:
        tenant = self.settings.tenant_id
        return [Scope(self.name, tenant, tenant, {"subscriptions": list(self.settings.subscriptions)})]

    def classify(self, error: BaseException) -> ErrorKind:
        return classify(error)

    def collect(self, scope: Scope, units: Units, calls: CallCounter) -> list[Identity]:
        credential = credential_for(self._endpoints())
        graph_part = self._collect_graph(scope, units, calls, credential)
        grants = self._collect_grants(units, calls, credential)
        objects = TenantObjects(
            tenant_id=scope.id,
            now=datetime.now(timezone.utc),
            grants=grants,
            microsoft_tenants=frozenset(self.settings.microsoft_tenant_ids),
            **graph_part,
        )
        return build_identities(objects)

    def _collect_graph(
        self, scope: Scope, units: Units, calls: CallCounter, credential: Any
    ) -> dict[str, Any]:
        """The Graph units, in one event loop of this thread with one client."""
        with asyncio.Runner() as runner:
            graph = open_graph(self.settings.graph_endpoint, credential, calls)

            def run(make: Callable[[], Coroutine[Any, Any, T]]) -> Callable[[], T]:
                return lambda: runner.run(make())

            try:
                apps = units.fetch(applications.UNIT, run(lambda: applications.fetch_applications(graph)))
                sps = units.fetch(
                    service_principals.UNIT, run(lambda: service_principals.fetch_service_principals(graph))
                )
                fics: dict[str, list[dict[str, Any]]] = {}
                if apps is not None:
                    by_chunk = units.fetch_each(
                        federated.UNIT,
                        federated.chunks([str(a.id) for a in apps]),
                        lambda chunk: runner.run(federated.fetch_federated(graph, chunk)),
                    )
                    for chunk_result in by_chunk.values():
                        fics.update(chunk_result)
                activity = sign_ins.Activity(
                    by_app=self._report(units, run, graph, sign_ins.UNIT_SIGN_INS, sign_ins.SP_REPORT, sign_ins.app_uses),
                    by_key=self._report(
                        units, run, graph, sign_ins.UNIT_CREDENTIAL_SIGN_INS, sign_ins.CREDENTIAL_REPORT,
                        sign_ins.key_uses,
                    ),
                )
            finally:
                runner.run(graph.aclose())
        return {"applications": apps, "service_principals": sps, "federated": fics, "activity": activity}

    @staticmethod
    def _report(
        units: Units,
        run: Callable[[Callable[[], Coroutine[Any, Any, Any]]], Callable[[], Any]],
        graph: Any,
        unit: str,
        path: str,
        index: Callable[[list[dict[str, Any]]], dict[str, Any]],
    ) -> dict[str, Any] | None:
        rows = units.fetch(unit, run(lambda: sign_ins.fetch_report(graph, path)))
        if rows is None:
            units.note(unit, "last use is unknown for this tenant: the report could not be read")
            return None
        return index(rows)

    def _collect_grants(self, units: Units, calls: CallCounter, credential: Any) -> dict[str, list[Grant]]:
        """Role assignments per subscription, merged by principal object id."""
        grants: dict[str, list[Grant]] = {}
        for subscription in self.settings.subscriptions:
            with open_authorization(self.settings.arm_endpoint, subscription, credential, calls) as client:
                found = units.fetch(unit_name(subscription), lambda c=client, s=subscription: fetch_grants(c, s))
            for principal, held in (found or {}).items():
                grants.setdefault(principal, []).extend(held)
        return grants

    @classmethod
    def demo_estate(cls) -> AbstractContextManager[dict[str, Any]]:
        from connectors.azure.demo import demo_estate

        return demo_estate()
