"""Last authentication of service accounts and keys, from Policy Analyzer's
activity API (``activities:query``; no Python client exists, so plain httpx).

One paged query per activity type and project covers every account or key of
the project: no call per identity. Unknown is not never: when the query did
not complete (API disabled, no permission) last use is ``unknown``; when it
completed and has no record for a key, the key has no authentication in
Policy Analyzer's history and last use is ``never``. A record that cannot be read
(a bad time, no resource name) costs that record: the resources it names are
``unknown``, never ``never``, and its unit is partial.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from partner_nhi.connectors.gcp.clients import GcpClients
from partner_nhi.connectors.gcp.paging import get_all
from partner_nhi.connectors.gcp.payload import require_time
from partner_nhi.contract import LastUse, MalformedRecord, Units

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
    return get_all(clients.activity, path, "activities", PAGE_SIZE)


@dataclass(frozen=True)
class LastAuthentication:
    """Last authentication time by resource name (key id, SA email or unique id).

    ``seen`` is None when the query did not complete. ``unreadable``: names whose
    record was rejected; ``unattributed``: a rejected record named nothing, so any
    resource without a date might be the one it was about."""

    seen: Mapping[str, datetime] | None
    unit: str
    unreadable: frozenset[str] = frozenset()
    unattributed: bool = False

    @classmethod
    def from_activities(
        cls, activities: Iterable[dict[str, Any]] | None, unit: str, units: Units
    ) -> LastAuthentication:
        """Each activity record through the engine's transform."""
        if activities is None:
            return cls(None, unit)
        unreadable: set[str] = set()
        unattributed = False

        def read(activity: dict[str, Any]) -> tuple[set[str], datetime]:
            nonlocal unattributed
            try:
                names = _names(activity)
            except Exception:
                unattributed = True
                raise
            try:
                return names, require_time(activity, "activity.lastAuthenticatedTime")
            except MalformedRecord:
                unreadable.update(names)
                raise

        seen: dict[str, datetime] = {}
        for names, when in units.transform(unit, activities, read, _label):
            for name in names:
                seen[name] = max(when, seen.get(name, when))
        return cls(seen, unit, frozenset(unreadable), unattributed)

    def of(self, *names: str) -> LastUse:
        """The last use of the resource known by any of ``names``."""
        if self.seen is None:
            return LastUse.unknown(f"Policy Analyzer not available: see coverage unit {self.unit}")
        wanted = {n.lower() for n in names}
        if wanted & self.unreadable:
            return LastUse.unknown(f"its Policy Analyzer record could not be read: see coverage unit {self.unit}")
        dates = [self.seen[n] for n in wanted if n in self.seen]
        if dates:
            return LastUse.used(max(dates), detail="Policy Analyzer (day of last authentication)")
        if self.unattributed:
            return LastUse.unknown(f"a Policy Analyzer record naming no resource was rejected: see {self.unit}")
        return LastUse(state="never", detail="no authentication in Policy Analyzer's history")


def _label(activity: dict[str, Any]) -> str:
    """How an error names an activity record: its resource, outside or inside the activity."""
    return str(activity.get("fullResourceName") or _subject(activity)["fullResourceName"])


def _subject(activity: dict[str, Any]) -> dict[str, Any]:
    inner = activity.get("activity", {})
    subject: dict[str, Any] = inner.get("serviceAccountKey") or inner.get("serviceAccount") or {}
    return subject


def _names(activity: dict[str, Any]) -> set[str]:
    """Every name an activity record identifies its account or key by; at least one."""
    subject = _subject(activity)
    names = {
        _last_segment(activity.get("fullResourceName")),
        _last_segment(subject.get("fullResourceName")),
        subject.get("serviceAccountId") if "serviceAccount" in activity.get("activity", {}) else None,
    }
    found = {n.lower() for n in names if n}
    if not found:
        raise MalformedRecord("fullResourceName", "missing: the record names no account or key")
    return found


def _last_segment(resource: str | None) -> str | None:
    return resource.rstrip("/").rsplit("/", 1)[-1] if resource else None
