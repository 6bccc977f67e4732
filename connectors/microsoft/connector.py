"""What the azure and m365 connectors share as connectors: one configured tenant (one scope),
a role-assignment unit per configured subscription, the sign-in reports as enrichment, the
emulator token refused for a real endpoint before any scan, and one error classifier."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from partner_nhi.connectors.microsoft import sign_ins
from partner_nhi.connectors.microsoft.auth import static_token
from partner_nhi.connectors.microsoft.errors import classify
from partner_nhi.connectors.microsoft.role_assignments import unit_name
from partner_nhi.connectors.microsoft.settings import MicrosoftSettings
from partner_nhi.contract import Connector, ErrorKind, Scope


class MicrosoftConnector(Connector):
    # the beta sign-in reports only add last use: unlicensed, they leave it unknown
    enrichment_units = frozenset({sign_ins.UNIT_SIGN_INS, sign_ins.UNIT_CREDENTIAL_SIGN_INS})
    settings: MicrosoftSettings

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        static_token(self.endpoints())  # refuse an emulator token for a real endpoint now

    def endpoints(self) -> list[str]:
        """Where its requests go: Graph, and ARM when it reads subscriptions."""
        return [self.settings.graph_endpoint, *([self.settings.arm_endpoint] if self.settings.subscriptions else [])]

    def unit_names(self, scope: Scope) -> Sequence[str]:
        return [*self.resource_types, *(unit_name(s) for s in self.settings.subscriptions)]

    def scopes(self) -> list[Scope]:
        tenant = self.settings.tenant_id
        return [Scope(self.name, tenant, tenant)]

    def classify(self, error: BaseException) -> ErrorKind:
        return classify(error)


def same_tenant(first: Connector, second: Connector) -> bool:
    """Two Microsoft connectors reading one tenant (tenant ids compare without case)."""
    ours, theirs = getattr(first, "settings", None), getattr(second, "settings", None)
    tenant = getattr(ours, "tenant_id", None)
    return isinstance(tenant, str) and tenant.lower() == str(getattr(theirs, "tenant_id", "")).lower()
