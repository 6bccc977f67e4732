"""Parse IAM policy member strings and service-account emails.

Member forms (https://cloud.google.com/iam/docs/principal-identifiers):
``user:``, ``group:``, ``serviceAccount:``, ``domain:``, ``allUsers``,
``allAuthenticatedUsers``, ``principal://``, ``principalSet://``, and
``deleted:<type>:<email>?uid=<n>`` for a principal deleted while still bound.

GKE workloads (Workload Identity Federation for GKE) are members of the pool
``PROJECT_ID.svc.id.goog`` of the project that runs the cluster, in two forms: the
legacy ``serviceAccount:PROJECT_ID.svc.id.goog[NAMESPACE/KSA]`` and
``principal://iam.googleapis.com/projects/PROJECT_NUMBER/locations/global/
workloadIdentityPools/PROJECT_ID.svc.id.goog/subject/ns/NAMESPACE/sa/KSA`` (or a
``principalSet://`` of that pool: a namespace, a cluster). They belong to whoever
owns that project: the customer's own workloads when it is the customer's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SA_DOMAIN = ".iam.gserviceaccount.com"
_DEFAULT_SA_DOMAINS = ("developer.gserviceaccount.com", "appspot.gserviceaccount.com")
_AGENT_LOCAL = re.compile(r"^(service-(org-|folder-)?\d+|\d+)$")
PUBLIC_MEMBERS = frozenset({"allUsers", "allAuthenticatedUsers"})
_GKE_POOL = r"(?P<project>[^/\[\]]+)\.svc\.id\.goog"
_GKE_LEGACY = re.compile(rf"^{_GKE_POOL}\[(?P<workload>[^\]]+)\]$")
_GKE_PRINCIPAL = re.compile(
    rf"^principal(Set)?://iam\.googleapis\.com/projects/\d+/locations/global/workloadIdentityPools/{_GKE_POOL}/(?P<workload>.+)$"
)
_GKE_SUBJECT = re.compile(r"^subject/ns/(?P<namespace>[^/]+)/sa/(?P<account>[^/]+)$")
_POOL_SUBJECT = re.compile(
    r"^principal://iam\.googleapis\.com/projects/\d+/locations/global/workloadIdentityPools/[^/]+/subject/(?P<subject>.+)$"
)


@dataclass(frozen=True)
class Member:
    raw: str  # exactly as the policy has it: the identity's id
    type: str  # user | group | serviceAccount | domain | public | principal | gke-workload | unknown
    value: str  # the email, domain, ``allUsers`` or principal URI
    deleted: bool = False
    uid: str | None = None  # a deleted principal's numeric id
    cluster_project: str | None = None  # a GKE workload's: the project whose clusters run it
    workload: str | None = None  # and which: ``NAMESPACE/KSA``, or the set (``namespace/NS``)
    subject: str | None = None  # a workload identity pool principal's subject (an OIDC ``sub``)

    @property
    def email(self) -> str | None:
        return self.value if "@" in self.value else None

    @property
    def domain(self) -> str | None:
        if self.type == "domain":
            return self.value
        return self.value.rpartition("@")[2] if "@" in self.value else None


def parse_member(raw: str) -> Member:
    if raw in PUBLIC_MEMBERS:
        return Member(raw, "public", raw)
    if raw.startswith(("principal://", "principalSet://")):
        gke = _GKE_PRINCIPAL.match(raw)
        if gke is None:
            pool = _POOL_SUBJECT.match(raw)
            return Member(raw, "principal", raw, subject=pool["subject"] if pool else None)
        subject = _GKE_SUBJECT.match(gke["workload"])
        workload = f"{subject['namespace']}/{subject['account']}" if subject else gke["workload"]
        return Member(raw, "gke-workload", raw, cluster_project=gke["project"], workload=workload)
    deleted = raw.startswith("deleted:")
    kind, _, value = raw.removeprefix("deleted:").partition(":")
    value, _, uid = value.partition("?uid=")
    if kind not in ("user", "group", "serviceAccount", "domain") or not value:
        return Member(raw, "unknown", raw, deleted)
    legacy = _GKE_LEGACY.match(value) if kind == "serviceAccount" else None
    if legacy is not None:
        return Member(raw, "gke-workload", value, deleted, uid or None, legacy["project"], legacy["workload"])
    return Member(raw, kind, value.lower(), deleted, uid or None)


def account_id(email: str) -> str:
    """``acme-deployer`` of ``acme-deployer@proj.iam.gserviceaccount.com``."""
    return email.partition("@")[0]


def home_project(email: str) -> str | None:
    """The project id a service account belongs to, when its email says so.

    ``N-compute@developer.gserviceaccount.com`` names a project number, and
    Google's service agents belong to Google: both give None.
    """
    local, _, domain = email.lower().partition("@")
    if is_service_agent(email):
        return None
    if domain.endswith(_SA_DOMAIN):
        return domain.removesuffix(_SA_DOMAIN)
    if domain == "appspot.gserviceaccount.com":
        return local
    return None


def is_service_agent(email: str) -> bool:
    """A Google-managed service agent (``service-123@gcp-sa-pubsub...``,
    ``123@cloudservices.gserviceaccount.com``): Google's, not a partner's."""
    local, _, domain = email.lower().partition("@")
    if _AGENT_LOCAL.match(local):
        return True
    return (
        domain.endswith(".gserviceaccount.com")
        and not domain.endswith(_SA_DOMAIN)
        and domain not in _DEFAULT_SA_DOMAINS
    )
