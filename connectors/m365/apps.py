"""Third-party apps of one tenant into :class:`Identity` records.

A third-party app is a service principal whose owning tenant (``appOwnerOrganizationId``)
is neither the home tenant nor one of Microsoft's (``microsoft_tenant_ids``), and which is
not a managed identity (decided by ``servicePrincipalType``, whatever tenant it names).
One ``m365-third-party-app`` identity each (id = service principal object id, alias =
appId) carries what it may do (:class:`Entitlement`: delegated scopes, application
permissions, Azure roles where subscriptions are read), its credentials held in this
tenant, its publisher (verified or not), owners recorded in this tenant and last sign-in.

Attribution facts, in the order attribution tries them: the owning tenant
(``azure-tenant``, external: a party the registry must know), the appId (``azure-app``),
then publisher domains: the hosts of the app's identifier URIs, which Entra requires to be
verified domains of the publisher's tenant (and each parent domain, so ``api.acme.example``
also offers ``acme.example``). Home page and reply URLs are anyone's to write: shown in
``details``, never used to attribute.

An app relies on the service-principal listing (it exists), the delegated grants and the
app role assignments (what it may do), and each subscription's role assignments read:
it is gone, and its findings resolve, only when all of them completed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from partner_nhi.connectors.m365.permissions import (
    UNIT_APPLICATION,
    UNIT_DELEGATED,
    DelegatedGrant,
    Resource,
    application_entitlements,
    delegated_entitlements,
)
from partner_nhi.connectors.microsoft import service_principals
from partner_nhi.connectors.microsoft.attributes import owner_hints, parse_tags
from partner_nhi.connectors.microsoft.credentials import secrets_and_certificates
from partner_nhi.connectors.microsoft.role_assignments import Grant, role_entitlements, unit_name
from partner_nhi.connectors.microsoft.sign_ins import Activity
from partner_nhi.connectors.microsoft.times import require
from partner_nhi.contract import Affiliation, EntitlementLevel, Identity, Units

JSON = dict[str, Any]
PROVIDER = "m365"
KIND = "m365-third-party-app"
NOT_APPS = frozenset({"ManagedIdentity", "SocialIdp"})  # service principal types that are no one's app


@dataclass(frozen=True)
class ThirdPartyApp:
    """A service principal this connector owns: read far enough to know it is a third-party app."""

    raw: JSON
    id: str
    app_id: str
    owner_tenant: str


def third_party(sp: JSON, home_tenant: str, microsoft_tenants: frozenset[str]) -> ThirdPartyApp | None:
    """The app when ``sp`` is a third-party app; ``None`` for the tenant's own, Microsoft's, a managed identity."""
    sp_id, app_id = require(sp, "id"), require(sp, "appId")
    if sp.get("servicePrincipalType") in NOT_APPS:
        return None
    owner = str(sp.get("appOwnerOrganizationId") or "").lower()
    if not owner or owner == home_tenant.lower() or owner in microsoft_tenants:
        return None
    return ThirdPartyApp(sp, sp_id, app_id, owner)


def principal_label(sp: JSON) -> str:
    return f"servicePrincipal {sp.get('id')} ({sp.get('displayName')})"


@dataclass(frozen=True)
class TenantApps:
    """What was read about the tenant's third-party apps; ``None`` where a listing failed."""

    tenant_id: str
    now: datetime
    apps: list[ThirdPartyApp]
    grants: dict[str, list[DelegatedGrant]] | None  # by client object id (lower case)
    assignments: dict[str, list[JSON]]  # by principal object id; an app missing here was not read
    resources: dict[str, Resource]
    activity: Activity = field(default_factory=Activity)
    roles: dict[str, list[Grant]] = field(default_factory=dict)  # Azure role assignments by principal
    subscriptions: tuple[str, ...] = ()


def build_apps(objects: TenantApps, units: Units) -> list[Identity]:
    return units.transform(
        service_principals.UNIT,
        objects.apps,
        lambda app: _identity(objects, units, app),
        lambda app: principal_label(app.raw),
    )


def _identity(objects: TenantApps, units: Units, app: ThirdPartyApp) -> Identity:
    sp, label = app.raw, principal_label(app.raw)
    entitlements = [
        *delegated_entitlements((objects.grants or {}).get(app.id.lower(), []), objects.resources),
        *application_entitlements(units, objects.assignments.get(app.id, []), objects.resources, label),
        *role_entitlements(objects.roles.get(app.id.lower(), [])),
    ]
    verified = sp.get("verifiedPublisher") or {}
    uri_hosts = _identifier_uri_hosts(sp.get("servicePrincipalNames"))
    affiliations = [
        Affiliation(kind="azure-tenant", value=app.owner_tenant, external=True),
        Affiliation(kind="azure-app", value=app.app_id),
        *(Affiliation(kind="publisher-domain", value=domain) for domain in _with_parents(uri_hosts)),
    ]
    return Identity(
        id=app.id,
        provider=PROVIDER,
        kind=KIND,
        scope=objects.tenant_id,
        name=sp.get("displayName") or app.app_id,
        source=service_principals.UNIT,
        also_from=(UNIT_DELEGATED, UNIT_APPLICATION, *(unit_name(s) for s in objects.subscriptions)),
        aliases=(app.app_id,),
        last_used=objects.activity.app(app.app_id),
        enabled=sp.get("accountEnabled") is not False,
        privileged=any(e.level is EntitlementLevel.HIGH for e in entitlements),
        permissions=tuple(e.describe() for e in entitlements),
        entitlements=tuple(entitlements),
        publisher_verified=bool(verified.get("verifiedPublisherId")),
        tags=parse_tags(sp.get("tags")),
        affiliations=tuple(affiliations),
        owner_hints=owner_hints(sp.get("owners")),
        credentials=tuple(
            secrets_and_certificates(units, sp, label, service_principals.UNIT, objects.now, objects.activity.key)
        ),
        details={
            k: v
            for k, v in {
                "app_id": app.app_id,
                "app_owner_tenant": app.owner_tenant,
                "verified_publisher": verified.get("displayName"),
                "verified_publisher_id": verified.get("verifiedPublisherId"),
                "sign_in_audience": sp.get("signInAudience"),
                "identifier_uri_hosts": uri_hosts or None,
                "homepage_host": _host(sp.get("homepage")),
                "reply_url_hosts": sorted({h for h in map(_host, sp.get("replyUrls") or []) if h}) or None,
            }.items()
            if v is not None
        },
    )


def _host(url: object) -> str | None:
    if not isinstance(url, str) or "://" not in url:
        return None
    return (urlsplit(url).hostname or "").lower() or None


def _identifier_uri_hosts(names: Iterable[str] | None) -> list[str]:
    """Hosts of the https identifier URIs among a principal's names (its appId and api:// URIs aside)."""
    hosts = [_host(name) for name in names or () if isinstance(name, str) and name.lower().startswith("https://")]
    return sorted({h for h in hosts if h})


def _with_parents(hosts: Iterable[str]) -> list[str]:
    """Each host and its parent domains of two labels or more: ``api.acme.example``, ``acme.example``."""
    domains: list[str] = []
    for host in hosts:
        labels = host.split(".")
        for start in range(len(labels) - 1):
            domain = ".".join(labels[start:])
            if domain not in domains:
                domains.append(domain)
    return domains
