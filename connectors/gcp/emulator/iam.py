"""A local gRPC emulator of the IAM admin API (``google.iam.admin.v1.IAM``).

Built from google-cloud-iam's own request and response types, so the real
``IAMClient`` talks to it unchanged over an insecure channel. It serves
ListServiceAccounts (paged), ListServiceAccountKeys (``key_types`` filter) and
GetRole (custom roles); every other method answers UNIMPLEMENTED. Every method called is logged, read
or not, which is what the read-only tests check.

Faults for tests: :meth:`IamEmulator.fail` answers with an error,
:meth:`IamEmulator.tamper` edits an answer before it is sent (a malformed record),
:meth:`IamEmulator.hold` keeps an answer, computed now, until released (a slow
listing that another run overtakes).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent import futures
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import grpc
from google.cloud.iam_admin_v1 import types

from partner_nhi.connectors.gcp.emulator.estate import Estate, Key
from partner_nhi.connectors.gcp.emulator.faults import Fault, Rejected, not_found
from partner_nhi.connectors.loopback import page

SERVICE = "google.iam.admin.v1.IAM"
_NO_EXPIRY = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)


@dataclass
class _Injected:
    method: str
    fault: Fault | Callable[[Any], None]  # an error, or an edit of the response
    remaining: int
    match: str | None  # substring of the request's ``name``

    def applies(self, method: str, name: str) -> bool:
        return self.remaining > 0 and self.method == method and (self.match is None or self.match in name)


@dataclass
class Hold:
    """One held answer: ``arrived`` is set once the call came in and its answer was
    computed; the answer is sent after :meth:`release`."""

    method: str
    arrived: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)

    def release(self) -> None:
        self.released.set()


class IamEmulator:
    """Serve ``estate`` on an ephemeral port of 127.0.0.1."""

    def __init__(self, estate: Estate, max_page_size: int = 100) -> None:
        self.estate = estate
        self.max_page_size = max_page_size
        self.methods: list[str] = []  # every method called, e.g. "ListServiceAccounts"
        self.requests: list[tuple[str, Any]] = []  # (method, request) of the served ones
        self._faults: list[_Injected] = []
        self._holds: list[Hold] = []
        self._lock = threading.Lock()
        self._routes: dict[str, tuple[Callable[[Any], Any], Any, Any]] = {
            "ListServiceAccounts": (
                self._list_service_accounts,
                types.ListServiceAccountsRequest,
                types.ListServiceAccountsResponse,
            ),
            "ListServiceAccountKeys": (
                self._list_service_account_keys,
                types.ListServiceAccountKeysRequest,
                types.ListServiceAccountKeysResponse,
            ),
            "GetRole": (self._get_role, types.GetRoleRequest, types.Role),
        }
        # no SO_REUSEPORT: another process's emulator could otherwise share the port
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=8), options=[("grpc.so_reuseport", 0)])
        self._server.add_generic_rpc_handlers([_Handler(self)])
        self.port = self._server.add_insecure_port("127.0.0.1:0")

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> IamEmulator:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop(grace=None)

    def __enter__(self) -> IamEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def fail(self, method: str, fault: Fault, times: int = 1, match: str | None = None) -> None:
        """Answer the next ``times`` calls of ``method`` (whose request name contains
        ``match``, if given) with ``fault``."""
        with self._lock:
            self._faults.append(_Injected(method, fault, times, match))

    def tamper(self, method: str, edit: Callable[[Any], None], times: int = 1, match: str | None = None) -> None:
        """Pass the next ``times`` responses of ``method`` (see :meth:`fail` for ``match``)
        through ``edit`` before sending them: a record the real service would not send."""
        with self._lock:
            self._faults.append(_Injected(method, edit, times, match))

    def hold(self, method: str) -> Hold:
        """The next call of ``method`` computes its answer from the estate as it is now,
        then waits to send it until the returned hold is released."""
        hold = Hold(method)
        with self._lock:
            self._holds.append(hold)
        return hold

    def method_handler(self, full_method: str) -> Any:
        """Log the call; the handler of a served method, None (UNIMPLEMENTED) otherwise."""
        service, _, method = full_method.strip("/").partition("/")
        with self._lock:
            self.methods.append(method)
        route = self._routes.get(method) if service == SERVICE else None
        if route is None:
            return None
        behaviour, request_type, response_type = route

        def serve(request: Any, context: Any) -> Any:
            with self._lock:
                self.requests.append((method, request))
                fault = self._take_fault(method, request.name)
                hold = next((h for h in self._holds if h.method == method), None)
                if hold is not None:
                    self._holds.remove(hold)
            try:
                if isinstance(fault, Fault):
                    raise Rejected(fault)
                response = behaviour(request)
            except Rejected as rejected:
                context.abort_with_status(rejected.fault.grpc_status())  # raises: the call ends here
            if callable(fault):
                fault(response)
            if hold is not None:
                hold.arrived.set()
                hold.released.wait()
            return response

        return grpc.unary_unary_rpc_method_handler(
            serve,
            request_deserializer=request_type.deserialize,
            response_serializer=response_type.serialize,
        )

    def _take_fault(self, method: str, name: str) -> Fault | Callable[[Any], None] | None:
        for injected in self._faults:
            if injected.applies(method, name):
                injected.remaining -= 1
                return injected.fault
        return None

    def _list_service_accounts(self, request: types.ListServiceAccountsRequest) -> types.ListServiceAccountsResponse:
        project = self.estate.project(request.name.removeprefix("projects/"))
        if project is None:
            raise Rejected(not_found(f"Project {request.name} not found."))
        size = min(request.page_size or 20, self.max_page_size)
        accounts, token = page(project.accounts, request.page_token or None, size)
        return types.ListServiceAccountsResponse(
            accounts=[
                types.ServiceAccount(
                    name=f"projects/{project.id}/serviceAccounts/{a.email(project.id)}",
                    project_id=project.id,
                    unique_id=a.unique_id(project.id),
                    email=a.email(project.id),
                    display_name=a.display_name,
                    description=a.description,
                    oauth2_client_id=a.unique_id(project.id),
                    disabled=a.disabled,
                    etag=b"BwYAAAAAAAA=",
                )
                for a in accounts
            ],
            next_page_token=token or "",
        )

    def _list_service_account_keys(
        self, request: types.ListServiceAccountKeysRequest
    ) -> types.ListServiceAccountKeysResponse:
        found = self.estate.account(request.name.rsplit("/", 1)[-1])
        if found is None:
            raise Rejected(not_found(f"Service account {request.name} does not exist."))
        project, account = found
        wanted = {types.ListServiceAccountKeysRequest.KeyType(t).name for t in request.key_types}
        email = account.email(project.id)
        return types.ListServiceAccountKeysResponse(
            keys=[_key(project.id, email, k) for k in account.keys if not wanted or k.type in wanted]
        )

    def _get_role(self, request: types.GetRoleRequest) -> types.Role:
        permissions = self.estate.custom_roles.get(request.name)
        if permissions is None:
            raise Rejected(not_found(f"Role {request.name} not found."))
        return types.Role(
            name=request.name,
            title=request.name.rsplit("/", 1)[-1],
            included_permissions=permissions,
            stage=types.Role.RoleLaunchStage.GA,
            etag=b"BwYAAAAAAAA=",
        )


def _key(project: str, email: str, key: Key) -> types.ServiceAccountKey:
    """Key metadata only: the list call never carries key material."""
    return types.ServiceAccountKey(
        name=f"projects/{project}/serviceAccounts/{email}/keys/{key.id}",
        key_algorithm=types.ServiceAccountKeyAlgorithm.KEY_ALG_RSA_2048,
        valid_after_time=key.valid_after,
        valid_before_time=key.valid_before or _NO_EXPIRY,
        key_origin=types.ServiceAccountKeyOrigin.__members__[key.origin],
        key_type=types.ListServiceAccountKeysRequest.KeyType.__members__[key.type],
        disabled=key.disabled,
    )


class _Handler(grpc.GenericRpcHandler):  # type: ignore[misc]
    def __init__(self, emulator: IamEmulator) -> None:
        self._emulator = emulator

    def service(self, details: Any) -> Any:
        return self._emulator.method_handler(details.method)
