"""The external identity providers a project's workload identity pools trust (IAM REST
API only: ``projects.locations.workloadIdentityPools`` and ``.providers``; no Python client).

Each provider is an identity of its own: the door through which workloads of another
system (GitHub Actions, GitLab, another cloud's account, a SAML IdP) act in the
customer's project. Its credential is the federation itself; when the provider has no
attribute condition (Google: "If unspecified, all valid authentication credential are
accepted") it admits any workload of its issuer, which the federated-trust-too-broad rule
reports (``Credential.admits_many``). A provider
trusting an AWS account is affiliated to that account (a registered partner's is
attributed to it); an OIDC provider to its issuer.
"""

from __future__ import annotations

from typing import Any

from partner_nhi.connectors.gcp.clients import GcpClients
from partner_nhi.connectors.gcp.context import ProjectContext
from partner_nhi.connectors.gcp.coverage import WORKLOAD_PROVIDERS
from partner_nhi.connectors.gcp.paging import get_all
from partner_nhi.contract import Affiliation, Credential, CredentialKind, Identity, LastUse, Units

PAGE_SIZE = 100  # the API's maximum for both listings
NO_CONDITION = "any workload its issuer vouches for: the provider has no attribute condition"

Pooled = tuple[dict[str, Any], dict[str, Any]]  # (pool, provider), as the API returns them


def list_providers(clients: GcpClients, project: str) -> list[Pooled]:
    """Every provider of every (not deleted) pool of ``project``."""
    pools_path = f"/v1/projects/{project}/locations/global/workloadIdentityPools"
    pools = get_all(clients.iam_rest, pools_path, "workloadIdentityPools", PAGE_SIZE)
    pooled: list[Pooled] = []
    for pool in pools:
        providers = get_all(
            clients.iam_rest, f"/v1/{pool['name']}/providers", "workloadIdentityPoolProviders", PAGE_SIZE
        )
        pooled += [(pool, provider) for provider in providers]
    return pooled


def build_providers(pooled: list[Pooled], context: ProjectContext, units: Units) -> list[Identity]:
    """Each provider through the engine's transform: one that cannot be read costs itself."""
    return units.transform(WORKLOAD_PROVIDERS, pooled, lambda item: normalize_provider(*item, context), _label)


def _label(item: Pooled) -> str:
    return str(item[1]["name"])


def normalize_provider(pool: dict[str, Any], provider: dict[str, Any], context: ProjectContext) -> Identity:
    """A provider is usable while it and its pool are enabled: tokens it already exchanged
    keep working until they expire, as Google notes for a disabled provider."""
    name = provider["name"]
    protocol, issuer, affiliations = _trusted(provider)
    condition = (provider.get("attributeCondition") or "").strip()
    enabled = not provider.get("disabled", False) and not pool.get("disabled", False)
    details = {
        "pool": pool["name"],
        "protocol": protocol,
        "display_name": provider.get("displayName"),
        "description": provider.get("description"),
        "attribute_condition": condition or None,
        "attribute_mapping": provider.get("attributeMapping"),
        "allowed_audiences": (provider.get("oidc") or {}).get("allowedAudiences"),
        "pool_disabled": pool.get("disabled") or None,
    }
    return Identity(
        id=name,
        provider="gcp",
        kind="gcp-workload-identity-provider",
        scope=context.project,
        name=f"{name.split('/')[-3]}/{name.split('/')[-1]}",
        source=WORKLOAD_PROVIDERS,
        last_used=LastUse.unknown("not exposed for workload identity providers"),
        enabled=enabled,
        affiliations=affiliations,
        credentials=(
            Credential(
                id=name,
                kind=CredentialKind.FEDERATED,
                active=enabled,
                display=issuer,
                admits_many=None if condition else NO_CONDITION,
                source=WORKLOAD_PROVIDERS,
            ),
        ),
        details={k: v for k, v in details.items() if v is not None},
    )


def _trusted(provider: dict[str, Any]) -> tuple[str | None, str, tuple[Affiliation, ...]]:
    """Who the provider trusts: its protocol, a name for the trusted party, and the parties
    it ties the provider to."""
    if "oidc" in provider:
        issuer = provider["oidc"]["issuerUri"]
        return "oidc", issuer, (Affiliation(kind="oidc", value=issuer, external=True),)
    if "aws" in provider:
        account = provider["aws"]["accountId"]
        return "aws", f"AWS account {account}", (Affiliation(kind="aws-account", value=account, external=True),)
    if "saml" in provider:
        return "saml", "a SAML identity provider", (Affiliation(kind="saml", value=provider["name"], external=True),)
    return None, "an identity provider of another kind", ()
