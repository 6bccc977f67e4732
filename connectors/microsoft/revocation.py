"""Azure CLI revocation steps both Microsoft connectors emit: disabling a service principal,
deleting its role assignments and the secrets and certificates it holds in the tenant."""

from __future__ import annotations

from collections.abc import Iterable

from partner_nhi.contract import Credential, CredentialKind, Entitlement, EntitlementKind, RevocationStep


class Steps:
    """Builds the steps of one identity: ``az`` commands scoped to its provider and tenant."""

    def __init__(self, provider: str, scope: str) -> None:
        self.provider = provider
        self.scope = scope

    def step(self, action: str, argv: list[str], revokes: str, reversible: bool) -> RevocationStep:
        return RevocationStep(
            action=action,
            argv=("az", *argv),
            provider=self.provider,
            scope=self.scope,
            revokes=revokes,
            reversible=reversible,
        )

    def disable_principal(self, principal_id: str) -> RevocationStep:
        """Immediate and reversible: nobody signs in as it, app-only or on behalf of users."""
        argv = ["ad", "sp", "update", "--id", principal_id, "--set", "accountEnabled=false"]
        return self.step("disable the service principal", argv, principal_id, True)

    def delete_role_assignments(self, entitlements: Iterable[Entitlement]) -> list[RevocationStep]:
        return [
            self.step(
                f"delete role assignment ({e.describe()})", ["role", "assignment", "delete", "--ids", i], i, False
            )
            for e in entitlements
            if e.kind is EntitlementKind.ROLE
            for i in e.ids
        ]

    def delete_credential(self, holder: list[str], credential: Credential) -> RevocationStep:
        """A secret or certificate by keyId; ``holder`` is ``ad app`` or ``ad sp`` with its ``--id``."""
        certificate = ["--cert"] if credential.kind is CredentialKind.CLIENT_CERTIFICATE else []
        argv = [*holder[:2], "credential", "delete", *holder[2:], "--key-id", credential.id, *certificate]
        return self.step(f"delete {credential.kind.value}", argv, credential.id, False)


def principal(principal_id: str) -> list[str]:
    return ["ad", "sp", "--id", principal_id]


def registration(app_id: str) -> list[str]:
    return ["ad", "app", "--id", app_id]
