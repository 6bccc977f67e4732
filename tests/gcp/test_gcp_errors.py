"""The error taxonomy: status codes and, for 403s, the ErrorInfo reason decide."""

from __future__ import annotations

import httpx
import pytest
from google.api_core import exceptions as api
from google.auth import exceptions as auth

from partner_nhi.connector import ErrorKind
from partner_nhi.connectors.gcp import GcpConnector
from partner_nhi.connectors.gcp.emulator import faults
from partner_nhi.connectors.gcp.errors import api_error


def _http(fault: faults.Fault) -> httpx.HTTPStatusError:
    """A fault as an httpx error, the way Policy Analyzer's responses arrive."""
    rendered = fault.http_response()
    request = httpx.Request("GET", "http://127.0.0.1/v1/x")
    response = httpx.Response(rendered.status, json=rendered.body, request=request)
    return httpx.HTTPStatusError("error", request=request, response=response)


@pytest.mark.parametrize(
    ("fault", "kind"),
    [
        (faults.quota_exceeded("iam.googleapis.com"), ErrorKind.THROTTLED),
        (faults.quota_forbidden("iam.googleapis.com"), ErrorKind.THROTTLED),
        (faults.unavailable(), ErrorKind.TRANSIENT),
        (faults.permission_denied("iam.serviceAccounts.list"), ErrorKind.FORBIDDEN),
        (
            faults.service_disabled("policyanalyzer.googleapis.com", "Policy Analyzer API"),
            ErrorKind.API_DISABLED,
        ),
        (faults.not_found("gone"), ErrorKind.NOT_FOUND),
    ],
)
def test_http_errors(fault, kind):
    connector = GcpConnector({"projects": ["p"]})
    assert connector.classify(_http(fault)) is kind
    assert connector.classify(api_error(_http(fault).response)) is kind


def test_legacy_quota_reason_without_error_info():
    request = httpx.Request("GET", "http://127.0.0.1/")
    body = {
        "error": {
            "code": 403,
            "message": "Rate Limit Exceeded",
            "errors": [{"reason": "rateLimitExceeded"}],
        }
    }
    response = httpx.Response(403, json=body, request=request)
    assert GcpConnector({"projects": ["p"]}).classify(api_error(response)) is ErrorKind.THROTTLED


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (api.ResourceExhausted("quota"), ErrorKind.THROTTLED),
        (api.ServiceUnavailable("down"), ErrorKind.TRANSIENT),
        (api.InternalServerError("oops"), ErrorKind.TRANSIENT),
        (api.DeadlineExceeded("slow"), ErrorKind.TRANSIENT),
        (api.PermissionDenied("no"), ErrorKind.FORBIDDEN),
        (api.Unauthenticated("who"), ErrorKind.AUTH),
        (api.NotFound("gone"), ErrorKind.NOT_FOUND),
        (api.InvalidArgument("bad"), ErrorKind.INVALID),
        (api.RetryError("gave up", api.ServiceUnavailable("down")), ErrorKind.TRANSIENT),
        (auth.DefaultCredentialsError("no ADC"), ErrorKind.AUTH),
        (auth.RefreshError("expired"), ErrorKind.AUTH),
        (httpx.ConnectError("refused"), ErrorKind.TRANSIENT),
        (KeyError("email"), ErrorKind.INVALID),
        (RuntimeError("?"), ErrorKind.UNKNOWN),
    ],
)
def test_sdk_exceptions(error, kind):
    assert GcpConnector({"projects": ["p"]}).classify(error) is kind
