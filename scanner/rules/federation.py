"""Keyless trust that is wider than one workload (OWASP NHI4): a federated credential whose
issuer and subject admit more than the workload it was made for. Which subjects are broad
is issuer knowledge, judged by the connector (``Credential.admits_many``, with why)."""

from __future__ import annotations

from collections.abc import Iterator

from partner_nhi.records import CredentialKind
from partner_nhi.rules.model import Hit, RuleInput, Verdict


def federated_trust_too_broad(rule_input: RuleInput) -> Iterator[Verdict]:
    for credential in rule_input.identity.credentials:
        if credential.kind is CredentialKind.FEDERATED and credential.active and credential.admits_many:
            yield Hit(
                f"federated credential {credential.id} ({credential.display}) admits {credential.admits_many}",
                credential=credential.id,
                evidence={"federation": credential.display, "admits": credential.admits_many},
            )
