"""A Graph and an ARM emulator on 127.0.0.1 over one seeded :class:`Tenant`.

Shared by the azure and m365 connectors' tests and by ``partner-nhi demo``. Two
servers, because Graph and ARM are two endpoints in the configuration; both
require the same static bearer token (see :mod:`connectors.microsoft.auth`).
Faults (429 with Retry-After, 5xx, error bodies) are injected with
``emulator.graph.fail(...)`` / ``emulator.arm.fail(...)``; a Graph answer can be
held (``emulator.graph_api.hold(path)``: computed when the request arrives, sent
when released), so a slow run's listing is older than a later run's; every
request is in ``.requests`` of each server.
"""

from __future__ import annotations

from partner_nhi.connectors.loopback import LoopbackServer
from partner_nhi.connectors.microsoft.emulator.arm import ArmApi, arm_error
from partner_nhi.connectors.microsoft.emulator.graph import BATCH_ITEM_HEADER, GraphApi, graph_error, throttled
from partner_nhi.connectors.microsoft.emulator.tenant import Subscription, Tenant

__all__ = [
    "BATCH_ITEM_HEADER",
    "MicrosoftEmulator",
    "Subscription",
    "Tenant",
    "arm_error",
    "graph_error",
    "throttled",
]

DEFAULT_TOKEN = "partner-nhi-emulator-token"  # noqa: S105 (the loopback emulator's own)


class MicrosoftEmulator:
    """Start with ``with MicrosoftEmulator(tenant) as emulator:``."""

    def __init__(self, tenant: Tenant, token: str = DEFAULT_TOKEN) -> None:
        self.tenant = tenant
        self.token = token
        self.graph_api = GraphApi(tenant, token)
        self.arm_api = ArmApi(tenant, token)
        self.graph = LoopbackServer(self.graph_api.routes())
        self.arm = LoopbackServer(self.arm_api.routes())
        self.graph_api.dispatch = self.graph.dispatch

    @property
    def graph_endpoint(self) -> str:
        return self.graph.url

    @property
    def arm_endpoint(self) -> str:
        return self.arm.url

    def settings(self) -> dict[str, object]:
        """The ``connectors.azure`` section pointing at this emulator."""
        return {
            "tenant_id": self.tenant.id,
            "subscriptions": [s.id for s in self.tenant.subscriptions],
            "graph_endpoint": self.graph_endpoint,
            "arm_endpoint": self.arm_endpoint,
        }

    def start(self) -> MicrosoftEmulator:
        self.graph.start()
        self.arm.start()
        return self

    def stop(self) -> None:
        self.graph.stop()
        self.arm.stop()

    def __enter__(self) -> MicrosoftEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
