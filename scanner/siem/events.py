"""Which finding changes the SOC hears of, and the OCSF events that say so. Pure: no I/O.

**Changes.** Reconciliation (:mod:`partner_nhi.history`) says of each finding in a scope
``new``, ``open`` or ``resolved``, and whether it was ``carried`` (not re-evaluated).
:func:`decide_changes` turns that into at most one event per finding per run:

- ``new`` → **Create** (a first sighting, or a sighting again after it was resolved);
- ``open`` → **Update** only when its :func:`fingerprint` differs from the one stored when it
  was last announced (and **Create** when it was never announced: it predates the feed);
- ``resolved`` → **Close** (status Resolved): only coverage-gated resolution (or an
  operator's ``scopes retire``) resolves, so a carried finding never closes;
- carried → nothing: the run did not look again, so it has nothing new to say.

**The fingerprint** is what a SOC would call a change: severity, partner, owner, the
orphaned reason, the credential and its status (active/inactive), suppression, and the
evidence except values that move with the clock (``age_days``, a password's last use; the message, which says
"last used 123 days ago", is left out whole). A finding seen again with an older key is
the same finding: no Update every night.

**Events.** Detection Finding (class 2004) is built with py-ocsf-models' ``DetectionFinding``
(OCSF 1.5) and dumped to JSON; ``compliance`` (OWASP NHI Top 10 and NIST CSF 2.0, one check per
requirement) is added beside it from py-ocsf-models' ``Compliance`` object, because OCSF
defines ``compliance`` on Compliance Finding (2003) only and the library's DetectionFinding
has no such field. The run's health is Scan Activity (class 6007, category Application
Activity: "the start, completion, and results of a scan job"), which the library does not
model: it is built on its ``BaseEvent`` with the class's own fields added.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from py_ocsf_models.events.base_event import BaseEvent
from py_ocsf_models.events.findings.detection_finding import DetectionFinding
from py_ocsf_models.objects.account import Account
from py_ocsf_models.objects.account import TypeID as AccountType
from py_ocsf_models.objects.analytic import Analytic
from py_ocsf_models.objects.check import Check
from py_ocsf_models.objects.cloud import Cloud
from py_ocsf_models.objects.compliance import Compliance
from py_ocsf_models.objects.compliance_status import StatusID as ComplianceStatus
from py_ocsf_models.objects.finding_info import FindingInformation
from py_ocsf_models.objects.metadata import Metadata
from py_ocsf_models.objects.product import Product
from py_ocsf_models.objects.remediation import Remediation
from py_ocsf_models.objects.resource_details import ResourceDetails
from py_ocsf_models.objects.user import User

from partner_nhi import __version__
from partner_nhi.document import digest
from partner_nhi.results import Finding
from partner_nhi.rules.catalogue import RULES_BY_ID

OCSF_VERSION = "1.5.0"  # the schema version the mapping below is written to (py-ocsf-models 0.10)
PRODUCT = Product(name="partner-nhi", vendor_name="partner-nhi", version=__version__)

# Evidence values that change with the clock, not with the finding: never part of the fingerprint.
# A person signing in again with an NHI's password (human-use-of-nhi) is the same finding, not an Update.
VOLATILE_EVIDENCE = frozenset({"age_days", "not_re_evaluated", "resolved_by", "password_last_used"})

_EVENT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:partner-nhi:siem-event")
_SEVERITY_ID = {"low": 2, "medium": 3, "high": 4, "critical": 5}
_CLOUD_NAMES = {"aws": "AWS", "azure": "Azure", "gcp": "GCP", "m365": "Microsoft 365"}
# py-ocsf-models 0.10 knows account types 0-10 and 99; OCSF 1.5's GCP Project (11) and M365
# Tenant (17) are sent as Other with OCSF's caption, which the schema allows for any source.
_SCOPE_ACCOUNTS = {
    "aws": (AccountType.AWS_Account, "AWS Account"),
    "gcp": (AccountType.Other, "GCP Project"),
    "azure": (AccountType.Other, "M365 Tenant"),  # an Entra tenant: OCSF's closest caption
    "m365": (AccountType.Other, "M365 Tenant"),
}


class Activity(StrEnum):
    """Detection Finding activities (OCSF ``activity_id`` 1-3)."""

    CREATE = "Create"
    UPDATE = "Update"
    CLOSE = "Close"

    @property
    def id(self) -> int:
        return {"Create": 1, "Update": 2, "Close": 3}[self.value]


class FindingStatus(StrEnum):
    """OCSF finding ``status_id``: what partner-nhi knows of a finding's state. It does not
    track a SOC's triage, so an open finding stays New; accepted risks are Suppressed."""

    NEW = "New"
    SUPPRESSED = "Suppressed"
    RESOLVED = "Resolved"

    @property
    def id(self) -> int:
        return {"New": 1, "Suppressed": 3, "Resolved": 4}[self.value]


@dataclass(frozen=True)
class Change:
    """One finding's event in this run, and the fingerprint it announces."""

    finding: Finding
    activity: Activity
    fingerprint: str


def event_uid(run_id: str, subject: str) -> str:
    """``metadata.uid``: one event per finding (or per run's health) per run, the same
    value however often it is sent, so a receiver can tell a re-send from a new event."""
    return str(uuid.uuid5(_EVENT_NAMESPACE, f"{run_id}\x1f{subject}"))


def fingerprint(content: Mapping[str, Any], credential_status: str | None) -> str:
    """What must differ for an open finding to be announced again (see the module docstring)."""
    evidence = {key: value for key, value in content.get("evidence", {}).items() if key not in VOLATILE_EVIDENCE}
    return digest(
        {
            "severity": content["severity"],
            "partner": content["partner"],
            "owner": content["owner"],
            "reason": content["reason"],
            "credential": content["credential"],
            "credential_status": credential_status,
            "suppressed": bool(content.get("suppressed", False)),
            "evidence": evidence,
        }
    )


def decide_changes(
    findings: Iterable[Finding],
    announced: Mapping[str, str],
    credential_status: Mapping[tuple[str, str], str],
) -> list[Change]:
    """The events one scope's decision makes. ``announced``: finding id → the fingerprint last
    sent; ``credential_status``: (identity id, credential id) → active | inactive, as this run saw."""
    changes = []
    for finding in findings:
        if finding.carried:
            continue
        status = credential_status.get((finding.identity, finding.credential)) if finding.credential else None
        current = fingerprint(finding.model_dump(mode="json"), status)
        if finding.status == "resolved":
            changes.append(Change(finding, Activity.CLOSE, announced.get(finding.id, current)))
        elif finding.status == "new" or finding.id not in announced:
            changes.append(Change(finding, Activity.CREATE, current))
        elif announced[finding.id] != current:
            changes.append(Change(finding, Activity.UPDATE, current))
    return changes


def finding_status(activity: Activity, content: Mapping[str, Any]) -> FindingStatus:
    """The seam for accepted risks: a finding the document marks ``suppressed`` (issue 13's
    contract) is Suppressed until it resolves."""
    if activity is Activity.CLOSE:
        return FindingStatus.RESOLVED
    return FindingStatus.SUPPRESSED if content.get("suppressed") else FindingStatus.NEW


@dataclass(frozen=True)
class FindingTimes:
    event: datetime  # when this event was decided
    first_seen: datetime | None  # when a listing first showed the finding (this time around)
    last_seen: datetime | None  # the latest listing that showed it


def detection_finding(
    content: Mapping[str, Any],
    activity: Activity,
    uid: str,
    times: FindingTimes,
    credential_status: str | None = None,
) -> dict[str, Any]:
    """One finding change as an OCSF Detection Finding. ``content`` is a finding as the run's
    JSON document shows it (SPEC §6); ``uid`` its ``metadata.uid``."""
    rule = RULES_BY_ID.get(content["rule"])
    title = rule.title if rule else content["rule"]
    status = finding_status(activity, content)
    severity = content["severity"]
    event = DetectionFinding(
        activity_id=activity.id,
        activity_name=activity.value,
        type_uid=2004 * 100 + activity.id,
        type_name=f"Detection Finding: {activity.value}",
        severity_id=_SEVERITY_ID[severity],
        severity=severity.capitalize(),
        status_id=status.id,
        status=status.value,
        time=_ms(times.event),
        message=content["message"],
        metadata=Metadata(
            uid=uid,
            correlation_uid=content["id"],
            product=PRODUCT,
            version=OCSF_VERSION,
            profiles=["cloud"],
        ),
        finding_info=FindingInformation(
            uid=content["id"],
            title=title,
            desc=content["message"],
            types=[content["rule"], *([content["reason"]] if content["reason"] else [])],
            created_time=_optional_ms(times.first_seen),
            first_seen_time=_optional_ms(times.first_seen),
            last_seen_time=_optional_ms(times.last_seen),
            modified_time=_ms(times.event),
            analytic=Analytic(uid=content["rule"], name=title, type_id=1, type="Rule"),
        ),
        resources=[_resource(content, credential_status)],
        cloud=_cloud(content),
        remediation=Remediation(desc=remediation(content)),
        unmapped={
            "partner": content["partner"],
            "owner": content["owner"],
            "rule": content["rule"],
            "reason": content["reason"],
            "connector": content["connector"],
            "scope": content["scope"],
            "credential": content["credential"],
            "credential_status": credential_status,
            "evidence": content.get("evidence", {}),
            **({"suppression": content["suppression"]} if content.get("suppression") else {}),
        },
    )
    body: dict[str, Any] = event.model_dump(mode="json", exclude_none=True)
    body["compliance"] = _compliance(content["frameworks"], passed=activity is Activity.CLOSE)
    return body


def remediation(content: Mapping[str, Any]) -> str:
    """The rule's remediation, said of this finding: which credential of which identity where,
    the partner's part in it and who must act."""
    subject = (
        f"{content['identity_kind']} {content['identity_name']} ({content['identity']}) "
        f"in {content['provider']} {content['scope']}"
    )
    target = f"credential {content['credential']} of {subject}" if content["credential"] else subject
    parts = [f"{target}: {content['remediation']}"]
    partner = content["partner"]
    if partner and content["reason"] == "partner-offboarded":
        parts.append(f"Partner {partner} is offboarded: revoke it now, nothing of theirs should still work.")
    elif partner:
        parts.append(f"It is held for partner {partner}: agree the change with them before revoking.")
    owner = content["owner"]
    parts.append(
        f"Accountable owner: {owner}."
        if owner
        else "No accountable owner: assign one in the registry (an assignment or an owner tag)."
    )
    return " ".join(parts)


def _resource(content: Mapping[str, Any], credential_status: str | None) -> ResourceDetails:
    owner = content["owner"]
    credential = content["credential"]
    return ResourceDetails(
        uid=content["identity"],
        name=content["identity_name"],
        type=content["identity_kind"],
        cloud_partition=_aws_partition(content["identity"]) if content["provider"] == "aws" else None,
        owner=_owner(owner) if owner else None,
        labels=[f"partner:{content['partner']}"] if content["partner"] else None,
        data={
            "scope": content["scope"],
            "credential": {"uid": credential, "status": credential_status} if credential else None,
        },
    )


def _owner(owner: str) -> User:
    """The accountable owner from the registry (an id, an email recommended). py-ocsf-models
    requires a user's account, which OCSF leaves optional: the registry identity is that account."""
    return User(
        uid=owner,
        name=owner,
        email_addr=owner if "@" in owner else None,
        type_id=1,
        type="User",
        account=Account(uid=owner, name=owner, type_id=AccountType.Other, type="partner-nhi registry owner"),
    )


def _cloud(content: Mapping[str, Any]) -> Cloud:
    provider = content["provider"]
    type_id, caption = _SCOPE_ACCOUNTS.get(provider, (AccountType.Other, f"{provider} scope"))
    return Cloud(
        provider=_CLOUD_NAMES.get(provider, provider),
        account=Account(uid=content["scope"], name=content["scope"], type_id=type_id, type=caption),
    )


def _aws_partition(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[1] if len(parts) > 2 and parts[0] == "arn" else None


def _compliance(frameworks: Mapping[str, Sequence[str]], passed: bool) -> dict[str, Any]:
    """One OCSF compliance object: both standards, every requirement, and one check per
    requirement naming its standard; Fail while the finding is open, Pass once it closes."""
    status = ComplianceStatus.Pass if passed else ComplianceStatus.Fail
    checks = [
        Check(uid=requirement, name=requirement, standards=[standard], status=status.name, status_id=status)
        for standard, requirements in frameworks.items()
        for requirement in requirements
    ]
    compliance = Compliance(
        standards=list(frameworks),
        requirements=[check.uid for check in checks],
        checks=checks,
        status_id=status,
    )
    body: dict[str, Any] = compliance.model_dump(mode="json", exclude_none=True)
    return body


# -- the run's health ---------------------------------------------------------------------


@dataclass(frozen=True)
class ScopeHealth:
    connector: str
    scope: str
    status: str  # complete | partial | failed | skipped
    error: str | None


@dataclass(frozen=True)
class RunHealth:
    run_id: str
    command: str
    status: str  # complete | partial | failed
    error: str | None
    started: datetime
    finished: datetime | None
    scopes: Sequence[ScopeHealth]
    identities: int
    open_findings: int
    resolved_findings: int

    @property
    def incomplete(self) -> list[ScopeHealth]:
        return [scope for scope in self.scopes if scope.status != "complete"]


SCAN_TYPE = "Cloud identity inventory"  # OCSF scan type_id 99 (Other): none of its types fits
_RUN_SEVERITY = {"complete": (1, "Informational"), "partial": (3, "Medium"), "failed": (4, "High")}


def scan_activity(health: RunHealth, uid: str, time: datetime) -> dict[str, Any]:
    """The run's health as OCSF Scan Activity (6007): Completed when the run finished (status
    Failure when it was partial), Error when it failed, Cancelled when it was interrupted. Every
    scope that was not complete is named, with why: "we could not look" is a finding of its own."""
    activity_id, activity = (2, "Completed")
    if health.status == "failed":
        activity_id, activity = (3, "Cancelled") if health.error == "interrupted" else (6, "Error")
    severity_id, severity = _RUN_SEVERITY.get(health.status, (4, "High"))
    success = health.status == "complete"
    base = BaseEvent(
        metadata=Metadata(uid=uid, correlation_uid=health.run_id, product=PRODUCT, version=OCSF_VERSION),
        message=_health_message(health),
        severity_id=severity_id,
        severity=severity,
        status_id=1 if success else 2,
        status="Success" if success else "Failure",
        status_detail=health.status,
        unmapped={
            "run_status": health.status,
            "run_error": health.error,
            "incomplete_scopes": [
                {"connector": s.connector, "scope": s.scope, "status": s.status, "error": s.error}
                for s in health.incomplete
            ],
        },
    )
    body: dict[str, Any] = base.model_dump(mode="json", exclude_none=True)
    body.update(
        {
            "category_uid": 6,
            "category_name": "Application Activity",
            "class_uid": 6007,
            "class_name": "Scan Activity",
            "activity_id": activity_id,
            "activity_name": activity,
            "type_uid": 6007 * 100 + activity_id,
            "type_name": f"Scan Activity: {activity}",
            "time": _ms(time),
            "start_time": _ms(health.started),
            "scan": {"uid": health.run_id, "name": f"partner-nhi {health.command}", "type_id": 99, "type": SCAN_TYPE},
            "total": health.identities,
            "num_detections": health.open_findings,
            "num_resolutions": health.resolved_findings,
            "num_skipped_items": len(health.incomplete),
        }
    )
    if health.finished is not None:
        body["end_time"] = _ms(health.finished)
        body["duration"] = _ms(health.finished) - _ms(health.started)
    return body


def _health_message(health: RunHealth) -> str:
    head = f"partner-nhi run {health.run_id} {health.status}"
    if health.status == "failed" and health.error:
        head += f": {health.error}"
    missing = health.incomplete
    if not missing:
        return f"{head}: {len(health.scopes)} scope(s) scanned, every one complete"
    named = "; ".join(f"{s.connector}:{s.scope} {s.status}" + (f" ({s.error})" if s.error else "") for s in missing)
    return f"{head}: could not look at {len(missing)} of {len(health.scopes)} scope(s): {named}"


def _ms(value: datetime) -> int:
    """OCSF ``timestamp_t``: milliseconds since the epoch."""
    return int(value.timestamp() * 1000)


def _optional_ms(value: datetime | None) -> int | None:
    return _ms(value) if value is not None else None
