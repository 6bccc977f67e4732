"""The Azure CLI commands that cut an Entra workload identity off, for the offboarding sweep.

In order, reversible first: disable the service principal (nobody signs in as it any
more), then delete each Azure role assignment by id, each client secret and certificate by
keyId (on the app registration or on the service principal, wherever it is held) and each
federated identity credential. A managed identity cannot be disabled and holds no secret:
its role assignments are deleted and a user-assigned one is deleted with them; a
system-assigned one lives and dies with its resource.
"""

from __future__ import annotations

from partner_nhi.connectors.microsoft.revocation import Steps, principal, registration
from partner_nhi.contract import CredentialKind, Identity, RevocationStep

APP_UNIT = "applications"  # credentials listed with the app registration, not its service principal


def revocation_steps(identity: Identity) -> list[RevocationStep]:
    steps = Steps("azure", identity.scope)
    app_id = str(identity.details.get("app_id"))
    managed = identity.kind == "azure-managed-identity"
    principal_id = identity.details.get("service_principal_id") if identity.kind == "azure-app" else identity.id
    result = [steps.disable_principal(str(principal_id))] if principal_id and not managed else []
    result += steps.delete_role_assignments(identity.entitlements)
    for credential in identity.credentials:
        if credential.kind is CredentialKind.FEDERATED:
            argv = ["ad", "app", "federated-credential", "delete", "--id", app_id]
            argv += ["--federated-credential-id", credential.id]
            result.append(steps.step("delete federated identity credential", argv, credential.id, False))
        else:
            holder = registration(app_id) if credential.source == APP_UNIT else principal(str(principal_id))
            result.append(steps.delete_credential(holder, credential))
    resource = identity.details.get("resource_id")
    if managed and identity.details.get("managed_identity") == "user-assigned" and resource:
        argv = ["identity", "delete", "--ids", str(resource)]
        result.append(steps.step("delete the user-assigned managed identity", argv, identity.id, False))
    return result
