"""OCSF 1.3 Detection Finding events (class 2004), one per finding.

``finding_info.uid`` is the stable finding id, and ``metadata.uid`` adds the
run's status for it, so a re-sent event is recognisably the same event.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from partner_nhi import __version__
from partner_nhi.results import Finding, RunResult

_SEVERITY_ID = {"low": 2, "medium": 3, "high": 4, "critical": 5}
_STATUS = {"new": (1, "New"), "open": (2, "In Progress"), "resolved": (4, "Resolved")}
_ACTIVITY = {"new": (1, "Create"), "open": (2, "Update"), "resolved": (3, "Close")}


def _ms(value: datetime | None) -> int | None:
    return int(value.timestamp() * 1000) if value else None


def detection_finding(finding: Finding, run: RunResult) -> dict[str, Any]:
    status_id, status = _STATUS[finding.status]
    activity_id, activity = _ACTIVITY[finding.status]
    return {
        "class_uid": 2004,
        "class_name": "Detection Finding",
        "category_uid": 2,
        "category_name": "Findings",
        "type_uid": 2004 * 100 + activity_id,
        "activity_id": activity_id,
        "activity_name": activity,
        "severity_id": _SEVERITY_ID[finding.severity.value],
        "severity": finding.severity.value.capitalize(),
        "status_id": status_id,
        "status": status,
        "time": _ms(run.finished or run.started),
        "message": finding.message,
        "metadata": {
            "version": "1.3.0",
            "uid": f"{finding.id}:{run.id}",
            "product": {"name": "partner-nhi", "vendor_name": "partner-nhi", "version": __version__},
            "correlation_uid": finding.id,
        },
        "finding_info": {
            "uid": finding.id,
            "title": finding.rule,
            "desc": finding.message,
            "types": [finding.rule] + ([finding.reason] if finding.reason else []),
            "first_seen_time": None,
            "analytic": {"uid": finding.rule, "name": finding.rule, "type_id": 1, "type": "Rule"},
        },
        "resources": [
            {
                "uid": finding.identity,
                "name": finding.identity_name,
                "type": finding.identity_kind,
                "cloud_partition": finding.provider,
                "region": None,
                "owner": {"uid": finding.owner} if finding.owner else None,
                "data": {"scope": finding.scope, "credential": finding.credential, "partner": finding.partner},
            }
        ],
        "cloud": {"provider": finding.provider.upper(), "account": {"uid": finding.scope}},
        "remediation": {"desc": finding.remediation},
        "unmapped": {"frameworks": finding.frameworks, "evidence": finding.evidence, "status_detail": finding.status},
    }
