"""The Graph side of the emulator: the shapes msgraph-sdk parses in production.

Served: ``/v1.0/applications`` and ``/v1.0/servicePrincipals`` (``$select``,
``$top``, ``$expand=owners($select=...)``, ``@odata.nextLink`` with
``$skiptoken``, page size capped at 100 and expanded owners at 20 per object when
expanding, as Graph does), one service principal by id (``$select``, e.g. a
resource's ``appRoles``), ``/v1.0/{applications|servicePrincipals}/{id}/owners``,
``/v1.0/servicePrincipals/{id}/appRoleAssignments``, ``/v1.0/oauth2PermissionGrants``
(the tenant's delegated grants, paged), ``/v1.0/applications/{id}/federatedIdentityCredentials``,
``/v1.0/$batch`` (at most 20 requests, each dispatched like a request of its own, so
a fault makes one item answer 429 with its own ``Retry-After`` inside a 200 batch),
and the beta reports ``servicePrincipalSignInActivities`` and
``appCredentialSignInActivities`` (403 ``Authentication_RequestFromNonPremiumTenantOrB2CTenant``
when the tenant is not licensed). Without ``Directory.Read.All`` Graph returns owners as
id and type only: ``owners_without_details`` answers so. Errors carry Graph's body
with ``innerError``.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlencode, urlsplit

from partner_nhi.connectors.loopback import Handler, Request, Response, page
from partner_nhi.connectors.microsoft.emulator.tenant import JSON, Tenant

MAX_TOP = 999
MAX_TOP_EXPANDED = 100
MAX_EXPANDED_ITEMS = 20  # owners per object in an $expand, without a nextLink
BATCH_ITEM_HEADER = "x-emulator-batch-item"  # marks requests dispatched from inside a $batch
_EMULATOR_KEYS = ("owners", "federatedIdentityCredentials")
_EXPAND = re.compile(r"(\w+)(?:\(\$select=([^)]*)\))?")


def graph_error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    """A Graph error response, body as Graph sends it."""
    request_id = str(uuid.uuid4())
    inner = {
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
        "request-id": request_id,
        "client-request-id": request_id,
    }
    body = {"error": {"code": code, "message": message, "innerError": inner}}
    return Response(status, body, dict(headers or {}))


def throttled(retry_after: int = 1) -> Response:
    """What Graph answers when an app exceeds its budget."""
    return graph_error(
        429,
        "TooManyRequests",
        "Too many requests, retry after the given interval.",
        {"Retry-After": str(retry_after)},
    )


UNLICENSED = (
    403,
    "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
    "Neither tenant is B2C or tenant doesn't have premium license",
)
EXPIRED_TOKEN = (
    400,
    "Directory_ExpiredPageToken",
    "The specified page token value has expired and can no longer be included in your request.",
)


@dataclass
class _Index:
    """A tenant list's rows by one key, rebuilt when tests add or remove rows: a scan per request
    is quadratic on a benchmark tenant."""

    key: str
    _size: int = -1
    _by_key: dict[str, list[JSON]] = field(default_factory=dict)

    def rows(self, rows: list[JSON], value: str) -> list[JSON]:
        if len(rows) != self._size:
            self._by_key = {}
            for row in rows:
                self._by_key.setdefault(str(row.get(self.key)), []).append(row)
            self._size = len(rows)
        return self._by_key.get(value, [])


HOLD_TIMEOUT = 60.0  # seconds a held answer waits for its release at most


@dataclass
class HeldAnswer:
    """One held request: ``arrived`` is set when it came in, ``release()`` lets its answer go."""

    path: re.Pattern[str]
    arrived: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _taken: bool = False

    def take(self, path: str) -> bool:
        """Claim this hold for a request on ``path`` (once)."""
        with self._lock:
            if self._taken or not self.path.search(path):
                return False
            self._taken = True
            return True

    def release(self) -> None:
        self.released.set()


@dataclass
class GraphApi:
    """Routes over one :class:`Tenant`. Mutable knobs let tests shape the answers."""

    tenant: Tenant
    token: str
    page_size: int = MAX_TOP  # the server's own cap, below $top, to force paging in tests
    leak_secret_text: bool = False  # a misbehaving server: echo seeded secretText values
    expire_page_tokens: int = 0  # answer the next N continuation requests with an expired token
    owners_without_details: bool = False  # as without Directory.Read.All: owners as id and type only
    # set by the emulator to its server's dispatch, so $batch items are logged and can fail
    dispatch: Callable[[Request], Response] | None = None
    _apps: _Index = field(default_factory=lambda: _Index("id"), repr=False)
    _principals: _Index = field(default_factory=lambda: _Index("id"), repr=False)
    _assignments: _Index = field(default_factory=lambda: _Index("principalId"), repr=False)
    _holds: list[HeldAnswer] = field(default_factory=list, repr=False)

    def hold(self, path_pattern: str) -> HeldAnswer:
        """Answer the next request whose path matches with the data of the moment it arrived,
        but only once released: a slow listing older than what later requests see."""
        held = HeldAnswer(re.compile(path_pattern))
        self._holds.append(held)
        return held

    def _application(self, app_id: str) -> JSON | None:
        return next(iter(self._apps.rows(self.tenant.applications, app_id)), None)

    def _principal(self, principal_id: str) -> JSON | None:
        return next(iter(self._principals.rows(self.tenant.service_principals, principal_id)), None)

    def routes(self) -> list[tuple[str, str, Handler]]:
        return [
            ("GET", r"/v1\.0/applications", self._guarded(self._applications)),
            ("GET", r"/v1\.0/servicePrincipals", self._guarded(self._service_principals)),
            ("GET", r"/v1\.0/servicePrincipals/(?P<id>[^/]+)", self._guarded(self._service_principal)),
            (
                "GET",
                r"/v1\.0/(?P<collection>applications|servicePrincipals)/(?P<id>[^/]+)/owners",
                self._guarded(self._owners),
            ),
            (
                "GET",
                r"/v1\.0/servicePrincipals/(?P<id>[^/]+)/appRoleAssignments",
                self._guarded(self._app_role_assignments),
            ),
            ("GET", r"/v1\.0/oauth2PermissionGrants", self._guarded(self._delegated_grants)),
            (
                "GET",
                r"/v1\.0/applications/(?P<id>[^/]+)/federatedIdentityCredentials",
                self._guarded(self._federated),
            ),
            ("POST", r"/v1\.0/\$batch", self._guarded(self._batch)),
            (
                "GET",
                r"/beta/reports/servicePrincipalSignInActivities",
                self._guarded(lambda r: self._report(r, self.tenant.sign_in_activities)),
            ),
            (
                "GET",
                r"/beta/reports/appCredentialSignInActivities",
                self._guarded(lambda r: self._report(r, self.tenant.credential_sign_in_activities)),
            ),
        ]

    # -- plumbing --------------------------------------------------------------

    def _guarded(self, handler: Handler) -> Handler:
        """Authentication, then the expired-page-token knob, then the handler."""

        def guarded(request: Request) -> Response:
            if request.headers.get("authorization") != f"Bearer {self.token}":
                return graph_error(401, "InvalidAuthenticationToken", "Access token is empty or invalid.")
            if "$skiptoken" in request.query and self.expire_page_tokens > 0:
                self.expire_page_tokens -= 1
                return graph_error(*EXPIRED_TOKEN)
            answer = handler(request)
            held = next((h for h in self._holds if h.take(request.path)), None)
            if held is not None:
                held.arrived.set()
                held.released.wait(HOLD_TIMEOUT)
            return answer

        return guarded

    def _listing(
        self, request: Request, items: list[JSON], entity_set: str, project: Callable[[JSON], JSON]
    ) -> Response:
        top = min(int(request.query.get("$top", 100)), MAX_TOP, self.page_size)
        if "$expand" in request.query:
            top = min(top, MAX_TOP_EXPANDED)
        offset = _decode_token(request.query.get("$skiptoken"))
        rows, next_offset = page(items, offset, top)
        base = f"http://{request.headers.get('host', '127.0.0.1')}"
        body: JSON = {
            "@odata.context": f"{base}/v1.0/$metadata#{entity_set}",
            "value": [project(row) for row in rows],
        }
        if next_offset is not None:
            query = {k: v for k, v in request.query.items() if k != "$skiptoken"}
            query["$skiptoken"] = _encode_token(next_offset)
            body["@odata.nextLink"] = f"{base}{request.path}?{urlencode(query, safe='$(),')}"
        return Response(200, body)

    def _project(self, request: Request) -> Callable[[JSON], JSON]:
        """Apply ``$select`` and ``$expand`` to one stored object."""
        select = _split(request.query.get("$select"))
        expands = {m.group(1): _split(m.group(2)) for m in _EXPAND.finditer(request.query.get("$expand", ""))}
        users = {u["id"]: u for u in self.tenant.users}

        def project(row: JSON) -> JSON:
            out = {k: v for k, v in row.items() if k not in _EMULATOR_KEYS}
            if not self.leak_secret_text:
                out["passwordCredentials"] = [{**p, "secretText": None} for p in row.get("passwordCredentials", [])]
            if select:
                out = {k: v for k, v in out.items() if k in select or k == "id"}
            if "owners" in expands:
                out["owners"] = self._owner_objects(row, users, expands["owners"])[:MAX_EXPANDED_ITEMS]
            return out

        return project

    def _owner_objects(self, row: JSON, users: dict[str, JSON], fields: list[str]) -> list[JSON]:
        """A row's owners as Graph returns directory objects: id and type only without the permission."""
        shown = ["id"] if self.owners_without_details else fields
        return [
            {"@odata.type": "#microsoft.graph.user", **_pick(users[o], shown)}
            for o in row.get("owners", [])
            if o in users
        ]

    # -- handlers --------------------------------------------------------------

    def _applications(self, request: Request) -> Response:
        return self._listing(request, self.tenant.applications, "applications", self._project(request))

    def _service_principals(self, request: Request) -> Response:
        return self._listing(request, self.tenant.service_principals, "servicePrincipals", self._project(request))

    def _service_principal(self, request: Request) -> Response:
        sp = self._principal(request.params["id"])
        if sp is None:
            return _not_found(request.params["id"])
        base = f"http://{request.headers.get('host', '127.0.0.1')}"
        return Response(
            200, {"@odata.context": f"{base}/v1.0/$metadata#servicePrincipals/$entity", **self._project(request)(sp)}
        )

    def _owners(self, request: Request) -> Response:
        lookup = self._application if request.params["collection"] == "applications" else self._principal
        row = lookup(request.params["id"])
        if row is None:
            return _not_found(request.params["id"])
        users = {u["id"]: u for u in self.tenant.users}
        owners = self._owner_objects(row, users, _split(request.query.get("$select")))
        return self._listing(request, owners, "directoryObjects", dict)

    def _app_role_assignments(self, request: Request) -> Response:
        principal = request.params["id"]
        if self._principal(principal) is None:
            return _not_found(principal)
        rows = self._assignments.rows(self.tenant.app_role_assignments, principal)
        return self._listing(request, rows, f"servicePrincipals('{principal}')/appRoleAssignments", dict)

    def _delegated_grants(self, request: Request) -> Response:
        return self._listing(request, self.tenant.oauth2_permission_grants, "oauth2PermissionGrants", dict)

    def _federated(self, request: Request) -> Response:
        app = self._application(request.params["id"])
        if app is None:
            return _not_found(request.params["id"])
        select = _split(request.query.get("$select"))
        rows = [_pick(f, select) if select else f for f in app.get("federatedIdentityCredentials", [])]
        base = f"http://{request.headers.get('host', '127.0.0.1')}"
        context = f"{base}/v1.0/$metadata#applications('{app['id']}')/federatedIdentityCredentials"
        return Response(200, {"@odata.context": context, "value": rows})

    def _report(self, request: Request, rows: list[JSON] | None) -> Response:
        if rows is None:
            return graph_error(*UNLICENSED)
        return self._listing(request, rows, request.path.rsplit("/", 1)[-1], dict)

    def _batch(self, request: Request) -> Response:
        requests = (request.json() or {}).get("requests", [])
        if len(requests) > 20:
            return graph_error(400, "BadRequest", "Number of batch requests exceeds the limit of 20.")
        responses = []
        for item in requests:
            split = urlsplit(item["url"])
            inner = Request(
                method=item.get("method", "GET").upper(),
                path="/v1.0" + split.path,
                query={k: v[-1] for k, v in parse_qs(split.query).items()},
                headers={**request.headers, BATCH_ITEM_HEADER: str(item["id"])},
                body=b"",
            )
            assert self.dispatch is not None, "GraphApi.dispatch is set by the emulator"
            answer = self.dispatch(inner)
            body = answer.body if not isinstance(answer.body, bytes) else json.loads(answer.body)
            responses.append(
                {
                    "id": item["id"],
                    "status": answer.status,
                    "headers": {"Content-Type": "application/json", **answer.headers},
                    "body": body,
                }
            )
        return Response(200, {"responses": responses})


def _not_found(object_id: str) -> Response:
    return graph_error(
        404,
        "Request_ResourceNotFound",
        f"Resource '{object_id}' does not exist or one of its queried reference-property objects are not present.",
    )


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()] if value else []


def _pick(row: JSON, fields: list[str]) -> JSON:
    return {k: v for k, v in row.items() if not fields or k in fields or k == "id"}


def _encode_token(offset: str) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def _decode_token(token: str | None) -> str | None:
    if not token:
        return None
    return base64.urlsafe_b64decode(token.encode()).decode().split(":", 1)[1]
