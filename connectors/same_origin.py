"""Clients that send only to their configured endpoint, whatever URL they are handed.

A connector follows URLs it did not build: Graph's ``@odata.nextLink`` (listings and ``$batch``
items), ARM's ``nextLink`` (azure-core follows it inside the SDK), and redirects (kiota and
azure-core follow them in their pipelines). Any of them may name another host, and the
request would carry the bearer token (or, in emulator mode, leave the machine in plain text).
So the check sits at the last step before the socket, below every SDK pipeline, middleware
and redirect handler: the transport (httpx) or the adapter (requests, under azure-core and
google-auth). It reads the URL as that client serialised it and raises
:class:`~partner_nhi.endpoints.ForeignURL` for any other origin; nothing is sent. It holds for
real credentials and emulator mode alike.

A loopback endpoint is also reached directly, never through a proxy named in the environment:
a proxy cannot reach this machine's loopback, and would receive the token in plain text. Any
other endpoint goes through the proxy the environment names for it (``HTTPS_PROXY``,
``NO_PROXY``), as boto3, requests and gRPC do on their own: on a network whose only way out is
a proxy, a client that ignored it would fail every call. httpx ignores the environment once it
is handed a transport, so :func:`environment_proxy` gives that transport the proxy itself.
"""

from __future__ import annotations

import urllib.request
from typing import Any
from urllib.parse import urlsplit

import httpx
import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from partner_nhi.contract import check_same_origin, is_loopback, origin

# azure-core retries in its own pipeline and follows redirects in its RedirectPolicy; google's
# REST transports retry with api-core. urllib3 must do neither (as azure-core's own adapter).
_NO_URLLIB3_RETRIES = Retry(total=False, redirect=False, raise_on_status=False)


class SameOriginTransport(httpx.BaseTransport):
    """An httpx transport that sends only to ``endpoint``'s origin."""

    def __init__(self, inner: httpx.BaseTransport, endpoint: str) -> None:
        self._inner = inner
        self._origin = origin(endpoint)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        check_same_origin(str(request.url), self._origin)
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


class AsyncSameOriginTransport(httpx.AsyncBaseTransport):
    """An async httpx transport that sends only to ``endpoint``'s origin."""

    def __init__(self, inner: httpx.AsyncBaseTransport, endpoint: str) -> None:
        self._inner = inner
        self._origin = origin(endpoint)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        check_same_origin(str(request.url), self._origin)
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


class SameOriginAdapter(HTTPAdapter):
    """A requests adapter that sends only to ``endpoint``'s origin."""

    def __init__(self, endpoint: str) -> None:
        super().__init__(max_retries=_NO_URLLIB3_RETRIES)
        self._origin = origin(endpoint)

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        check_same_origin(str(request.url), self._origin)
        return super().send(request, *args, **kwargs)


def confine(session: requests.Session, endpoint: str) -> requests.Session:
    """Make ``session`` send only to ``endpoint``'s origin, directly when it is loopback."""
    adapter = SameOriginAdapter(endpoint)
    for prefix in ("http://", "https://"):
        session.mount(prefix, adapter)
    if is_loopback(endpoint):
        session.trust_env = False  # no proxy from the environment
    return session


def environment_proxy(url: str) -> str | None:
    """The proxy the environment names for ``url``, as requests and gRPC read it; none for loopback."""
    parts = urlsplit(url)
    if is_loopback(url) or urllib.request.proxy_bypass(parts.hostname or ""):
        return None
    return urllib.request.getproxies().get(parts.scheme)
