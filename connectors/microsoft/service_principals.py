"""Service principals (enterprise apps, managed identities): one listing with
owners expanded, $select'ed, paged, about one call per 100 principals.

All are listed (the filter a connector needs, home tenant or managed identity
or holding a role, cannot be expressed in one ``$filter``); which of them
become identities is decided by each connector (azure: its own workloads and managed
identities; m365: third-party apps). Shared by both.
"""

from __future__ import annotations

from typing import Any

from msgraph.generated.service_principals.service_principals_request_builder import (
    ServicePrincipalsRequestBuilder,
)

from partner_nhi.connectors.microsoft.graph import GraphSession
from partner_nhi.connectors.microsoft.paging import list_with_owners

UNIT = "service-principals"
FIELDS = [
    "id",
    "appId",
    "displayName",
    "appOwnerOrganizationId",
    "servicePrincipalType",
    "accountEnabled",
    "tags",
    "alternativeNames",
    "verifiedPublisher",
    "signInAudience",
    "passwordCredentials",
    "keyCredentials",
    "homepage",
    "replyUrls",
    "servicePrincipalNames",  # identifier URIs: on a verified domain of the publisher's tenant
]


async def fetch_service_principals(graph: GraphSession) -> list[dict[str, Any]]:
    query = ServicePrincipalsRequestBuilder.ServicePrincipalsRequestBuilderGetQueryParameters
    return await list_with_owners(graph, graph.client.service_principals, query, FIELDS, UNIT)
