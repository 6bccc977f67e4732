"""User-managed service-account keys: the long-lived secrets partners download.

Only ``USER_MANAGED`` keys are listed (system-managed keys rotate themselves),
and never their key material: the list call returns metadata only and no
request asks for public or private key data.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from google.cloud.iam_admin_v1 import ListServiceAccountKeysRequest

from partner_nhi.connectors.gcp.activity import LastAuthentication
from partner_nhi.connectors.gcp.clients import GcpClients
from partner_nhi.connectors.gcp.coverage import KEYS
from partner_nhi.connectors.gcp.payload import as_json, read_time, require_time
from partner_nhi.contract import Credential, CredentialKind, Units

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


def build_keys(
    keys: Sequence[dict[str, Any]], account_enabled: bool, key_use: LastAuthentication, now: datetime, units: Units
) -> list[Credential]:
    """Each user-managed key of one account through the engine's transform: a key that
    cannot be read costs that key and makes the keys unit partial."""
    managed = [key for key in keys if is_user_managed(key)]
    return units.transform(KEYS, managed, lambda key: normalize_key(key, account_enabled, key_use, now), label)


def label(key: dict[str, Any]) -> str:
    """How an error names a key record: its resource name, which holds the account and key id."""
    return str(key["name"])


def is_user_managed(key: dict[str, Any]) -> bool:
    return bool(key.get("keyType", "USER_MANAGED") == "USER_MANAGED")


def normalize_key(key: dict[str, Any], account_enabled: bool, key_use: LastAuthentication, now: datetime) -> Credential:
    """A key is active while it and its account are enabled and it has not expired.
    ``validAfterTime`` is required: the API sends it for every key."""
    key_id = key["name"].rsplit("/", 1)[-1]
    expires = read_time(key, "validBeforeTime")
    if expires is not None and expires.year >= NO_EXPIRY_YEAR:
        expires = None
    expired = expires is not None and expires <= now
    return Credential(
        id=key_id,
        kind=CredentialKind.SERVICE_ACCOUNT_KEY,
        active=account_enabled and not key.get("disabled", False) and not expired,
        created=require_time(key, "validAfterTime"),
        expires=expires,
        last_used=key_use.of(key_id),
        display=key.get("keyOrigin"),
        source=KEYS,
    )
