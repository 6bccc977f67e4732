"""Many small Graph reads at once: ``$batch`` of at most 20 GETs.

Each sub-request is throttled on its own: a batch answered 200 may carry a 429 (or a
503/504) for one item, with that item's own ``Retry-After``. Only those items are sent
again, after the longest ``Retry-After`` they asked for (bounded); the others are kept.
An item still throttled after the attempts raises its own error (classified throttled,
so the engine retries the chunk); any other failed item raises too, so a listing is never
silently empty. A sub-response that pages (``@odata.nextLink``) is followed with GETs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import structlog
from msgraph.generated.models.o_data_errors.main_error import MainError
from msgraph.generated.models.o_data_errors.o_data_error import ODataError

from partner_nhi.connectors.microsoft.graph import GraphSession

JSON = dict[str, Any]
K = TypeVar("K")

BATCH_LIMIT = 20  # Graph's maximum of requests in one $batch
RETRYABLE_STATUSES = frozenset({429, 503, 504})
ATTEMPTS = 4  # sends of one throttled item, the first included
MAX_WAIT = 60.0  # seconds: a longer Retry-After is left to the engine's retry
DEFAULT_WAIT = 2.0  # seconds, when a throttled item names no (readable) Retry-After

log = structlog.get_logger(__name__)


def chunks(keys: Sequence[K], size: int = BATCH_LIMIT) -> list[tuple[K, ...]]:
    return [tuple(keys[i : i + size]) for i in range(0, len(keys), size)]


def retry_after(response: Mapping[str, Any], now: datetime | None = None) -> float:
    """Seconds a sub-response asks to wait: ``Retry-After`` as seconds or as an HTTP date."""
    headers = {str(k).lower(): str(v) for k, v in (response.get("headers") or {}).items()}
    value = headers.get("retry-after", "").strip()
    if not value:
        return DEFAULT_WAIT
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        at = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return DEFAULT_WAIT
    return max(0.0, (at - (now or datetime.now(UTC))).total_seconds())


def sub_response_error(response: Mapping[str, Any], url: str) -> ODataError:
    """The SDK's error for one failed item, so the connector's classifier reads it as any other."""
    status = int(response.get("status", 0))
    error = (response.get("body") or {}).get("error") or {}
    headers = {str(k).lower(): str(v) for k, v in (response.get("headers") or {}).items()}
    exc = ODataError(
        message=f"{error.get('message') or f'$batch item answered {status}'} ({url})",
        response_status_code=status,
        response_headers=headers,
    )
    exc.error = MainError(code=error.get("code"), message=error.get("message"))
    return exc


async def batch_bodies(graph: GraphSession, urls: Mapping[str, str]) -> dict[str, JSON]:
    """The body of each GET (relative to the version root), by key; at most 20 keys."""
    if len(urls) > BATCH_LIMIT:
        raise ValueError(f"a Graph $batch holds at most {BATCH_LIMIT} requests, not {len(urls)}")
    keys = dict(enumerate(urls))  # sub-request ids are short strings whatever the keys
    pending = {str(n): urls[key] for n, key in keys.items()}
    bodies: dict[str, JSON] = {}
    for attempt in range(1, ATTEMPTS + 1):
        responses = await graph.batch_get(pending)
        throttled: dict[str, str] = {}
        waits: list[float] = []
        for item, url in pending.items():
            response = responses.get(item)
            if response is None:
                raise ValueError(f"the $batch answer lacks the response to {url}")
            status = int(response.get("status", 0))
            if 200 <= status < 300:
                bodies[keys[int(item)]] = response.get("body") or {}
            elif status in RETRYABLE_STATUSES and attempt < ATTEMPTS:
                throttled[item] = url
                waits.append(retry_after(response))
            else:
                raise sub_response_error(response, url)
        if not throttled:
            return bodies
        wait = min(max(waits), MAX_WAIT)
        log.info("graph.batch_items_throttled", items=len(throttled), attempt=attempt, wait=wait)
        await asyncio.sleep(wait)
        pending = throttled
    raise AssertionError("unreachable: the last attempt returns or raises")  # pragma: no cover


async def all_pages(graph: GraphSession, body: JSON) -> list[JSON]:
    """Every item of a listing whose first page is ``body``."""
    items = list(body.get("value", []))
    link = body.get("@odata.nextLink")
    while link:
        page = await graph.get_json(link)
        items.extend(page.get("value", []))
        link = page.get("@odata.nextLink")
    return items


async def batch_listings(graph: GraphSession, urls: Mapping[str, str]) -> dict[str, list[JSON]]:
    """Every item of each listing (all its pages), by key; at most 20 keys."""
    bodies = await batch_bodies(graph, urls)
    return {key: await all_pages(graph, body) for key, body in bodies.items()}
