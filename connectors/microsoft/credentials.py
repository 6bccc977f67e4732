"""Client secrets, certificates and federated credentials into :class:`Credential`.

Input is Graph JSON (``passwordCredential``, ``keyCredential``,
``federatedIdentityCredential``) of an application or a service principal. Only
ids, hints, thumbprints and dates are read: ``secretText`` (null on every Graph
read anyway) is never requested, read or copied.

Each credential goes through the engine's ``Units.transform`` on its own: one
with an unreadable ``endDateTime`` (or no ``keyId``) costs that credential and
makes the unit that listed it partial, with an error naming the owner, the
credential and the field; the owner and its other credentials are kept.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from datetime import datetime
from typing import Any

from partner_nhi.connectors.microsoft.federation import admits_many
from partner_nhi.connectors.microsoft.times import parse_time, require
from partner_nhi.contract import Credential, CredentialKind, LastUse, Units

JSON = dict[str, Any]
KeyUse = Callable[[str], LastUse]  # last use of a credential by its keyId


def is_active(start: datetime | None, end: datetime | None, now: datetime) -> bool:
    """Usable now: started and not yet expired (a missing date does not limit)."""
    return (start is None or start <= now) and (end is None or now < end)


def _dated(
    item: JSON, kind: CredentialKind, display: str | None, source: str, now: datetime, last_use: KeyUse
) -> Credential:
    """A secret or certificate: both carry a keyId and start/end dates."""
    key_id = require(item, "keyId")
    start, end = (
        parse_time(item.get("startDateTime"), "startDateTime"),
        parse_time(item.get("endDateTime"), "endDateTime"),
    )
    return Credential(
        id=key_id,
        kind=kind,
        active=is_active(start, end, now),
        created=start,
        expires=end,
        last_used=last_use(key_id),
        display=display,
        source=source,
    )


def client_secret(secret: JSON, source: str, now: datetime, last_use: KeyUse) -> Credential:
    hint = f"(hint {secret['hint']}…)" if secret.get("hint") else None
    label = " ".join(part for part in (secret.get("displayName"), hint) if part)
    return _dated(secret, CredentialKind.CLIENT_SECRET, label or None, source, now, last_use)


def thumbprint(custom_key_identifier: str | None) -> str | None:
    """A certificate's thumbprint: Graph sends it base64-encoded."""
    if not custom_key_identifier:
        return None
    try:
        return base64.b64decode(custom_key_identifier, validate=True).hex().upper()
    except (binascii.Error, ValueError):
        return custom_key_identifier


def client_certificate(certificate: JSON, source: str, now: datetime, last_use: KeyUse) -> Credential:
    thumb = thumbprint(certificate.get("customKeyIdentifier"))
    display = f"thumbprint {thumb}" if thumb else certificate.get("displayName")
    return _dated(certificate, CredentialKind.CLIENT_CERTIFICATE, display, source, now, last_use)


def federated_credential(row: JSON, source: str) -> Credential:
    """A federated identity credential: keyless, no dates, use not reported per credential."""
    return Credential(
        id=require(row, "id"),
        kind=CredentialKind.FEDERATED,
        active=True,
        last_used=LastUse.unknown("Entra reports no per-credential use for federated credentials"),
        display=f"{row.get('issuer')} {row.get('subject')}",
        source=source,
        admits_many=admits_many(row),
    )


def secrets_and_certificates(
    units: Units, owner: JSON, owner_label: str, source: str, now: datetime, last_use: KeyUse
) -> list[Credential]:
    """Every readable secret and certificate of one application or service principal."""
    secrets = units.transform(
        source,
        owner.get("passwordCredentials") or [],
        lambda secret: client_secret(secret, source, now, last_use),
        lambda secret: f"{owner_label} passwordCredential {secret.get('keyId')}",
    )
    certificates = units.transform(
        source,
        owner.get("keyCredentials") or [],
        lambda certificate: client_certificate(certificate, source, now, last_use),
        lambda certificate: f"{owner_label} keyCredential {certificate.get('keyId')}",
    )
    return secrets + certificates


def federated_credentials(units: Units, rows: list[JSON], owner_label: str, source: str) -> list[Credential]:
    """Every readable federated identity credential of one application."""
    return units.transform(
        source,
        rows,
        lambda row: federated_credential(row, source),
        lambda row: f"{owner_label} federatedIdentityCredential {row.get('id')} ({row.get('name')})",
    )
