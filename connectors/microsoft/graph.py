"""The one Graph client factory (azure and m365 connectors).

msgraph-sdk over kiota, with:

- kiota's retry handler told to retry 500 and 502 as well as 429/503/504
  (it honours any ``Retry-After`` below its 180 s ceiling), six times by default;
- ``x-ms-throttle-priority: low``: a background scanner yields to interactive work;
- a counting middleware placed after the retry handler, so every attempt sent
  on the wire is counted once, whatever call site built the request;
- a transport that sends only to the configured endpoint's origin, below kiota's
  redirect handler: a foreign ``@odata.nextLink`` or redirect fails the listing
  and nothing is sent to that host (:mod:`connectors.same_origin`);
- JSON in, JSON out: requests are built by the SDK's request builders (or by
  hand for ``/beta/reports/...`` and ``$batch``, which the v1 SDK lacks) and sent
  through its adapter, auth and middleware, but bodies are parsed as plain JSON.
  kiota's model parsing costs about 10 ms per directory object
  (``Entity.get_field_deserializers``), minutes of CPU for a 50k-object tenant.

msgraph is async: build one :class:`GraphSession` per event loop and close it
in the same loop.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx
from azure.core.credentials import TokenCredential
from kiota_abstractions.method import Method
from kiota_abstractions.request_information import RequestInformation
from kiota_authentication_azure.azure_identity_authentication_provider import (
    AzureIdentityAuthenticationProvider,
)
from kiota_http.kiota_client_factory import KiotaClientFactory
from kiota_http.middleware import BaseMiddleware, RetryHandler
from kiota_http.middleware.options import RetryHandlerOption
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.graph_request_adapter import GraphRequestAdapter
from msgraph.graph_service_client import GraphServiceClient
from msgraph_core import GraphClientFactory

from partner_nhi.connectors.microsoft.calls import operation_name
from partner_nhi.connectors.same_origin import AsyncSameOriginTransport, environment_proxy
from partner_nhi.contract import CallCounter

RETRY_STATUS_CODES = {429, 500, 502, 503, 504}
BASE_DELAY = 0.5  # seconds kiota adds to each exponential backoff (not a cap)
TIMEOUT = httpx.Timeout(60.0, connect=15.0)
ERROR_MAP: dict[str, Any] = {"XXX": ODataError}


class _GraphRetryHandler(RetryHandler):
    """kiota's retry handler, also retrying Graph's transient 500 and 502."""

    def __init__(self, options: RetryHandlerOption) -> None:
        super().__init__(options)
        self.retry_on_status_codes = set(RETRY_STATUS_CODES)


class _CountingHandler(BaseMiddleware):
    """Counts each request actually sent, retries included."""

    def __init__(self, calls: CallCounter) -> None:
        super().__init__()
        self._calls = calls

    async def send(self, request: httpx.Request, transport: httpx.AsyncBaseTransport) -> httpx.Response:
        self._calls.add(operation_name(request.method, str(request.url)))
        return await super().send(request, transport)


@dataclass
class GraphSession:
    """A Graph client bound to one event loop, sending requests and returning JSON."""

    client: GraphServiceClient
    adapter: GraphRequestAdapter
    http: httpx.AsyncClient
    transport: AsyncSameOriginTransport  # kiota's wrapper does not close it
    endpoint: str  # e.g. https://graph.microsoft.com (no version)

    async def get_json(self, url: str) -> dict[str, Any]:
        """GET an absolute URL or a path below the endpoint (``/beta/reports/...``)."""
        info = RequestInformation(Method.GET)
        info.url = url if "://" in url else f"{self.endpoint}{url}"
        info.headers.try_add("Accept", "application/json")
        return await self.send(info)

    async def batch_get(self, urls: dict[str, str]) -> dict[str, dict[str, Any]]:
        """Send up to 20 GETs (relative to the version root) as one ``$batch``.

        Returns each sub-response (``status``, ``headers``, ``body``) by its id.
        """
        if len(urls) > 20:
            raise ValueError("a Graph $batch holds at most 20 requests")
        body = {"requests": [{"id": i, "method": "GET", "url": u} for i, u in urls.items()]}
        info = RequestInformation(Method.POST)
        info.url = f"{self.adapter.base_url}/$batch"
        info.headers.try_add("Accept", "application/json")
        info.set_stream_content(json.dumps(body).encode(), "application/json")
        payload = await self.send(info)
        return {str(r["id"]): r for r in payload.get("responses", [])}

    async def send(self, info: RequestInformation) -> dict[str, Any]:
        """Send a request built by an SDK request builder; the body as JSON."""
        raw = await self.adapter.send_primitive_async(info, "bytes", ERROR_MAP)
        if not raw:
            return {}
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise ValueError(f"Graph returned {type(data).__name__}, expected an object")
        return data

    async def aclose(self) -> None:
        await self.http.aclose()
        await self.transport.aclose()


def open_graph(endpoint: str, credential: TokenCredential, calls: CallCounter, max_retries: int = 6) -> GraphSession:
    """Build a Graph session for ``endpoint`` (``https://graph.microsoft.com`` or an emulator)."""
    endpoint = endpoint.rstrip("/")
    host = httpx.URL(endpoint).host
    auth = AzureIdentityAuthenticationProvider(credential, scopes=[f"{endpoint}/.default"], allowed_hosts=[host])
    options = RetryHandlerOption(delay=BASE_DELAY, max_retries=max_retries)
    middleware = [
        m if not isinstance(m, RetryHandler) else _GraphRetryHandler(options)
        for m in KiotaClientFactory.get_default_middleware(None)
    ]
    middleware.append(_CountingHandler(calls))
    transport = AsyncSameOriginTransport(httpx.AsyncHTTPTransport(proxy=environment_proxy(endpoint)), endpoint)
    http = httpx.AsyncClient(transport=transport, timeout=TIMEOUT, headers={"x-ms-throttle-priority": "low"})
    http = GraphClientFactory.create_with_custom_middleware(middleware, client=http)
    adapter = GraphRequestAdapter(auth, client=http)
    adapter.base_url = f"{endpoint}/v1.0"
    client = GraphServiceClient(request_adapter=adapter)
    return GraphSession(client, adapter, http, transport, endpoint)
