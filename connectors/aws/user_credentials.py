"""Per-user credential listings (I/O only): every page, or an exception, never a partial list."""

from __future__ import annotations

from typing import Any


def list_access_keys(iam: Any, user_name: str) -> list[dict[str, Any]]:
    keys: list[dict[str, Any]] = []
    for page in iam.get_paginator("list_access_keys").paginate(UserName=user_name):
        keys.extend(page["AccessKeyMetadata"])
    return keys


def get_access_key_last_used(iam: Any, key_id: str) -> dict[str, Any]:
    answer: dict[str, Any] = iam.get_access_key_last_used(AccessKeyId=key_id)
    return answer


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
