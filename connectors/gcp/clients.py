"""The one client factory: every Google API request of this connector goes
through a client built here, so every request is counted and retried the same way.

- IAM admin (service accounts, keys): ``IAMClient`` over gRPC (its only transport),
  a counting interceptor on the channel.
- Resource manager (allow policies, the folders above a project, project
  discovery): ``ProjectsClient`` / ``FoldersClient`` / ``OrganizationsClient``
  over REST, a counting REST interceptor each.
- Policy Analyzer (last authentication) and IAM's REST-only workload identity
  pools: plain httpx (no Python client exists), counted and retried in
  :class:`connectors.gcp.retry.RetryingTransport`.

Credentials come from Google ADC; ``anonymous`` mode (loopback emulators only,
checked in :mod:`connectors.gcp.settings`) uses none and a plain-text channel.

Every REST client sends only to its configured endpoint's origin, so a redirect to
another host fails the call before anything is sent there (:mod:`connectors.same_origin`);
page tokens are not URLs. A loopback endpoint, gRPC or REST, is reached directly, never
through a proxy named in the environment.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import google.auth
import grpc
import httpx
from google.api_core.client_options import ClientOptions
from google.api_core.retry import Retry
from google.auth.credentials import AnonymousCredentials, Credentials
from google.auth.transport.requests import Request as AuthRequest
from google.cloud.iam_admin_v1 import IAMClient
from google.cloud.iam_admin_v1.services.iam.transports import IAMGrpcTransport
from google.cloud.resourcemanager_v3 import (
    FoldersClient,
    GetFolderRequest,
    GetProjectRequest,
    ListFoldersRequest,
    ListProjectsRequest,
    OrganizationsClient,
    ProjectsClient,
)
from google.cloud.resourcemanager_v3.services.folders.transports.rest import (
    FoldersRestInterceptor,
    FoldersRestTransport,
)
from google.cloud.resourcemanager_v3.services.organizations.transports.rest import (
    OrganizationsRestInterceptor,
    OrganizationsRestTransport,
)
from google.cloud.resourcemanager_v3.services.projects.transports.rest import (
    ProjectsRestInterceptor,
    ProjectsRestTransport,
)
from google.iam.v1 import iam_policy_pb2

from partner_nhi.connectors.gcp.retry import RetryingTransport, api_retry
from partner_nhi.connectors.gcp.settings import GcpSettings
from partner_nhi.connectors.same_origin import SameOriginTransport, confine, environment_proxy
from partner_nhi.contract import CallCounter, address_loopback_refusal

SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)


@dataclass
class GcpClients:
    """The clients of one scope, with the retry and timeout every call passes."""

    iam: IAMClient
    projects: ProjectsClient
    folders: FoldersClient
    organizations: OrganizationsClient
    activity: httpx.Client  # base URL: the Policy Analyzer endpoint
    iam_rest: httpx.Client  # base URL: IAM's REST endpoint (workload identity pools)
    retry: Retry
    timeout: float
    page_size: int

    def policy_client(self, resource: str) -> ProjectsClient | FoldersClient | OrganizationsClient:
        """The resource-manager client that serves the allow policy of ``resource``
        (``projects/P``, ``folders/N`` or ``organizations/N``)."""
        kind = resource.partition("/")[0]
        return self.projects if kind == "projects" else self.folders if kind == "folders" else self.organizations


@contextmanager
def open_clients(settings: GcpSettings, calls: CallCounter) -> Iterator[GcpClients]:
    """Build every client for one scope; each request sent is added to ``calls``."""
    credentials = _credentials(settings)
    iam = IAMClient(transport=_iam_transport(settings, credentials, calls))
    endpoint = settings.resourcemanager_endpoint
    projects = ProjectsClient(
        transport=_confined(ProjectsRestTransport, endpoint, credentials, _CountingProjects(calls)),
        client_options=ClientOptions(api_endpoint=endpoint),
    )
    folders = FoldersClient(
        transport=_confined(FoldersRestTransport, endpoint, credentials, _CountingFolders(calls)),
        client_options=ClientOptions(api_endpoint=endpoint),
    )
    organizations = OrganizationsClient(
        transport=_confined(OrganizationsRestTransport, endpoint, credentials, _CountingOrganizations(calls)),
        client_options=ClientOptions(api_endpoint=endpoint),
    )
    activity = _rest_client(settings.policyanalyzer_endpoint, settings, credentials, calls, _activity_operation)
    iam_rest = _rest_client(settings.iam_rest_endpoint, settings, credentials, calls, _pool_operation)
    try:
        yield GcpClients(
            iam=iam,
            projects=projects,
            folders=folders,
            organizations=organizations,
            activity=activity,
            iam_rest=iam_rest,
            retry=api_retry(settings.retry),
            timeout=settings.timeout,
            page_size=settings.page_size,
        )
    finally:
        activity.close()
        iam_rest.close()
        for client in (iam, projects, folders, organizations):
            client.transport.close()  # type: ignore[no-untyped-call]


def _credentials(settings: GcpSettings) -> Credentials:
    if settings.anonymous:
        return AnonymousCredentials()  # type: ignore[no-untyped-call]
    credentials, _project = google.auth.default(scopes=SCOPES)
    return credentials


RestTransport = TypeVar("RestTransport", ProjectsRestTransport, FoldersRestTransport, OrganizationsRestTransport)


def _confined(kind: type[RestTransport], endpoint: str, credentials: Credentials, interceptor: Any) -> RestTransport:
    """A resource-manager REST transport whose requests session sends only to ``endpoint``.

    The generated transports build their ``AuthorizedSession`` themselves and take no
    session, so the one they built is confined in place."""
    transport = kind(host=endpoint, credentials=credentials, interceptor=interceptor)
    confine(transport._session, endpoint)
    return transport


def _iam_transport(settings: GcpSettings, credentials: Credentials, calls: CallCounter) -> IAMGrpcTransport:
    counting = _CountingInterceptor(calls)
    # a loopback target (always so when anonymous: see settings) is reached directly, never
    # through a proxy named in the environment
    direct = [("grpc.enable_http_proxy", 0)] if address_loopback_refusal(settings.iam_endpoint) is None else []
    if settings.anonymous:
        channel = grpc.intercept_channel(grpc.insecure_channel(settings.iam_endpoint, options=direct), counting)
        return IAMGrpcTransport(host=settings.iam_endpoint, channel=channel)

    def counted_channel(*args: Any, **kwargs: Any) -> grpc.Channel:
        options = [*kwargs.pop("options", ()), *direct]
        return grpc.intercept_channel(IAMGrpcTransport.create_channel(*args, options=options, **kwargs), counting)

    return IAMGrpcTransport(host=settings.iam_endpoint, credentials=credentials, channel=counted_channel)


def _rest_client(
    endpoint: str,
    settings: GcpSettings,
    credentials: Credentials,
    calls: CallCounter,
    operation: Callable[[httpx.Request], str],
) -> httpx.Client:
    """An httpx client for a Google REST API without a Python client: each attempt counted
    under ``operation(request)``, throttled and transient answers retried."""
    transport = RetryingTransport(
        SameOriginTransport(httpx.HTTPTransport(proxy=environment_proxy(endpoint)), endpoint),
        settings.retry,
        on_send=lambda request: calls.add(operation(request)),
    )
    return httpx.Client(
        base_url=endpoint,
        transport=transport,
        auth=None if settings.anonymous else _GoogleAuth(credentials),
        timeout=settings.timeout,
        trust_env=False,  # else env proxies would be mounted around the counting transport
    )


def _activity_operation(request: httpx.Request) -> str:
    """``policyanalyzer.<activityType>.query``, from the request path."""
    segments = request.url.path.split("/")
    kind = segments[segments.index("activityTypes") + 1] if "activityTypes" in segments else "?"
    return f"policyanalyzer.{kind}.query"


def _pool_operation(request: httpx.Request) -> str:
    """``iam.workloadIdentityPools.list`` or ``iam.workloadIdentityPoolProviders.list``."""
    return (
        "iam.workloadIdentityPoolProviders.list"
        if request.url.path.endswith("/providers")
        else ("iam.workloadIdentityPools.list")
    )


class _GoogleAuth(httpx.Auth):
    """A google-auth bearer token on each request, refreshed when it expires."""

    def __init__(self, credentials: Credentials) -> None:
        self._credentials = credentials
        self._lock = threading.Lock()
        self._request = AuthRequest()

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        headers: dict[str, str] = {}
        with self._lock:
            self._credentials.before_request(  # type: ignore[no-untyped-call]
                self._request, request.method, str(request.url), headers
            )
        request.headers.update(headers)
        yield request


class _CountingInterceptor(grpc.UnaryUnaryClientInterceptor):  # type: ignore[misc]
    """Counts each gRPC call sent, retries included, as ``iam.<Method>``."""

    def __init__(self, calls: CallCounter) -> None:
        self._calls = calls

    def intercept_unary_unary(self, continuation: Callable[[Any, Any], Any], details: Any, request: Any) -> Any:
        self._calls.add(f"iam.{details.method.rsplit('/', 1)[-1]}")
        return continuation(details, request)


Metadata = Sequence[tuple[str, str | bytes]]


class _CountingProjects(ProjectsRestInterceptor):
    """Counts each resource-manager projects request sent, retries included."""

    def __init__(self, calls: CallCounter) -> None:
        self._calls = calls

    def pre_get_iam_policy(
        self, request: iam_policy_pb2.GetIamPolicyRequest, metadata: Metadata
    ) -> tuple[iam_policy_pb2.GetIamPolicyRequest, Metadata]:
        self._calls.add("resourcemanager.projects.getIamPolicy")
        return request, metadata

    def pre_list_projects(
        self, request: ListProjectsRequest, metadata: Metadata
    ) -> tuple[ListProjectsRequest, Metadata]:
        self._calls.add("resourcemanager.projects.list")
        return request, metadata

    def pre_get_project(self, request: GetProjectRequest, metadata: Metadata) -> tuple[GetProjectRequest, Metadata]:
        self._calls.add("resourcemanager.projects.get")
        return request, metadata


class _CountingFolders(FoldersRestInterceptor):
    """Counts each resource-manager folders request sent, retries included."""

    def __init__(self, calls: CallCounter) -> None:
        self._calls = calls

    def pre_list_folders(self, request: ListFoldersRequest, metadata: Metadata) -> tuple[ListFoldersRequest, Metadata]:
        self._calls.add("resourcemanager.folders.list")
        return request, metadata

    def pre_get_folder(self, request: GetFolderRequest, metadata: Metadata) -> tuple[GetFolderRequest, Metadata]:
        self._calls.add("resourcemanager.folders.get")
        return request, metadata

    def pre_get_iam_policy(
        self, request: iam_policy_pb2.GetIamPolicyRequest, metadata: Metadata
    ) -> tuple[iam_policy_pb2.GetIamPolicyRequest, Metadata]:
        self._calls.add("resourcemanager.folders.getIamPolicy")
        return request, metadata


class _CountingOrganizations(OrganizationsRestInterceptor):
    """Counts each resource-manager organizations request sent, retries included."""

    def __init__(self, calls: CallCounter) -> None:
        self._calls = calls

    def pre_get_iam_policy(
        self, request: iam_policy_pb2.GetIamPolicyRequest, metadata: Metadata
    ) -> tuple[iam_policy_pb2.GetIamPolicyRequest, Metadata]:
        self._calls.add("resourcemanager.organizations.getIamPolicy")
        return request, metadata
