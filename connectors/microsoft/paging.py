"""Read a whole Graph listing: follow ``@odata.nextLink``; restart on an expired token.

Graph answers a stale ``$skiptoken`` with 400 ``Directory_ExpiredPageToken``:
the only correct recovery is to list again from the first page (skipping the
rest would turn an error into a shorter list).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import structlog
from kiota_abstractions.base_request_configuration import RequestConfiguration
from kiota_abstractions.request_information import RequestInformation

from partner_nhi.connectors.microsoft import owners
from partner_nhi.connectors.microsoft.errors import is_expired_page_token
from partner_nhi.connectors.microsoft.graph import GraphSession

MAX_RESTARTS = 3

log = structlog.get_logger(__name__)


async def list_all(
    graph: GraphSession, first: Callable[[], RequestInformation | str], what: str
) -> list[dict[str, Any]]:
    """Every item of a listing; ``first`` builds page one (a request or a path)."""
    for attempt in range(MAX_RESTARTS + 1):
        request = first()
        body = await (graph.get_json(request) if isinstance(request, str) else graph.send(request))
        items = list(body.get("value", []))
        link = body.get("@odata.nextLink")
        try:
            while link:
                body = await graph.get_json(link)
                items.extend(body.get("value", []))
                link = body.get("@odata.nextLink")
        except Exception as exc:
            if not is_expired_page_token(exc) or attempt == MAX_RESTARTS:
                raise
            log.info("graph.listing_restarted", listing=what, attempt=attempt + 1)
            continue
        return items
    raise AssertionError("unreachable")  # pragma: no cover


# $expand caps Graph's page at 100 objects (and returns at most 20 owners per object: see owners).
EXPANDED_PAGE = 100


async def list_with_owners(
    graph: GraphSession, builder: Any, query_parameters: type[Any], fields: list[str], what: str
) -> list[dict[str, Any]]:
    """A directory listing (applications, service principals) with $select and owners expanded."""
    query = query_parameters(select=fields, expand=[owners.EXPAND], top=EXPANDED_PAGE)
    return await list_all(
        graph, lambda: builder.to_get_request_information(RequestConfiguration(query_parameters=query)), what
    )
