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


class IncompletePaging(RuntimeError):
    """A page said more follow but gave no way to reach them: the listing is not whole."""


def list_service_specific_credentials(iam: Any, user_name: str) -> list[dict[str, Any]]:
    """Every service's credentials of one user (CodeCommit, Keyspaces, Bedrock and CloudWatch
    Logs API keys, and whatever service comes next), following ``Marker`` while ``IsTruncated``:
    botocore has no paginator for this call. ``AllUsers=true`` would list one service per call
    for every user, but only for the services named; one call per user names none and misses none."""
    credentials: list[dict[str, Any]] = []
    markers: set[str] = set()
    marker: str | None = None
    while True:
        page = iam.list_service_specific_credentials(UserName=user_name, **({"Marker": marker} if marker else {}))
        credentials.extend(page.get("ServiceSpecificCredentials", []))  # "If none exists, ... an empty list"
        if not page.get("IsTruncated"):
            return credentials
        marker = page.get("Marker")
        if not marker or marker in markers:
            raise IncompletePaging(
                f"ListServiceSpecificCredentials for {user_name}: truncated page without a new Marker"
            )
        markers.add(marker)


def list_signing_certificates(iam: Any, user_name: str) -> list[dict[str, Any]]:
    certificates: list[dict[str, Any]] = []
    for page in iam.get_paginator("list_signing_certificates").paginate(UserName=user_name):
        certificates.extend(page["Certificates"])
    return certificates
