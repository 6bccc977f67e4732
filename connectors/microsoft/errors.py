"""Map Graph (kiota), ARM (azure-core), azure-identity and transport errors to
the one taxonomy. Called after the SDKs' own retries have given up.

Graph specifics: a 403 ``Authentication_RequestFromNonPremiumTenantOrB2CTenant``
means the tenant has no licence for sign-in reports: ``api-disabled`` (the unit
is skipped and last use stays unknown), not ``forbidden``. A 400
``Directory_ExpiredPageToken`` is handled by restarting the listing
(:func:`is_expired_page_token`); if it still escapes it is transient.
"""

from __future__ import annotations

import httpx
from azure.core.exceptions import (
    ClientAuthenticationError,
    DecodeError,
    HttpResponseError,
    ServiceRequestError,
    ServiceResponseError,
)
from kiota_abstractions.api_error import APIError

from partner_nhi.contract import ConfigError, ErrorKind

UNLICENSED_CODES = frozenset({"Authentication_RequestFromNonPremiumTenantOrB2CTenant"})
EXPIRED_PAGE_TOKEN = "Directory_ExpiredPageToken"  # noqa: S105 (an error code)
_NOT_FOUND_CODES = frozenset({"Request_ResourceNotFound", "SubscriptionNotFound", "NotFound"})


def graph_error_code(error: BaseException) -> str | None:
    """The ``error.code`` of a Graph error body, when there is one."""
    main = getattr(error, "error", None)
    code = getattr(main, "code", None)
    return code if isinstance(code, str) else None


def is_expired_page_token(error: BaseException) -> bool:
    return isinstance(error, APIError) and graph_error_code(error) == EXPIRED_PAGE_TOKEN


def classify(error: BaseException) -> ErrorKind:
    """The taxonomy kind of any error a Microsoft connector can raise."""
    if isinstance(error, ConfigError):
        return ErrorKind.INVALID
    if isinstance(error, APIError):
        return _by_status(error.response_status_code, graph_error_code(error))
    if isinstance(error, ClientAuthenticationError):  # ARM 401, azure-identity (unavailable too)
        return ErrorKind.AUTH
    if isinstance(error, DecodeError):
        return ErrorKind.INVALID
    if isinstance(error, HttpResponseError):
        code = error.error.code if error.error is not None else None
        return _by_status(error.status_code, code)
    if isinstance(error, ServiceRequestError | ServiceResponseError | httpx.TransportError):
        return ErrorKind.TRANSIENT
    if isinstance(error, TimeoutError | ConnectionError):
        return ErrorKind.TRANSIENT
    if isinstance(error, ValueError | KeyError | TypeError):
        return ErrorKind.INVALID
    return ErrorKind.UNKNOWN


def _by_status(status: int | None, code: str | None) -> ErrorKind:
    if code == EXPIRED_PAGE_TOKEN:
        return ErrorKind.TRANSIENT
    if code in UNLICENSED_CODES:
        return ErrorKind.API_DISABLED
    if status == 429:
        return ErrorKind.THROTTLED
    if status is not None and (status >= 500 or status == 408):
        return ErrorKind.TRANSIENT
    if status == 401:
        return ErrorKind.AUTH
    if status == 403:
        return ErrorKind.FORBIDDEN
    if status == 404 or code in _NOT_FOUND_CODES:
        return ErrorKind.NOT_FOUND
    if status == 400:
        return ErrorKind.INVALID
    return ErrorKind.UNKNOWN
