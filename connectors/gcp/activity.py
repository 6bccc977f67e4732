"""Last authentication of service accounts and keys, from Policy Analyzer's
activity API (``activities:query``; no Python client exists, so plain httpx).

One paged query per activity type and project covers every account or key of
the project: no call per identity. Unknown is not never: when the query did
not complete (API disabled, no permission) last use is ``unknown``; when it
completed and has no record for a key, the key has no authentication in
Policy Analyzer's history and last use is ``never``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from partner_nhi.connectors.gcp.clients import GcpClients
from partner_nhi.connectors.gcp.errors import api_error
from partner_nhi.connectors.gcp.payload import parse_time
from partner_nhi.contract import LastUse

KEY_UNIT = "key-last-authentication"
ACCOUNT_UNIT = "account-last-authentication"
KEY_ACTIVITY = "serviceAccountKeyLastAuthentication"
ACCOUNT_ACTIVITY = "serviceAccountLastAuthentication"
PAGE_SIZE = 1000  # the API's maximum
NOTE = (
    "Policy Analyzer reports the day of the last authentication (midnight US Pacific), "
    "up to two days late; domain-wide delegation to Workspace APIs is not tracked"
)


def query_activities(clients: GcpClients, project: str, activity_type: str) -> list[dict[str, Any]]:
    """Every activity of one type in ``project``, following ``nextPageToken``."""
    path = f"/v1/projects/{project}/locations/global/activityTypes/{activity_type}/activities:query"
    activities: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        params = {"pageSize": str(PAGE_SIZE), **({"pageToken": token} if token else {})}
        response = clients.activity.get(path, params=params)
        if response.is_error:
            raise api_error(response)
        body = response.json()
        activities.extend(body.get("activities", []))
        token = body.get("nextPageToken")
        if not token:
            return activities


@dataclass(frozen=True)
class LastAuthentication:
    """Last authentication time by resource name (key id, SA email or unique id);
    ``seen`` is None when the query did not complete."""

    seen: Mapping[str, datetime] | None
    unit: str

    @classmethod
    def from_activities(cls, activities: Iterable[dict[str, Any]] | None, unit: str) -> LastAuthentication:
        if activities is None:
            return cls(None, unit)
        seen: dict[str, datetime] = {}
        for activity in activities:
            when = parse_time(activity.get("activity", {}).get("lastAuthenticatedTime"))
            if when is None:
                continue
            for name in _names(activity):
                seen[name] = max(when, seen.get(name, when))
        return cls(seen, unit)

    def of(self, *names: str) -> LastUse:
        """The last use of the resource known by any of ``names``."""
        if self.seen is None:
            return LastUse.unknown(f"Policy Analyzer not available: see coverage unit {self.unit}")
        dates = [self.seen[n.lower()] for n in names if n.lower() in self.seen]
        if dates:
            return LastUse.used(max(dates), detail="Policy Analyzer (day of last authentication)")
        return LastUse(state="never", detail="no authentication in Policy Analyzer's history")


def _names(activity: dict[str, Any]) -> set[str]:
    """Every name an activity record identifies its account or key by."""
    inner = activity.get("activity", {})
    subject = inner.get("serviceAccountKey") or inner.get("serviceAccount") or {}
    names = {
        _last_segment(activity.get("fullResourceName")),
        _last_segment(subject.get("fullResourceName")),
        subject.get("serviceAccountId") if "serviceAccount" in inner else None,
    }
    return {n.lower() for n in names if n}


def _last_segment(resource: str | None) -> str | None:
    return resource.rstrip("/").rsplit("/", 1)[-1] if resource else None
