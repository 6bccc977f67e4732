"""App registrations: one listing with owners expanded, $select'ed, paged.

``$expand`` caps Graph's page at 100 objects (and returns at most 20 owners per
object), so the page size asked is 100: about one call per 100 applications.
"""

from __future__ import annotations

from typing import Any

from msgraph.generated.applications.applications_request_builder import ApplicationsRequestBuilder

from partner_nhi.connectors.microsoft.graph import GraphSession
from partner_nhi.connectors.microsoft.paging import list_with_owners

UNIT = "applications"
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


async def fetch_applications(graph: GraphSession) -> list[dict[str, Any]]:
    query = ApplicationsRequestBuilder.ApplicationsRequestBuilderGetQueryParameters
    return await list_with_owners(graph, graph.client.applications, query, FIELDS, UNIT)
