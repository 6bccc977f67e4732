"""Service principals (enterprise apps, managed identities): one listing with
owners expanded, $select'ed, paged, about one call per 100 principals.

All are listed (the filter a connector needs, home tenant or managed identity
or holding a role, cannot be expressed in one ``$filter``); which of them
become identities is decided in :mod:`connectors.azure.identities`.
"""

from __future__ import annotations

from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph.generated.models.service_principal import ServicePrincipal
from msgraph.generated.models.service_principal_collection_response import (
    ServicePrincipalCollectionResponse,
)
from msgraph.generated.service_principals.service_principals_request_builder import (
    ServicePrincipalsRequestBuilder,
)

from connectors.azure.applications import EXPANDED_PAGE, OWNERS
from connectors.microsoft.graph import GraphSession
from connectors.microsoft.paging import Page, list_all

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


def _page(response: ServicePrincipalCollectionResponse | None) -> Page[ServicePrincipal]:
    if response is None:
        raise ValueError("Graph returned no body for a servicePrincipals page")
    return list(response.value or []), response.odata_next_link


async def fetch_service_principals(graph: GraphSession) -> list[ServicePrincipal]:
    builder = graph.client.service_principals
    query = ServicePrincipalsRequestBuilder.ServicePrincipalsRequestBuilderGetQueryParameters(
        select=FIELDS, expand=[OWNERS], top=EXPANDED_PAGE
    )

    async def first() -> Page[ServicePrincipal]:
        return _page(await builder.get(RequestConfiguration(query_parameters=query)))

    async def follow(link: str) -> Page[ServicePrincipal]:
        return _page(await builder.with_url(link).get())

    return await list_all(first, follow, UNIT)
