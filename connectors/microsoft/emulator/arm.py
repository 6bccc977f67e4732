"""The ARM side of the emulator: role assignments and role definitions of each
subscription, ``{"value": [...], "nextLink": ...}`` paging, the required
``api-version`` query parameter and ARM's ``{"error": {"code", "message"}}`` bodies.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from partner_nhi.connectors.loopback import Handler, Request, Response, page
from partner_nhi.connectors.microsoft.emulator.tenant import JSON, Subscription, Tenant

_PROVIDER = r"/subscriptions/(?P<sub>[^/]+)/providers/Microsoft\.Authorization"


def arm_error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    return Response(status, {"error": {"code": code, "message": message}}, dict(headers or {}))


@dataclass
class ArmApi:
    tenant: Tenant
    token: str
    page_size: int = 1000

    def routes(self) -> list[tuple[str, str, Handler]]:
        return [
            ("GET", _PROVIDER + r"/roleAssignments", self._role_assignments),
            ("GET", _PROVIDER + r"/roleDefinitions", self._role_definitions),
        ]

    def _role_assignments(self, request: Request) -> Response:
        return self._serve(request, lambda sub: sub.role_assignments)

    def _role_definitions(self, request: Request) -> Response:
        return self._serve(request, lambda sub: sub.role_definitions())

    def _serve(self, request: Request, rows_of: Callable[[Subscription], list[JSON]]) -> Response:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return arm_error(401, "InvalidAuthenticationToken", "The access token is invalid.")
        if "api-version" not in request.query:
            return arm_error(
                400,
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests.",
            )
        subscription = self.tenant.subscription(request.params["sub"])
        if subscription is None:
            return arm_error(
                404,
                "SubscriptionNotFound",
                f"The subscription '{request.params['sub']}' could not be found.",
            )
        rows, next_token = page(rows_of(subscription), request.query.get("$skiptoken"), self.page_size)
        body: JSON = {"value": rows}
        if next_token is not None:
            query = {**request.query, "$skiptoken": next_token}
            host = request.headers.get("host", "127.0.0.1")
            body["nextLink"] = f"http://{host}{request.path}?{urlencode(query, safe='$')}"
        return Response(200, body)
