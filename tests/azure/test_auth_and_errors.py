"""Emulator-token mode is loopback-only; settings errors name the field; the error taxonomy."""

from __future__ import annotations

import httpx
import pytest
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ServiceRequestError
from azure.identity import CredentialUnavailableError
from kiota_abstractions.api_error import APIError
from msgraph.generated.models.o_data_errors.main_error import MainError
from msgraph.generated.models.o_data_errors.o_data_error import ODataError

from partner_nhi.connector import ErrorKind
from partner_nhi.connectors.azure import AzureConnector
from partner_nhi.connectors.microsoft.auth import TOKEN_ENV, StaticTokenCredential, credential_for
from partner_nhi.connectors.microsoft.calls import operation_name
from partner_nhi.connectors.microsoft.errors import classify
from partner_nhi.errors import ConfigError

TENANT = "11111111-aaaa-4bbb-8ccc-000000000001"


def test_emulator_token_is_refused_for_a_real_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TOKEN_ENV, "t")
    with pytest.raises(ConfigError, match=r"management\.azure\.com"):
        AzureConnector({"tenant_id": TENANT, "graph_endpoint": "http://127.0.0.1:1"})
    with pytest.raises(ConfigError, match=r"graph\.microsoft\.com"):
        credential_for(["https://graph.microsoft.com", "http://127.0.0.1:2"])


def test_emulator_token_is_used_for_loopback_only_endpoints(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TOKEN_ENV, "t")
    credential = credential_for(["http://127.0.0.1:1", "http://localhost:2"])
    assert isinstance(credential, StaticTokenCredential)
    assert credential.get_token("scope").token == "t"


def test_without_the_token_the_default_chain_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    assert type(credential_for(["https://graph.microsoft.com"])).__name__ == "DefaultAzureCredential"


def test_settings_errors_name_the_field() -> None:
    with pytest.raises(ConfigError, match=r"connectors\.azure\.tenant_id"):
        AzureConnector({})
    with pytest.raises(ConfigError, match=r"connectors\.azure\.subscriptions: .*listed more than once"):
        AzureConnector({"tenant_id": TENANT, "subscriptions": ["a", "a"]})
    with pytest.raises(ConfigError, match=r"connectors\.azure\.colour"):
        AzureConnector({"tenant_id": TENANT, "colour": "blue"})


def test_one_scope_per_tenant() -> None:
    [scope] = AzureConnector({"tenant_id": TENANT, "subscriptions": ["s1", "s2"]}).scopes()
    assert (scope.connector, scope.id) == ("azure", TENANT)


def _odata(status: int, code: str) -> ODataError:
    error = ODataError(message=code, response_status_code=status)
    error.error = MainError(code=code, message=code)
    return error


def _arm(status: int, code: str = "Code") -> HttpResponseError:
    response = httpx.Response(status, json={"error": {"code": code, "message": "m"}})
    return HttpResponseError(message="m", response=_AzureResponse(response))


class _AzureResponse:
    """The slice of an azure-core HTTP response HttpResponseError reads."""

    def __init__(self, response: httpx.Response) -> None:
        self.status_code = response.status_code
        self.reason = response.reason_phrase
        self.headers = response.headers
        self.content_type = "application/json"
        self._text = response.text

    def text(self, encoding: str | None = None) -> str:
        return self._text


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (_odata(429, "TooManyRequests"), ErrorKind.THROTTLED),
        (_odata(503, "serviceNotAvailable"), ErrorKind.TRANSIENT),
        (_odata(401, "InvalidAuthenticationToken"), ErrorKind.AUTH),
        (_odata(403, "Authorization_RequestDenied"), ErrorKind.FORBIDDEN),
        (_odata(403, "Authentication_RequestFromNonPremiumTenantOrB2CTenant"), ErrorKind.API_DISABLED),
        (_odata(404, "Request_ResourceNotFound"), ErrorKind.NOT_FOUND),
        (_odata(400, "Directory_ExpiredPageToken"), ErrorKind.TRANSIENT),
        (_odata(400, "BadRequest"), ErrorKind.INVALID),
        (APIError("no body", 502), ErrorKind.TRANSIENT),
        (_arm(429, "TooManyRequests"), ErrorKind.THROTTLED),
        (_arm(403, "AuthorizationFailed"), ErrorKind.FORBIDDEN),
        (_arm(404, "SubscriptionNotFound"), ErrorKind.NOT_FOUND),
        (_arm(500), ErrorKind.TRANSIENT),
        (ClientAuthenticationError("401"), ErrorKind.AUTH),
        (CredentialUnavailableError("no credential"), ErrorKind.AUTH),
        (ServiceRequestError("connection refused"), ErrorKind.TRANSIENT),
        (httpx.ConnectTimeout("timeout"), ErrorKind.TRANSIENT),
        (ConfigError("bad"), ErrorKind.INVALID),
        (ValueError("malformed"), ErrorKind.INVALID),
        (RuntimeError("?"), ErrorKind.UNKNOWN),
    ],
)
def test_classify(error: BaseException, kind: ErrorKind) -> None:
    assert classify(error) is kind


def test_operation_names_group_by_operation() -> None:
    assert operation_name("get", "https://graph.microsoft.com/v1.0/applications?$top=100") == ("GET /v1.0/applications")
    assert (
        operation_name("GET", "http://127.0.0.1:1/v1.0/applications/0a1b2c3d-0000-4000-8000-000000000001/owners")
        == "GET /v1.0/applications/{id}/owners"
    )
