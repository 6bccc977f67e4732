"""Read a whole Graph listing: follow ``@odata.nextLink``; restart on an expired token.

Graph answers a stale ``$skiptoken`` with 400 ``Directory_ExpiredPageToken``:
the only correct recovery is to list again from the first page (skipping the
rest would turn an error into a shorter list).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import structlog

from connectors.microsoft.errors import is_expired_page_token

T = TypeVar("T")
Page = tuple[list[T], str | None]  # the items of one page and the next link, if any

MAX_RESTARTS = 3

log = structlog.get_logger(__name__)


async def list_all(
    first: Callable[[], Awaitable[Page[T]]],
    follow: Callable[[str], Awaitable[Page[T]]],
    what: str,
) -> list[T]:
    """Every item of a listing; ``first`` fetches page one, ``follow`` a next link."""
    for attempt in range(MAX_RESTARTS + 1):
        items, link = await first()
        try:
            while link:
                more, link = await follow(link)
                items.extend(more)
        except Exception as exc:
            if not is_expired_page_token(exc) or attempt == MAX_RESTARTS:
                raise
            log.info("graph.listing_restarted", listing=what, attempt=attempt + 1)
            continue
        return items
    raise AssertionError("unreachable")  # pragma: no cover
