"""One tenant's fetched objects into :class:`Identity` records.

An app registration and its home-tenant service principal are one workload:
they become one ``azure-app`` identity (id = application object id, aliases =
appId and the service principal's object id), carrying the secrets of both,
the service principal's ``accountEnabled``, tags, owners and role
assignments. Separate identities are made for:

- managed identities (``azure-managed-identity``), always;
- home-tenant service principals without an app registration
  (``azure-service-principal``), when every application could be read;
- service principals of other tenants (partners' multi-tenant apps, Microsoft's
  first-party apps) only when they hold a role on a scanned subscription and
  ``third_party_apps`` is on (the default); their ``source`` is that subscription's
  role-assignment unit, since that listing is why they are reported. Third-party apps
  are otherwise the m365 connector's: set ``third_party_apps: false`` when it scans the
  tenant too, so each is reported once (``docs/m365.md``).

Every record is read through the engine's ``Units.transform``: a malformed
application, service principal or credential costs that record (its unit
becomes partial, the error names it), never the tenant. Each identity names
every unit whose data shaped it (``also_from``): an application relies on the
service-principal listing too (its principal's ``accountEnabled``, secrets,
owners), a home principal reported as unregistered on the application listing,
a third-party principal on the service-principal listing and every
subscription's role assignments. It is gone only when all of them completed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from partner_nhi.connectors.azure import applications, federated
from partner_nhi.connectors.microsoft import service_principals
from partner_nhi.connectors.microsoft.attributes import owner_hints, parse_tags
from partner_nhi.connectors.microsoft.credentials import JSON, federated_credentials, secrets_and_certificates
from partner_nhi.connectors.microsoft.role_assignments import Grant, role_entitlements, unit_name
from partner_nhi.connectors.microsoft.sign_ins import Activity
from partner_nhi.connectors.microsoft.times import parse_time, require
from partner_nhi.contract import Affiliation, Credential, Identity, Units

PROVIDER = "azure"
MANAGED_IDENTITY = "ManagedIdentity"


@dataclass(frozen=True)
class TenantObjects:
    """Everything fetched for one tenant (Graph JSON); ``None`` where a listing failed."""

    tenant_id: str
    now: datetime
    applications: list[JSON] | None
    service_principals: list[JSON] | None
    federated: dict[str, list[JSON]] = field(default_factory=dict)  # by app object id
    activity: Activity = field(default_factory=Activity)
    grants: dict[str, list[Grant]] = field(default_factory=dict)  # by principal object id
    subscriptions: tuple[str, ...] = ()  # whose role-assignment units were read
    microsoft_tenants: frozenset[str] = frozenset()
    third_party_apps: bool = True  # report other tenants' principals that hold a role (else m365 owns them)


@dataclass(frozen=True)
class Principal:
    """A service principal whose fields this connector relies on could be read."""

    raw: JSON
    id: str
    app_id: str
    owner_tenant: str  # lower case; "" when Graph gives none
    credentials: tuple[Credential, ...]


def build_identities(objects: TenantObjects, units: Units) -> list[Identity]:
    principals = units.transform(
        service_principals.UNIT,
        objects.service_principals or [],
        lambda sp: _principal(objects, units, sp),
        _principal_label,
    )
    home = objects.tenant_id.lower()
    by_app_id = {p.app_id.lower(): p for p in principals if p.owner_tenant == home}
    raw_apps = objects.applications or []
    result = units.transform(
        applications.UNIT,
        raw_apps,
        lambda app: _application(objects, units, app, by_app_id.get(str(app.get("appId")).lower())),
        _application_label,
    )
    # Unregistered home principals are decided against the application listing: only when it
    # was read whole (an application without an appId could be any principal's registration).
    registrations = (
        {str(app["appId"]).lower() for app in raw_apps}
        if objects.applications is not None and all(app.get("appId") for app in raw_apps)
        else None
    )
    for principal in principals:
        kind = _standalone_kind(objects, principal, registrations)
        if kind is not None:
            result.append(_service_principal(objects, principal, kind))
    return result


def _principal_label(sp: JSON) -> str:
    return f"servicePrincipal {sp.get('id')} ({sp.get('displayName')})"


def _application_label(app: JSON) -> str:
    return f"application {app.get('id')} ({app.get('displayName')})"


def _principal(objects: TenantObjects, units: Units, sp: JSON) -> Principal:
    sp_id, app_id = require(sp, "id"), require(sp, "appId")
    credentials = secrets_and_certificates(
        units, sp, _principal_label(sp), service_principals.UNIT, objects.now, objects.activity.key
    )
    owner_tenant = str(sp.get("appOwnerOrganizationId") or "").lower()
    return Principal(sp, sp_id, app_id, owner_tenant, tuple(credentials))


def _standalone_kind(objects: TenantObjects, principal: Principal, registrations: set[str] | None) -> str | None:
    if principal.raw.get("servicePrincipalType") == MANAGED_IDENTITY:
        return "azure-managed-identity"
    if principal.owner_tenant == objects.tenant_id.lower():
        unregistered = registrations is not None and principal.app_id.lower() not in registrations
        return "azure-service-principal" if unregistered else None
    return "azure-service-principal" if objects.third_party_apps and _grants(objects, principal.id) else None


def _grants(objects: TenantObjects, principal_id: str | None) -> list[Grant]:
    return objects.grants.get((principal_id or "").lower(), [])


def _roles(grants: list[Grant]) -> dict[str, Any]:
    """What its role assignments let it touch: for severity, evidence and (by id) revocation."""
    return {
        "privileged": any(g.privileged for g in grants),
        "permissions": tuple(sorted({g.describe() for g in grants})),
        "entitlements": tuple(role_entitlements(grants)),
    }


def _application(objects: TenantObjects, units: Units, app: JSON, principal: Principal | None) -> Identity:
    """``principal`` is the app's home-tenant service principal, ``None`` when it has none."""
    app_object_id, app_id = require(app, "id"), require(app, "appId")
    created = parse_time(app.get("createdDateTime"), "createdDateTime")
    label = _application_label(app)
    sp = principal.raw if principal is not None else {}
    credentials = secrets_and_certificates(units, app, label, applications.UNIT, objects.now, objects.activity.key)
    credentials += principal.credentials if principal is not None else ()
    credentials += federated_credentials(units, objects.federated.get(app_object_id, []), label, federated.UNIT)
    affiliations = [Affiliation(kind="azure-app", value=app_id)]
    if app.get("publisherDomain"):
        affiliations.append(Affiliation(kind="publisher-domain", value=app["publisherDomain"]))
    return Identity(
        id=app_object_id,
        provider=PROVIDER,
        kind="azure-app",
        scope=objects.tenant_id,
        name=app.get("displayName") or app_id,
        source=applications.UNIT,
        also_from=(service_principals.UNIT,),  # its principal's accountEnabled, secrets, owners
        aliases=tuple(a for a in (app_id, principal.id if principal else None) if a),
        created=created,
        last_used=objects.activity.app(app_id),
        enabled=sp.get("accountEnabled") is not False,  # a disabled SP cannot sign in here
        tags=parse_tags(app.get("tags"), sp.get("tags")),
        affiliations=tuple(affiliations),
        owner_hints=owner_hints(app.get("owners"), sp.get("owners")),
        credentials=tuple(credentials),
        details=_details(
            app_id=app_id,
            sign_in_audience=app.get("signInAudience"),
            publisher_domain=app.get("publisherDomain"),
            service_principal_id=principal.id if principal else None,
        ),
        **_roles(_grants(objects, principal.id if principal else None)),
    )


def _service_principal(objects: TenantObjects, principal: Principal, kind: str) -> Identity:
    sp, app_id, owner_tenant = principal.raw, principal.app_id, principal.owner_tenant
    managed = kind == "azure-managed-identity"
    microsoft = owner_tenant in {t.lower() for t in objects.microsoft_tenants}
    grants = _grants(objects, principal.id)
    foreign = not managed and owner_tenant != objects.tenant_id.lower()
    affiliations: list[Affiliation] = []
    if not managed:
        # the appId identifies the app (registry azure_app_ids); the party is its tenant
        affiliations.append(Affiliation(kind="azure-app", value=app_id))
        if owner_tenant:
            affiliations.append(
                Affiliation(kind="azure-tenant", value=owner_tenant, external=foreign and not microsoft)
            )
    if foreign:  # reported because of its role assignments: any subscription's listing may be why
        role_units = [unit_name(s) for s in objects.subscriptions]
        source, also_from = unit_name(grants[0].subscription_id), (service_principals.UNIT, *role_units)
    elif managed:
        source, also_from = service_principals.UNIT, ()
    else:  # a home principal is "unregistered" on the strength of the application listing
        source, also_from = service_principals.UNIT, (applications.UNIT,)
    return Identity(
        id=principal.id,
        provider=PROVIDER,
        kind=kind,
        scope=objects.tenant_id,
        name=sp.get("displayName") or app_id,
        source=source,
        also_from=tuple(u for u in also_from if u != source),
        aliases=(app_id,),
        last_used=objects.activity.app(app_id),
        enabled=sp.get("accountEnabled") is not False,
        provider_managed=microsoft and not managed,
        publisher_verified=None if managed else bool((sp.get("verifiedPublisher") or {}).get("verifiedPublisherId")),
        tags=parse_tags(sp.get("tags")),
        affiliations=tuple(affiliations),
        owner_hints=owner_hints(sp.get("owners")),
        credentials=principal.credentials,
        details=_details(
            app_id=app_id,
            app_owner_tenant=owner_tenant or None,
            service_principal_type=sp.get("servicePrincipalType"),
            verified_publisher=(sp.get("verifiedPublisher") or {}).get("displayName"),
            **_managed_identity(sp.get("alternativeNames")) if managed else {},
        ),
        **_roles(grants),
    )


def _managed_identity(alternative_names: Iterable[str] | None) -> dict[str, Any]:
    names = list(alternative_names or [])
    resource = next((n for n in names if n.startswith("/subscriptions/")), None)
    explicit = "isExplicit=True" in names
    return {"managed_identity": "user-assigned" if explicit else "system-assigned", "resource_id": resource}


def _details(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}
