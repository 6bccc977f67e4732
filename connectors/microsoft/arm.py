"""The one ARM client factory: azure-mgmt-authorization with azure-core retries.

azure-core's ``RetryPolicy`` already retries 408/429/5xx and honours
``Retry-After`` / ``retry-after-ms``; it is given more attempts than its
default 3 because an ARM 429 storm outlasts that. A per-retry policy counts
every attempt. Against a loopback emulator over plain http the bearer policy
(which refuses non-TLS URLs) is replaced by one that sets the static token.

azure-core follows ARM's ``nextLink`` and redirects itself, so the client is given a
requests session that sends only to the configured endpoint's origin
(:mod:`connectors.same_origin`): a foreign link fails the subscription's unit before
anything, token included, is sent to that host.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import requests
from azure.core.credentials import TokenCredential
from azure.core.pipeline import PipelineRequest
from azure.core.pipeline.policies import SansIOHTTPPolicy
from azure.core.pipeline.transport import RequestsTransport
from azure.core.rest import HttpRequest, HttpResponse
from azure.mgmt.authorization import AuthorizationManagementClient

from partner_nhi.connectors.microsoft.auth import StaticTokenCredential
from partner_nhi.connectors.microsoft.calls import operation_name
from partner_nhi.connectors.microsoft.role_assignments import Grant, fetch_role_assignments, read_grants, unit_name
from partner_nhi.connectors.microsoft.settings import MicrosoftSettings
from partner_nhi.connectors.same_origin import confine
from partner_nhi.contract import CallCounter, Units, is_loopback

RETRY_BACKOFF_FACTOR = 0.8
RETRY_BACKOFF_MAX = 60
TIMEOUT = 60


class _CountingPolicy(SansIOHTTPPolicy[HttpRequest, HttpResponse]):
    """Counts each request actually sent, retries included."""

    def __init__(self, calls: CallCounter) -> None:
        self._calls = calls

    def on_request(self, request: PipelineRequest[HttpRequest]) -> None:
        http = request.http_request
        self._calls.add(operation_name(http.method, http.url))


class _StaticBearerPolicy(SansIOHTTPPolicy[HttpRequest, HttpResponse]):
    """Sets the emulator's static token (loopback only; see ``auth``)."""

    def __init__(self, credential: StaticTokenCredential) -> None:
        self._credential = credential

    def on_request(self, request: PipelineRequest[HttpRequest]) -> None:
        token = self._credential.get_token().token
        request.http_request.headers["Authorization"] = f"Bearer {token}"


def open_authorization(
    endpoint: str,
    subscription_id: str,
    credential: TokenCredential,
    calls: CallCounter,
    max_retries: int = 6,
) -> AuthorizationManagementClient:
    """An authorization client for one subscription at ``endpoint``."""
    endpoint = endpoint.rstrip("/")
    options: dict[str, Any] = {
        "base_url": endpoint,
        "credential_scopes": [f"{endpoint}/.default"],
        "per_retry_policies": [_CountingPolicy(calls)],
        "retry_total": max_retries,
        "retry_backoff_factor": RETRY_BACKOFF_FACTOR,
        "retry_backoff_max": RETRY_BACKOFF_MAX,
        "transport": RequestsTransport(
            session=confine(requests.Session(), endpoint), connection_timeout=TIMEOUT, read_timeout=TIMEOUT
        ),
    }
    if isinstance(credential, StaticTokenCredential) and is_loopback(endpoint):
        options["authentication_policy"] = _StaticBearerPolicy(credential)
    return AuthorizationManagementClient(credential, subscription_id, **options)


def read_role_grants(
    units: Units, settings: MicrosoftSettings, credential: TokenCredential, calls: CallCounter
) -> dict[str, list[Grant]]:
    """Role assignments of every configured subscription (one unit each), merged by principal object id."""
    grants: dict[str, list[Grant]] = {}
    for subscription in settings.subscriptions:
        client = open_authorization(settings.arm_endpoint, subscription, credential, calls, settings.max_retries)
        with client:
            listing = units.fetch(unit_name(subscription), partial(fetch_role_assignments, client, subscription))
        if listing is None:
            continue
        for principal, held in read_grants(units, subscription, listing).items():
            grants.setdefault(principal, []).extend(held)
    return grants
