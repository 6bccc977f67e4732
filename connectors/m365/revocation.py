"""What a human runs to cut a third-party app off, for the offboarding sweep (Azure CLI).

In order: disable the service principal first (immediate, reversible: nobody can sign in
to it, app-only or delegated), then delete each delegated grant and each application
permission (the app would need consent again), each Azure role assignment, and the
secrets and certificates the app holds in this tenant. Graph objects without an ``az``
command of their own are deleted with ``az rest`` on their Microsoft Graph URL.
"""

from __future__ import annotations

from partner_nhi.connectors.microsoft.revocation import Steps, principal
from partner_nhi.contract import EntitlementKind, Identity, RevocationStep

GRAPH = "https://graph.microsoft.com/v1.0"
URLS = {  # the Graph object conferring each kind of entitlement, and its URL
    EntitlementKind.DELEGATED: ("delete delegated grant", "oauth2PermissionGrants/{id}"),
    EntitlementKind.APPLICATION: (
        "delete application permission",
        "servicePrincipals/{principal}/appRoleAssignments/{id}",
    ),
}


def revocation_steps(identity: Identity) -> list[RevocationStep]:
    steps = Steps("m365", identity.scope)
    result = [steps.disable_principal(identity.id)]
    # one delegated grant confers every scope of its space-separated string: delete it once
    conferred: dict[tuple[EntitlementKind, str], list[str]] = {}
    for entitlement in identity.entitlements:
        if entitlement.kind in URLS:
            for object_id in entitlement.ids:
                conferred.setdefault((entitlement.kind, object_id), []).append(entitlement.describe())
    for (kind, object_id), what in conferred.items():
        action, path = URLS[kind]
        url = f"{GRAPH}/{path.format(principal=identity.id, id=object_id)}"
        result.append(
            steps.step(f"{action} ({'; '.join(what)})", ["rest", "--method", "DELETE", "--url", url], object_id, False)
        )
    result += steps.delete_role_assignments(identity.entitlements)
    result += [steps.delete_credential(principal(identity.id), c) for c in identity.credentials]
    return result
