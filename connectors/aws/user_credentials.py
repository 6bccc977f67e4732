"""Per-user credential listings: the only IAM data no bulk call returns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class AccessKeyUse:
    last_used: Any  # datetime | None
    service: str | None


def list_access_keys(iam: Any, user_name: str) -> list[dict[str, Any]]:
    keys: list[dict[str, Any]] = []
    for page in iam.get_paginator("list_access_keys").paginate(UserName=user_name):
        keys.extend(page["AccessKeyMetadata"])
    return keys


def access_key_last_used(iam: Any, key_id: str) -> AccessKeyUse:
    used = iam.get_access_key_last_used(AccessKeyId=key_id)["AccessKeyLastUsed"]
    service = used.get("ServiceName")
    return AccessKeyUse(used.get("LastUsedDate"), None if service in (None, "N/A") else service)


def list_ssh_public_keys(iam: Any, user_name: str) -> list[dict[str, Any]]:
    keys: list[dict[str, Any]] = []
    for page in iam.get_paginator("list_ssh_public_keys").paginate(UserName=user_name):
        keys.extend(page["SSHPublicKeys"])
    return keys


def list_service_specific_credentials(iam: Any, user_name: str) -> list[dict[str, Any]]:
    response = iam.list_service_specific_credentials(UserName=user_name)
    return list(response.get("ServiceSpecificCredentials", []))


def list_signing_certificates(iam: Any, user_name: str) -> list[dict[str, Any]]:
    certificates: list[dict[str, Any]] = []
    for page in iam.get_paginator("list_signing_certificates").paginate(UserName=user_name):
        certificates.extend(page["Certificates"])
    return certificates
