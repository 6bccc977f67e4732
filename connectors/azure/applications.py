"""App registrations: one listing with owners expanded, $select'ed, paged.

``$expand`` caps Graph's page at 100 objects (and returns at most 20 owners per
object), so the page size asked is 100: about one call per 100 applications.
"""

from __future__ import annotations

from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph.generated.applications.applications_request_builder import ApplicationsRequestBuilder
from msgraph.generated.models.application import Application
from msgraph.generated.models.application_collection_response import (
    ApplicationCollectionResponse,
)

from connectors.microsoft.graph import GraphSession
from connectors.microsoft.paging import Page, list_all

UNIT = "applications"
EXPANDED_PAGE = 100
OWNERS = "owners($select=id,mail,userPrincipalName)"
FIELDS = [
    "id",
    "appId",
    "displayName",
    "createdDateTime",
    "publisherDomain",
    "signInAudience",
    "tags",
    "passwordCredentials",  # keyId, hint, dates; Graph never returns secretText on read
    "keyCredentials",
]


def _page(response: ApplicationCollectionResponse | None) -> Page[Application]:
    if response is None:
        raise ValueError("Graph returned no body for an applications page")
    return list(response.value or []), response.odata_next_link


async def fetch_applications(graph: GraphSession) -> list[Application]:
    builder = graph.client.applications
    query = ApplicationsRequestBuilder.ApplicationsRequestBuilderGetQueryParameters(
        select=FIELDS, expand=[OWNERS], top=EXPANDED_PAGE
    )

    async def first() -> Page[Application]:
        return _page(await builder.get(RequestConfiguration(query_parameters=query)))

    async def follow(link: str) -> Page[Application]:
        return _page(await builder.with_url(link).get())

    return await list_all(first, follow, UNIT)
