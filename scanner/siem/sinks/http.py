"""What the HTTP sinks share: one httpx client per sink (TLS verified, a CA bundle of the
sink's own if configured, redirects never followed: a batch goes only where configured),
and one reading of the answer.

- 2xx: the sink decides whether the body says yes;
- 408, 409, 425, 429, 5xx, and any transport error (refused, reset, timeout, a connection
  closed mid-request): :class:`DeliveryFailed`, with Retry-After when given;
- a redirect or any other 4xx: :class:`SinkRejected` (a URL, token or payload to fix).
"""

from __future__ import annotations

import ssl
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from partner_nhi.siem.config import HttpSinkSettings
from partner_nhi.siem.sinks.base import DeliveryFailed, SinkRejected

RETRIED = frozenset({408, 409, 425, 429})


def client(settings: HttpSinkSettings) -> httpx.Client:
    verify: ssl.SSLContext | bool = True
    if settings.ca_file is not None:
        verify = ssl.create_default_context(cafile=str(settings.ca_file))
    return httpx.Client(timeout=settings.timeout, verify=verify, follow_redirects=False)


def post(http: httpx.Client, url: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    """POST and classify the answer; returns only a 2xx."""
    try:
        response = http.post(url, content=body, headers=headers)
    except httpx.TimeoutException as exc:
        raise DeliveryFailed(f"no answer in time ({type(exc).__name__})") from None
    except httpx.TransportError as exc:
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from None
    if response.is_success:
        return response
    summary = f"HTTP {response.status_code}: {_excerpt(response)}"
    if response.status_code in RETRIED or response.status_code >= 500:
        raise DeliveryFailed(summary, retry_after(response))
    if response.is_redirect:
        raise SinkRejected(f"redirected to {response.headers.get('location', '?')}: configure the final URL")
    raise SinkRejected(summary)


def retry_after(response: httpx.Response) -> float | None:
    """Retry-After in seconds: a number of seconds or an HTTP date (RFC 9110 §10.2.3)."""
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _excerpt(response: httpx.Response) -> str:
    text = " ".join(response.text.split())
    return text[:300] or response.reason_phrase
