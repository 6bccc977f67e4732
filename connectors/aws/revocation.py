"""The AWS CLI commands that cut an identity off, for the offboarding sweep."""

from __future__ import annotations

from partner_nhi.contract import CredentialKind, Identity

_DEACTIVATE = {  # the command and the option naming the credential
    CredentialKind.ACCESS_KEY: ("update-access-key", "--access-key-id"),
    CredentialKind.SSH_KEY: ("update-ssh-public-key", "--ssh-public-key-id"),
    CredentialKind.SERVICE_CREDENTIAL: ("update-service-specific-credential", "--service-specific-credential-id"),
    CredentialKind.SIGNING_CERTIFICATE: ("update-signing-certificate", "--certificate-id"),
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
    steps = []
    for credential in identity.credentials:
        if not credential.active:
            continue
        if credential.kind is CredentialKind.CONSOLE_PASSWORD:
            steps.append(f"aws iam delete-login-profile --user-name {identity.name}  {account}")
        elif credential.kind in _DEACTIVATE:
            command, option = _DEACTIVATE[credential.kind]
            steps.append(
                f"aws iam {command} --user-name {identity.name} {option} {credential.id} --status Inactive  {account}"
            )
    return [*steps, f"then delete the user once nothing breaks: aws iam delete-user --user-name {identity.name}"]
