"""OCSF 1.3 Detection Finding events (class 2004), one per finding.

``finding_info.uid`` is the stable finding id, and ``metadata.uid`` adds the
run's status for it, so a re-sent event is recognisably the same event.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from partner_nhi import __version__

_SEVERITY_ID = {"low": 2, "medium": 3, "high": 4, "critical": 5}
_STATUS = {"new": (1, "New"), "open": (2, "In Progress"), "resolved": (4, "Resolved")}
_ACTIVITY = {"new": (1, "Create"), "open": (2, "Update"), "resolved": (3, "Close")}


def _ms(value: str | None) -> int | None:
    return int(datetime.fromisoformat(value).timestamp() * 1000) if value else None


def detection_finding(entry: dict[str, Any], run: dict[str, Any]) -> dict[str, Any]:
    """One finding entry of a run's document as an OCSF event; ``run`` is the document's header."""
    status_id, status = _STATUS[entry["status"]]
    activity_id, activity = _ACTIVITY[entry["status"]]
    return {
        "class_uid": 2004,
        "class_name": "Detection Finding",
        "category_uid": 2,
        "category_name": "Findings",
        "type_uid": 2004 * 100 + activity_id,
        "activity_id": activity_id,
        "activity_name": activity,
        "severity_id": _SEVERITY_ID[entry["severity"]],
        "severity": entry["severity"].capitalize(),
        "status_id": status_id,
        "status": status,
        "time": _ms(run["finished"] or run["started"]),
        "message": entry["message"],
        "metadata": {
            "version": "1.3.0",
            "uid": f"{entry['id']}:{run['id']}",
            "product": {"name": "partner-nhi", "vendor_name": "partner-nhi", "version": __version__},
            "correlation_uid": entry["id"],
        },
        "finding_info": {
            "uid": entry["id"],
            "title": entry["rule"],
            "desc": entry["message"],
            "types": [entry["rule"]] + ([entry["reason"]] if entry["reason"] else []),
            "first_seen_time": None,
            "analytic": {"uid": entry["rule"], "name": entry["rule"], "type_id": 1, "type": "Rule"},
        },
        "resources": [
            {
                "uid": entry["identity"],
                "name": entry["identity_name"],
                "type": entry["identity_kind"],
                "cloud_partition": entry["provider"],
                "region": None,
                "owner": {"uid": entry["owner"]} if entry["owner"] else None,
                "data": {"scope": entry["scope"], "credential": entry["credential"], "partner": entry["partner"]},
            }
        ],
        "cloud": {"provider": entry["provider"].upper(), "account": {"uid": entry["scope"]}},
        "remediation": {"desc": entry["remediation"]},
        "unmapped": {
            "frameworks": entry["frameworks"],
            "evidence": entry["evidence"],
            "status_detail": entry["status"],
        },
    }
