"""User-managed service-account keys: the long-lived secrets partners download.

Only ``USER_MANAGED`` keys are listed (system-managed keys rotate themselves),
and never their key material: the list call returns metadata only and no
request asks for public or private key data.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from google.cloud.iam_admin_v1 import ListServiceAccountKeysRequest

from partner_nhi.connectors.gcp.clients import GcpClients
from partner_nhi.connectors.gcp.payload import as_json, parse_time
from partner_nhi.contract import Credential, CredentialKind, LastUse

UNIT = "service-account-keys"
USER_MANAGED = ListServiceAccountKeysRequest.KeyType.USER_MANAGED
NO_EXPIRY_YEAR = 9999  # valid_before_time of a key that never expires


def list_keys(clients: GcpClients, project: str, email: str) -> list[dict[str, Any]]:
    """The user-managed keys of one service account (the call is not paged)."""
    response = clients.iam.list_service_account_keys(
        request=ListServiceAccountKeysRequest(
            name=f"projects/{project}/serviceAccounts/{email}", key_types=[USER_MANAGED]
        ),
        retry=clients.retry,
        timeout=clients.timeout,
    )
    return [as_json(key) for key in response.keys]


def is_user_managed(key: dict[str, Any]) -> bool:
    return bool(key.get("keyType", "USER_MANAGED") == "USER_MANAGED")


def normalize_key(key: dict[str, Any], account_enabled: bool, last_used: LastUse, now: datetime) -> Credential:
    """A key is active while it and its account are enabled and it has not expired."""
    expires = parse_time(key.get("validBeforeTime"))
    if expires is not None and expires.year >= NO_EXPIRY_YEAR:
        expires = None
    expired = expires is not None and expires <= now
    return Credential(
        id=key["name"].rsplit("/", 1)[-1],
        kind=CredentialKind.SERVICE_ACCOUNT_KEY,
        active=account_enabled and not key.get("disabled", False) and not expired,
        created=parse_time(key.get("validAfterTime")),
        expires=expires,
        last_used=last_used,
        display=key.get("keyOrigin"),
        source=UNIT,
    )
