"""Federated identity credentials: Graph serves them only on
``/applications/{id}/federatedIdentityCredentials`` (no ``$expand``), so they are read
20 applications at a time through ``$batch``: one call per 20 apps. A throttled item is
sent again after its own ``Retry-After`` (see :mod:`connectors.microsoft.batch`); an
item that failed fails its chunk, so an application's credentials are never silently empty.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from partner_nhi.connectors.microsoft.batch import batch_listings
from partner_nhi.connectors.microsoft.graph import GraphSession

UNIT = "federated-credentials"
FIELDS = "id,name,issuer,subject,audiences"


async def fetch_federated(graph: GraphSession, application_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """Federated credentials (raw JSON rows) of up to 20 applications, by object id."""
    urls = {
        app_id: f"/applications/{app_id}/federatedIdentityCredentials?$select={FIELDS}" for app_id in application_ids
    }
    return await batch_listings(graph, urls)
