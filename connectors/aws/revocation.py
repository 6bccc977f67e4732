"""The AWS CLI commands that cut an identity off, for the offboarding sweep."""

from __future__ import annotations

from partner_nhi.contract import CredentialKind, Identity, RevocationStep

_CREDENTIAL_COMMANDS = {  # update (to Inactive) and delete commands, and the option naming the credential
    CredentialKind.ACCESS_KEY: ("update-access-key", "delete-access-key", "--access-key-id", "access key"),
    CredentialKind.SSH_KEY: ("update-ssh-public-key", "delete-ssh-public-key", "--ssh-public-key-id", "SSH key"),
    CredentialKind.SERVICE_CREDENTIAL: (
        "update-service-specific-credential",
        "delete-service-specific-credential",
        "--service-specific-credential-id",
        "service-specific credential",
    ),
    CredentialKind.SIGNING_CERTIFICATE: (
        "update-signing-certificate",
        "delete-signing-certificate",
        "--certificate-id",
        "signing certificate",
    ),
}


def revocation_steps(identity: Identity) -> list[RevocationStep]:
    def step(action: str, argv: list[str], revokes: str, reversible: bool) -> RevocationStep:
        return RevocationStep(
            action=action,
            argv=("aws", "iam", *argv),
            provider="aws",
            scope=identity.scope,
            revokes=revokes,
            reversible=reversible,
        )

    if identity.kind == "aws-role":
        return [step("delete role once unused", ["delete-role", "--role-name", identity.name], identity.id, False)]
    user = ["--user-name", identity.name]
    deactivate, delete = [], []
    for credential in identity.credentials:
        if credential.kind is CredentialKind.CONSOLE_PASSWORD and credential.active:
            delete.append(step("delete console password", ["delete-login-profile", *user], credential.id, False))
        elif credential.kind in _CREDENTIAL_COMMANDS:
            update, remove, option, noun = _CREDENTIAL_COMMANDS[credential.kind]
            naming = [*user, option, credential.id]
            if credential.active:
                deactivate.append(
                    step(f"deactivate {noun}", [update, *naming, "--status", "Inactive"], credential.id, True)
                )
            delete.append(step(f"delete {noun}", [remove, *naming], credential.id, False))
    return [*deactivate, *delete, step("delete user", ["delete-user", *user], identity.id, False)]
