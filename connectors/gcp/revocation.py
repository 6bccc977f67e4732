"""The gcloud commands that cut a partner's holding off, for the offboarding sweep.

A workload identity provider trusting a partner (its AWS account, say): disable it, so
the partner's workloads can exchange no new token.

A service account of the customer's attributed to a partner: disable each user-managed
key, disable the account (both reversible: `gcloud ... enable`), then delete each key
(irreversible: Google recommends disabling first and deleting once nothing breaks). A
member from outside (a partner's user, group, domain, another project's service account,
a deleted principal, a partner's GKE workload or pool identity): remove each of its
bindings exactly as it stands (member, role and condition) on the project, folder or
organisation that holds it. The binding can be added back, so removing it is reversible.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from partner_nhi.contract import CredentialKind, Identity, RevocationStep

_BINDING_HOLDERS = {  # the resource kind of a binding -> the gcloud command group that edits its policy
    "projects": ("projects",),
    "folders": ("resource-manager", "folders"),
    "organizations": ("organizations",),
}


def revocation_steps(identity: Identity) -> list[RevocationStep]:
    if identity.kind == "gcp-service-account":
        return _service_account_steps(identity)
    if identity.kind == "gcp-workload-identity-provider":
        return _provider_steps(identity)
    if identity.provider_managed:
        return []
    return [_remove_binding(identity.id, binding) for binding in identity.details.get("bindings", [])]


def _service_account_steps(identity: Identity) -> list[RevocationStep]:
    account = ("--iam-account", identity.id, "--project", identity.scope)

    def step(action: str, argv: tuple[str, ...], revokes: str, reversible: bool) -> RevocationStep:
        command = ("gcloud", "iam", "service-accounts", *argv)
        return RevocationStep(
            action=action, argv=command, provider="gcp", scope=identity.scope, revokes=revokes, reversible=reversible
        )

    keys = [c for c in identity.credentials if c.kind is CredentialKind.SERVICE_ACCOUNT_KEY]
    disable = [step("disable key", ("keys", "disable", k.id, *account), k.id, True) for k in keys if k.active]
    delete = [step("delete key", ("keys", "delete", k.id, *account), k.id, False) for k in keys]
    account_off = step(
        "disable service account", ("disable", identity.id, "--project", identity.scope), identity.id, True
    )
    return [*disable, account_off, *delete]


def _provider_steps(identity: Identity) -> list[RevocationStep]:
    """Disable the provider (``update-oidc``/``update-aws``/``update-saml --disabled``):
    no new token exchange; tokens already exchanged last until they expire."""
    protocol = identity.details.get("protocol")
    if protocol is None:
        return []
    pool, provider = identity.name.split("/")
    argv = (
        "gcloud",
        "iam",
        "workload-identity-pools",
        "providers",
        f"update-{protocol}",
        provider,
        f"--workload-identity-pool={pool}",
        "--location=global",
        f"--project={identity.scope}",
        "--disabled",
    )
    return [
        RevocationStep(
            action="disable workload identity provider",
            argv=argv,
            provider="gcp",
            scope=identity.scope,
            revokes=identity.id,
            reversible=True,
        )
    ]


def _remove_binding(member: str, binding: Mapping[str, Any]) -> RevocationStep:
    kind, _, name = binding["resource"].partition("/")
    role = binding["role"]
    argv = (
        "gcloud",
        *_BINDING_HOLDERS[kind],
        "remove-iam-policy-binding",
        name,
        f"--member={member}",
        f"--role={role}",
        _condition(binding.get("condition")),
    )
    return RevocationStep(
        action=f"remove binding on {binding['resource']}",
        argv=argv,
        provider="gcp",
        scope=name if kind == "projects" else binding["resource"],
        revokes=f"{member} {role} on {binding['resource']}",
        reversible=True,
    )


def _condition(condition: Mapping[str, str] | None) -> str:
    """``--condition`` naming exactly this binding: ``None`` for one without a condition,
    else its expression, title and description (gcloud removes only an exact match). A
    value holding a comma is passed with gcloud's alternate delimiter (``^DELIM^``, any
    sequence of characters that appears in no value: ``gcloud topic escaping``)."""
    if not condition:
        return "--condition=None"
    fields = [f"{key}={condition[key]}" for key in ("expression", "title", "description") if key in condition]
    text = "".join(fields)
    if "," not in text:
        return "--condition=" + ",".join(fields)
    delimiter = "|"
    while delimiter in text:
        delimiter += "|"
    return f"--condition=^{delimiter}^" + delimiter.join(fields)
