"""Service principals (enterprise apps, managed identities): one listing with
owners expanded, $select'ed, paged, about one call per 100 principals.

All are listed (the filter a connector needs, home tenant or managed identity
or holding a role, cannot be expressed in one ``$filter``); which of them
become identities is decided in :mod:`connectors.azure.identities`.
"""

from __future__ import annotations

from typing import Any

from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph.generated.service_principals.service_principals_request_builder import (
    ServicePrincipalsRequestBuilder,
)

from connectors.azure.applications import EXPANDED_PAGE, OWNERS
from connectors.microsoft.graph import GraphSession
from connectors.microsoft.paging import list_all

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
]


async def fetch_service_principals(graph: GraphSession) -> list[dict[str, Any]]:
    query = ServicePrincipalsRequestBuilder.ServicePrincipalsRequestBuilderGetQueryParameters(
        select=FIELDS, expand=[OWNERS], top=EXPANDED_PAGE
    )
    builder = graph.client.service_principals
    return await list_all(
        graph, lambda: builder.to_get_request_information(RequestConfiguration(query_parameters=query)), UNIT
    )
