"""Builders of records and registries for tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from partner_nhi.records import Credential, CredentialKind, Identity, LastUse
from partner_nhi.registry import Registry

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)

REGISTRY = {
    "version": 1,
    "owners": [
        {"id": "alice@example.com", "status": "active"},
        {"id": "bob@example.com", "status": "active"},
        {"id": "carol@example.com", "status": "departed"},
    ],
    "partners": [
        {
            "id": "acme",
            "status": "offboarded",
            "offboarded_on": "2026-06-30",
            "sponsor": "alice@example.com",
            "match": {
                "aws_account_ids": ["111122223333"],
                "azure_tenant_ids": ["tenant-acme"],
                "azure_app_ids": ["app-acme"],
                "publisher_domains": ["acme.example"],
                "gcp_domains": ["acme.example"],
                "gcp_projects": ["acme-prod"],
                "name_patterns": ["acme-*"],
            },
        },
        {
            "id": "globex",
            "status": "active",
            "sponsor": "bob@example.com",
            "match": {"aws_account_ids": ["444455556666"], "name_patterns": ["globex-*"]},
        },
        {"id": "initech", "status": "offboarding", "match": {"name_patterns": ["etl-*"]}},
    ],
    "assignments": [{"identity": "arn:aws:iam::1:user/assigned", "partner": "globex", "owner": "carol@example.com"}],
}


def days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def credential(
    cid: str = "AKIA1",
    kind: CredentialKind = CredentialKind.ACCESS_KEY,
    *,
    active: bool = True,
    created: float | None = 10,
    used: float | str | None = 1,
    expires: float | None = None,
    source: str = "keys",
) -> Credential:
    last_used = (
        LastUse.unknown()
        if used == "unknown"
        else LastUse.never()
        if used is None
        else LastUse.used(days_ago(float(used)))
    )
    return Credential(
        id=cid,
        kind=kind,
        active=active,
        created=days_ago(created) if created is not None else None,
        expires=(NOW + timedelta(days=expires)) if expires is not None else None,
        last_used=last_used,
        source=source,
    )


def identity(name: str = "svc", **overrides: Any) -> Identity:
    fields: dict[str, Any] = {
        "id": f"arn:aws:iam::1:user/{name}",
        "provider": "aws",
        "kind": "aws-user",
        "scope": "1",
        "name": name,
        "source": "principals",
        "created": days_ago(400),
        "last_used": LastUse.used(days_ago(1)),
        "tags": {"owner": "alice@example.com"},
    }
    fields.update(overrides)
    return Identity(**fields)


def sample_registry() -> Registry:
    return Registry.model_validate(REGISTRY)
