"""Map Google API errors to partner-nhi's error taxonomy.

Google signals much through ``google.rpc.ErrorInfo.reason`` (or, in older JSON
bodies, ``error.errors[].reason``), not the status code: a 403 may be a quota
(throttled: retry) or a disabled API (the unit is skipped, never an empty
success), and only otherwise a missing permission.
"""

from __future__ import annotations

from typing import Any

import httpx
from google.api_core import exceptions as api
from google.auth import exceptions as auth

from partner_nhi.contract import ErrorKind, MalformedRecord

QUOTA_REASONS = frozenset(
    {
        "RATE_LIMIT_EXCEEDED",
        "RESOURCE_EXHAUSTED",
        "rateLimitExceeded",
        "userRateLimitExceeded",
        "quotaExceeded",
        "dailyLimitExceeded",
    }
)
DISABLED_REASONS = frozenset({"SERVICE_DISABLED", "accessNotConfigured"})

_TRANSIENT = (
    api.ServiceUnavailable,
    api.InternalServerError,
    api.BadGateway,
    api.GatewayTimeout,  # DeadlineExceeded is a subclass
    api.Aborted,
)
_INVALID = (api.BadRequest, api.MethodNotImplemented)  # InvalidArgument, FailedPrecondition...


def api_error(response: httpx.Response) -> api.GoogleAPICallError:
    """An httpx error response as the api-core exception the SDK clients raise."""
    response.read()
    try:
        payload: Any = response.json()
    except ValueError:
        location = response.headers.get("location")
        unfollowed = f"redirected to {location} (redirects are not followed)" if location else None
        payload = {"error": {"message": response.text or unfollowed or "unknown error"}}
    request = response.request
    error: api.GoogleAPICallError = api.format_http_response_error(response, request.method, str(request.url), payload)
    return error


def reasons(error: api.GoogleAPICallError) -> set[str]:
    """Every machine-readable reason an error carries (ErrorInfo and legacy ``errors``)."""
    found = {error.reason} if error.reason else set()
    for item in error.errors or ():
        if isinstance(item, dict) and item.get("reason"):
            found.add(str(item["reason"]))
    return found


class DiscoveryFailed(Exception):
    """The projects under ``parent`` could not be listed in this run; raised in each
    project's unit of that listing. The listing is not made again, so even a throttled
    cause is not retried here."""

    def __init__(self, parent: str, cause: Exception) -> None:
        super().__init__(f"the projects under {parent} could not be listed: {type(cause).__name__}: {cause}")
        self.cause = cause


def classify(error: BaseException) -> ErrorKind:
    """The taxonomy kind of an exception raised by the IAM, resource manager or
    Policy Analyzer clients (or by their transports and credentials)."""
    if isinstance(error, DiscoveryFailed):
        kind = classify(error.cause)
        return ErrorKind.UNKNOWN if kind.retryable else kind
    if isinstance(error, api.RetryError) and error.cause is not None:
        return classify(error.cause)
    if isinstance(error, httpx.HTTPStatusError):
        return classify(api_error(error.response))
    if isinstance(error, api.GoogleAPICallError):
        return _classify_api(error)
    if isinstance(error, httpx.TransportError | auth.TransportError):
        return ErrorKind.TRANSIENT
    if isinstance(error, auth.GoogleAuthError):
        return ErrorKind.AUTH
    if isinstance(error, MalformedRecord | ValueError | KeyError | TypeError):
        return ErrorKind.INVALID  # a malformed payload
    return ErrorKind.UNKNOWN


def _classify_api(error: api.GoogleAPICallError) -> ErrorKind:
    found = reasons(error)
    if found & DISABLED_REASONS:
        return ErrorKind.API_DISABLED
    if found & QUOTA_REASONS or isinstance(error, api.TooManyRequests):
        return ErrorKind.THROTTLED
    if isinstance(error, _TRANSIENT):
        return ErrorKind.TRANSIENT
    if isinstance(error, api.Unauthorized):
        return ErrorKind.AUTH
    if isinstance(error, api.Forbidden):
        return ErrorKind.FORBIDDEN
    if isinstance(error, api.NotFound):
        return ErrorKind.NOT_FOUND
    if isinstance(error, _INVALID):
        return ErrorKind.INVALID
    return ErrorKind.UNKNOWN


def is_retryable(error: BaseException) -> bool:
    """The one retry predicate: api-core ``Retry`` and the Policy Analyzer transport."""
    return classify(error).retryable
