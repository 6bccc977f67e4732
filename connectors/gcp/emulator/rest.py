"""HTTP emulators of resource manager v3, Policy Analyzer v1 and IAM v1's REST-only
workload identity pools, on the shared loopback server (request log, fault injection
with ``server.fail``).

Resource manager: exactly what ``ProjectsClient`` / ``FoldersClient`` /
``OrganizationsClient`` send over REST: ``POST /v3/{projects|folders|organizations}/N:getIamPolicy``
(a read), ``GET /v3/projects/{p}``, ``GET /v3/folders/{f}``, ``GET /v3/projects?parent=``,
``GET /v3/folders?parent=``. Policy Analyzer:
``GET /v1/projects/{p}/locations/global/activityTypes/{type}/activities:query``. IAM:
``GET /v1/projects/{p}/locations/global/workloadIdentityPools`` and
``GET /v1/projects/{number}/locations/global/workloadIdentityPools/{pool}/providers``.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from partner_nhi.connectors.gcp.emulator.estate import Estate, Folder, Pool, Project, Provider
from partner_nhi.connectors.gcp.emulator.faults import permission_denied
from partner_nhi.connectors.loopback import LoopbackServer, Request, Response, page

KEY_ACTIVITY = "serviceAccountKeyLastAuthentication"
ACCOUNT_ACTIVITY = "serviceAccountLastAuthentication"
_PACIFIC_MIDNIGHT = time(8, 0)  # Activity Analyzer reports days, at midnight US Pacific


class ResourceManagerEmulator(LoopbackServer):
    def __init__(self, estate: Estate, max_page_size: int = 100) -> None:
        self.estate = estate
        self.max_page_size = max_page_size
        super().__init__(
            [
                (
                    "POST",
                    r"/v3/(?P<resource>(?P<kind>projects|folders|organizations)/[^/:]+):getIamPolicy",
                    self._get_iam_policy,
                ),
                ("GET", r"/v3/projects/(?P<project>[^/:]+)", self._get_project),
                ("GET", r"/v3/(?P<folder>folders/[^/:]+)", self._get_folder),
                ("GET", r"/v3/projects", self._list_projects),
                ("GET", r"/v3/folders", self._list_folders),
            ]
        )

    def _get_iam_policy(self, request: Request) -> Response:
        held = self.estate.bindings_of(request.params["resource"])
        if held is None:  # Google does not say whether it exists
            kind = request.params["kind"]
            return permission_denied(f"resourcemanager.{kind}.getIamPolicy").http_response()
        bindings = []
        for binding in held:
            entry: dict[str, Any] = {"role": binding.role, "members": binding.members}
            if binding.condition:
                entry["condition"] = binding.condition
            bindings.append(entry)
        conditional = any(b.condition for b in held)
        return Response(200, {"version": 3 if conditional else 1, "etag": "BwYAAAAAAAA=", "bindings": bindings})

    def _get_project(self, request: Request) -> Response:
        project = self.estate.project(request.params["project"])
        if project is None:
            return permission_denied("resourcemanager.projects.get").http_response()
        return Response(200, _project(project))

    def _get_folder(self, request: Request) -> Response:
        folder = next((f for f in self.estate.folders if f.name == request.params["folder"]), None)
        if folder is None:
            return permission_denied("resourcemanager.folders.get").http_response()
        return Response(200, _folder(folder))

    def _list_projects(self, request: Request) -> Response:
        parent = request.query.get("parent", "")
        children = [p for p in self.estate.projects if p.parent == parent]
        items, token = page(children, request.query.get("pageToken"), self._size(request))
        body: dict[str, Any] = {"projects": [_project(p) for p in items]}
        return Response(200, {**body, "nextPageToken": token} if token else body)

    def _list_folders(self, request: Request) -> Response:
        parent = request.query.get("parent", "")
        children = [f for f in self.estate.folders if f.parent == parent]
        items, token = page(children, request.query.get("pageToken"), self._size(request))
        folders = [_folder(f) for f in items]
        return Response(200, {"folders": folders, **({"nextPageToken": token} if token else {})})

    def _size(self, request: Request) -> int:
        return min(int(request.query.get("pageSize") or self.max_page_size), self.max_page_size)


class PolicyAnalyzerEmulator(LoopbackServer):
    def __init__(self, estate: Estate, max_page_size: int = 1000) -> None:
        self.estate = estate
        self.max_page_size = max_page_size
        super().__init__(
            [
                (
                    "GET",
                    r"/v1/projects/(?P<project>[^/]+)/locations/global/activityTypes/"
                    r"(?P<type>[^/]+)/activities:query",
                    self._query,
                )
            ]
        )

    def _query(self, request: Request) -> Response:
        project = self.estate.project(request.params["project"])
        kind = request.params["type"]
        if project is None or kind not in (KEY_ACTIVITY, ACCOUNT_ACTIVITY):
            return permission_denied(f"policyanalyzer.{kind}Activities.query").http_response()
        records = _activities(project, kind)
        size = min(int(request.query.get("pageSize") or self.max_page_size), self.max_page_size)
        items, token = page(records, request.query.get("pageToken"), size)
        return Response(200, {"activities": items, **({"nextPageToken": token} if token else {})})


class IamRestEmulator(LoopbackServer):
    """Workload identity pools and their providers, named by project number as Google does."""

    def __init__(self, estate: Estate, max_page_size: int = 100) -> None:
        self.estate = estate
        self.max_page_size = max_page_size
        pools = r"/v1/projects/(?P<project>[^/]+)/locations/global/workloadIdentityPools"
        super().__init__(
            [
                ("GET", pools, self._list_pools),
                ("GET", pools + r"/(?P<pool>[^/]+)/providers", self._list_providers),
            ]
        )

    def _project(self, request: Request) -> Project | None:
        key = request.params["project"]
        return next((p for p in self.estate.projects if key in (p.id, p.number)), None)

    def _list_pools(self, request: Request) -> Response:
        project = self._project(request)
        if project is None:
            return permission_denied("iam.workloadIdentityPools.list").http_response()
        items, token = page(project.pools, request.query.get("pageToken"), self._size(request))
        body = {"workloadIdentityPools": [_pool(project, pool) for pool in items]}
        return Response(200, {**body, "nextPageToken": token} if token else body)

    def _list_providers(self, request: Request) -> Response:
        project = self._project(request)
        pool = next((p for p in project.pools if p.id == request.params["pool"]), None) if project else None
        if project is None or pool is None:
            return permission_denied("iam.workloadIdentityPoolProviders.list").http_response()
        items, token = page(pool.providers, request.query.get("pageToken"), self._size(request))
        body = {"workloadIdentityPoolProviders": [_provider(project, pool, p) for p in items]}
        return Response(200, {**body, "nextPageToken": token} if token else body)

    def _size(self, request: Request) -> int:
        return min(int(request.query.get("pageSize") or 50), self.max_page_size)


def _pool(project: Project, pool: Pool) -> dict[str, Any]:
    name = f"projects/{project.number}/locations/global/workloadIdentityPools/{pool.id}"
    return {"name": name, "state": "ACTIVE", **({"disabled": True} if pool.disabled else {})}


def _provider(project: Project, pool: Pool, provider: Provider) -> dict[str, Any]:
    record: dict[str, Any] = {
        "name": f"{_pool(project, pool)['name']}/providers/{provider.id}",
        "state": "ACTIVE",
        "attributeMapping": {"google.subject": "assertion.sub"},
    }
    if provider.disabled:
        record["disabled"] = True
    if provider.attribute_condition:
        record["attributeCondition"] = provider.attribute_condition
    if provider.issuer:
        record["oidc"] = {"issuerUri": provider.issuer}
    if provider.aws_account:
        record["aws"] = {"accountId": provider.aws_account}
        record["attributeMapping"] = {"google.subject": "assertion.arn"}
    return record


def _project(project: Project) -> dict[str, Any]:
    return {
        "name": f"projects/{project.number}",
        "projectId": project.id,
        **({"parent": project.parent} if project.parent else {}),  # none outside an organisation
        "state": "ACTIVE",
        "displayName": project.id,
    }


def _folder(folder: Folder) -> dict[str, Any]:
    return {"name": folder.name, "parent": folder.parent, "displayName": folder.name, "state": "ACTIVE"}


def _activities(project: Project, kind: str) -> list[dict[str, Any]]:
    """The activity records of every account (or key) with a last authentication."""
    records = []
    subject_key = "serviceAccountKey" if kind == KEY_ACTIVITY else "serviceAccount"
    for account in project.accounts:
        email = account.email(project.id)
        base = f"//iam.googleapis.com/projects/{project.id}/serviceAccounts/{email}"
        if kind == KEY_ACTIVITY:
            used = [(f"{base}/keys/{k.id}", k.last_authenticated) for k in account.keys]
        else:
            used = [(base, account.last_authenticated)]
        for name, when in used:
            if when is None:
                continue
            subject = {
                "serviceAccountId": account.unique_id(project.id),
                "projectNumber": project.number,
                "fullResourceName": name,
            }
            records.append(_activity(kind, name, when, subject_key, subject))
    return records


def _activity(kind: str, name: str, when: datetime | str, subject_key: str, subject: dict[str, str]) -> dict[str, Any]:
    """One record; a time given as text is sent as it is (a record the service should not send)."""
    period: dict[str, Any] = {}
    if isinstance(when, str):
        stamp = when
    else:
        day = datetime.combine(when.astimezone(UTC).date(), _PACIFIC_MIDNIGHT, UTC)
        stamp = _rfc3339(day)
        period = {"observationPeriod": {"startTime": stamp, "endTime": _rfc3339(day + timedelta(days=1))}}
    return {
        "activityType": kind,
        "fullResourceName": name,
        **period,
        "activity": {"lastAuthenticatedTime": stamp, subject_key: subject},
    }


def _rfc3339(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
