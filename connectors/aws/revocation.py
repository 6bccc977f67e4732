"""The AWS CLI commands that cut an identity off, for the offboarding sweep."""

from __future__ import annotations

from scanner.records import CredentialKind, Identity

_DISABLE = {
    CredentialKind.ACCESS_KEY: "aws iam update-access-key --user-name {user} --access-key-id {id} --status Inactive",
    CredentialKind.SSH_KEY: "aws iam update-ssh-public-key --user-name {user} --ssh-public-key-id {id} --status Inactive",
    CredentialKind.SERVICE_CREDENTIAL: (
        "aws iam update-service-specific-credential --user-name {user} --service-specific-credential-id {id} --status Inactive"
    ),
    CredentialKind.SIGNING_CERTIFICATE: (
        "aws iam update-signing-certificate --user-name {user} --certificate-id {id} --status Inactive"
    ),
    CredentialKind.CONSOLE_PASSWORD: "aws iam delete-login-profile --user-name {user}",
}


def revocation_steps(identity: Identity) -> list[str]:
    account = f"(in account {identity.scope})"
    if identity.kind == "aws-role":
        external = [a.value for a in identity.affiliations if a.external]
        return [
            f"remove {', '.join(external) or 'the partner'} from the trust policy {account}: "
            f"aws iam update-assume-role-policy --role-name {identity.name} --policy-document file://trust.json",
            f"or delete the role once unused: aws iam delete-role --role-name {identity.name}",
        ]
    steps = [
        _DISABLE[c.kind].format(user=identity.name, id=c.id) + f"  {account}"
        for c in identity.credentials
        if c.active and c.kind in _DISABLE
    ]
    return steps + [f"then delete the user once nothing breaks: aws iam delete-user --user-name {identity.name}"]
