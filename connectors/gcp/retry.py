"""Retrying throttled and transient errors, in one place.

The SDK clients (IAM over gRPC, resource manager over REST) take an api-core
``Retry``; Policy Analyzer, called with plain httpx, goes through
:class:`RetryingTransport`, which also honours ``Retry-After``. Both decide with
:func:`connectors.gcp.errors.is_retryable`, so a quota-reason 403 is retried
everywhere and a disabled API nowhere. The engine retries a failed unit again
on top of this; that is deliberate (a throttling storm outlasts one call's deadline).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime

import httpx
from google.api_core.retry import Retry

from partner_nhi.connectors.gcp.errors import api_error, is_retryable
from partner_nhi.connectors.gcp.settings import RetrySettings


def api_retry(settings: RetrySettings) -> Retry:
    """The api-core retry every SDK call of this connector is made with."""
    return Retry(
        predicate=is_retryable,
        initial=settings.initial,
        maximum=settings.maximum,
        multiplier=2.0,
        timeout=settings.deadline,
    )


class RetryingTransport(httpx.BaseTransport):
    """Send through ``inner``, report each attempt to ``on_send`` (call counting),
    and retry retryable error responses with backoff or the server's Retry-After."""

    def __init__(
        self,
        inner: httpx.BaseTransport,
        settings: RetrySettings,
        on_send: Callable[[httpx.Request], None],
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._inner = inner
        self._settings = settings
        self._on_send = on_send
        self._sleep = sleep

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        started = time.monotonic()
        attempt = 1
        while True:
            self._on_send(request)
            response = self._inner.handle_request(request)
            wait = self._wait(response, request, attempt, time.monotonic() - started)
            if wait is None:
                return response
            response.close()
            self._sleep(wait)
            attempt += 1

    def _wait(self, response: httpx.Response, request: httpx.Request, attempt: int, elapsed: float) -> float | None:
        """Seconds to wait before the next attempt, or None to return ``response``."""
        if not response.is_error or attempt >= self._settings.attempts:
            return None
        response.read()
        response.request = request  # not attached yet at this layer; the error names the URL
        if not is_retryable(api_error(response)):
            return None
        backoff = self._settings.initial * 2 ** (attempt - 1) * random.uniform(0.5, 1.0)
        wait = min(retry_after(response) or backoff, self._settings.maximum)
        return None if elapsed + wait > self._settings.deadline else wait

    def close(self) -> None:
        self._inner.close()


def retry_after(response: httpx.Response) -> float | None:
    """Seconds the server asked us to wait: ``Retry-After`` as seconds or an HTTP date."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())
