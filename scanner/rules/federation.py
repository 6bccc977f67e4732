"""Federated trust without a subject restriction (OWASP NHI6, NHI4): a workload identity
federation, OIDC trust or federated credential that accepts any token its issuer signs.
With a shared issuer (GitHub Actions, GitLab, Terraform Cloud, another cloud), any
repository or tenant of that issuer can then act as the identity."""

from __future__ import annotations

from collections.abc import Iterator

from partner_nhi.records import CredentialKind
from partner_nhi.rules.model import Hit, RuleInput, Verdict


def unrestricted_federation(rule_input: RuleInput) -> Iterator[Verdict]:
    for credential in rule_input.identity.credentials:
        if credential.kind is CredentialKind.FEDERATED and credential.active and credential.unrestricted:
            issuer = credential.display or "its issuer"
            yield Hit(
                f"{rule_input.identity.name} accepts any workload {issuer} vouches for: "
                "no subject or attribute condition restricts it",
                credential=credential.id,
                evidence={"issuer": credential.display},
            )
