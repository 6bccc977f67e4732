"""Which Entra federated identity credentials admit more than one workload.

Entra matches a federated credential's issuer and subject exactly (``federatedIdentityCredential``),
so breadth comes from what the issuer puts in the subject:

- GitHub Actions (``https://token.actions.githubusercontent.com``, an enterprise's
  ``…/<enterprise>``, or a GitHub Enterprise Server ``https://<host>/_services/token``):
  ``repo:ORG/REPO:pull_request`` is every pull request's workflow (its author chooses the code
  that runs); a customised subject template without the repository (``repository_owner:ORG``)
  is every repository of the owner. ``repo:…:environment:…`` and ``repo:…:ref:…`` name one.
- A flexible federated credential (``claimsMatchingExpression``, in preview) admits every
  subject its expression matches.

Anything else is taken as one workload: the rule never fires on a guess.
"""

from __future__ import annotations

from typing import Any

GITHUB_HOSTED = "https://token.actions.githubusercontent.com"
_REPOSITORY_KEYS = ("repo", "repository", "repository_id")


def _is_github(issuer: str) -> bool:
    issuer = issuer.rstrip("/")
    return issuer == GITHUB_HOSTED or issuer.startswith(GITHUB_HOSTED + "/") or issuer.endswith("/_services/token")


def _claims(subject: str) -> dict[str, str]:
    """``repo:o/r:ref:refs/heads/main`` as claims: GitHub joins ``key:value`` pairs with ``:``."""
    parts = subject.split(":")
    return {parts[i]: parts[i + 1] for i in range(0, len(parts) - 1, 2)}


def admits_many(row: dict[str, Any]) -> str | None:
    """Why this federated credential admits more than one workload; ``None`` when it names one."""
    expression = row.get("claimsMatchingExpression")
    if isinstance(expression, dict) and expression.get("value"):
        return f"every subject matching {expression['value']}"
    issuer, subject = str(row.get("issuer") or ""), str(row.get("subject") or "")
    if not _is_github(issuer) or not subject:
        return None
    if subject.endswith(":pull_request") and subject.startswith("repo:"):
        return f"any pull request's workflow in {subject[len('repo:') : -len(':pull_request')]}"
    claims = _claims(subject)
    if not any(key in claims for key in _REPOSITORY_KEYS):
        owner = claims.get("repository_owner") or claims.get("repository_owner_id") or subject
        return f"every repository of {owner} (the subject names no repository)"
    return None
