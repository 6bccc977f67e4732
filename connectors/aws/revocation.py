"""The AWS CLI commands that cut an identity off, for the offboarding sweep (pure).

In order: what can be undone first (deactivate credentials, take external accounts out of a
role's trust, detach policies), then what cannot (delete). Each step is an argv, shell-quoted
for display by the core, naming the account it applies to as a field, not in the command.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from partner_nhi.connectors.aws.trust import without_accounts
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


Step = Callable[..., RevocationStep]


def revocation_steps(identity: Identity) -> list[RevocationStep]:
    def step(
        action: str, argv: list[str], revokes: str, reversible: bool, document: str | None = None
    ) -> RevocationStep:
        return RevocationStep(
            action=action,
            argv=("aws", "iam", *argv),
            provider="aws",
            scope=identity.scope,
            revokes=revokes,
            reversible=reversible,
            document=document,
        )

    if identity.kind == "aws-role":
        return _role_steps(identity, step)
    return _user_steps(identity, step)


def _role_steps(identity: Identity, step: Step) -> list[RevocationStep]:
    """Take the external accounts out of the trust (the role keeps working for the customer),
    or delete the role: detach what it holds, then delete it."""
    role = ["--role-name", identity.name]
    undoable = []
    external = {a.value for a in identity.affiliations if a.kind == "aws-account" and a.external}
    trust = identity.details.get("trust_policy")
    if external and isinstance(trust, dict):
        edited, removed = without_accounts(trust, external)
        if removed and edited["Statement"]:
            file = f"{identity.name}-trust.json"
            undoable.append(
                step(
                    f"remove {', '.join(removed)} from the trust policy (save the document as {file})",
                    ["update-assume-role-policy", *role, "--policy-document", f"file://{file}"],
                    ", ".join(removed),
                    True,
                    json.dumps(edited, indent=2),
                )
            )
    detach, delete = _attachments(identity, role, "role", step)
    undoable += detach
    for profile in identity.details.get("instance_profiles", []):
        undoable.append(
            step(
                "remove the role from its instance profile",
                ["remove-role-from-instance-profile", "--instance-profile-name", profile, *role],
                profile,
                True,
            )
        )
    return [*undoable, *delete, step("delete role once unused", ["delete-role", *role], identity.id, False)]


def _user_steps(identity: Identity, step: Step) -> list[RevocationStep]:
    """Deactivate every credential and detach what the user holds; then delete each credential,
    the console password, its inline policies and the user."""
    user = ["--user-name", identity.name]
    undoable, delete = [], []
    for credential in identity.credentials:
        if credential.kind is CredentialKind.CONSOLE_PASSWORD and credential.active:
            delete.append(step("delete console password", ["delete-login-profile", *user], credential.id, False))
        elif credential.kind in _CREDENTIAL_COMMANDS:
            update, remove, option, noun = _CREDENTIAL_COMMANDS[credential.kind]
            naming = [*user, option, credential.id]
            if credential.active:
                undoable.append(
                    step(f"deactivate {noun}", [update, *naming, "--status", "Inactive"], credential.id, True)
                )
            delete.append(step(f"delete {noun}", [remove, *naming], credential.id, False))
    for group in identity.details.get("groups", []):
        leave = ["remove-user-from-group", *user, "--group-name", group]
        undoable.append(step("remove the user from a group", leave, group, True))
    detach, delete_inline = _attachments(identity, user, "user", step)
    return [
        *undoable,
        *detach,
        *delete,
        *delete_inline,
        step("delete user", ["delete-user", *user], identity.id, False),
    ]


def _attachments(
    identity: Identity, naming: list[str], entity: str, step: Step
) -> tuple[list[RevocationStep], list[RevocationStep]]:
    """IAM deletes a user or role only once nothing is attached to it: the managed policies to
    detach (undoable) and the inline policies to delete (not)."""
    detach = [
        step("detach managed policy", [f"detach-{entity}-policy", *naming, "--policy-arn", arn], arn, True)
        for arn in identity.details.get("attached_policies", [])
    ]
    delete = [
        step("delete inline policy", [f"delete-{entity}-policy", *naming, "--policy-name", name], name, False)
        for name in identity.details.get("inline_policies", [])
    ]
    return detach, delete
