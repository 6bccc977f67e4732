"""Client secrets, certificates and federated credentials into :class:`Credential`.

Only ids, hints, thumbprints and dates are read: ``secretText`` (always null on
a Graph GET anyway) is never requested, read or copied.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from msgraph.generated.models.key_credential import KeyCredential
from msgraph.generated.models.password_credential import PasswordCredential

from scanner.records import Credential, CredentialKind, LastUse, utc

KeyUse = Callable[[str], LastUse]  # last use of a credential by its keyId


def is_active(start: datetime | None, end: datetime | None, now: datetime) -> bool:
    """Usable now: started and not yet expired (a missing date does not limit)."""
    start, end = utc(start), utc(end)
    return (start is None or start <= now) and (end is None or now < end)


def client_secret(
    secret: PasswordCredential, source: str, now: datetime, last_use: KeyUse
) -> Credential:
    key_id = str(secret.key_id)
    hint = f"hint {secret.hint}…" if secret.hint else None
    label = " ".join(part for part in (secret.display_name, hint and f"({hint})") if part)
    return Credential(
        id=key_id,
        kind=CredentialKind.CLIENT_SECRET,
        active=is_active(secret.start_date_time, secret.end_date_time, now),
        created=secret.start_date_time,
        expires=secret.end_date_time,
        last_used=last_use(key_id),
        display=label or None,
        source=source,
    )


def client_certificate(
    certificate: KeyCredential, source: str, now: datetime, last_use: KeyUse
) -> Credential:
    key_id = str(certificate.key_id)
    thumbprint = certificate.custom_key_identifier
    return Credential(
        id=key_id,
        kind=CredentialKind.CLIENT_CERTIFICATE,
        active=is_active(certificate.start_date_time, certificate.end_date_time, now),
        created=certificate.start_date_time,
        expires=certificate.end_date_time,
        last_used=last_use(key_id),
        display=f"thumbprint {thumbprint.hex().upper()}" if thumbprint else certificate.display_name,
        source=source,
    )


def federated_credential(row: dict[str, Any], source: str) -> Credential:
    """A federated identity credential (JSON from ``$batch``): keyless, no dates."""
    return Credential(
        id=str(row["id"]),
        kind=CredentialKind.FEDERATED,
        active=True,
        last_used=LastUse.unknown("Entra reports no per-credential use for federated credentials"),
        display=f"{row.get('issuer')} {row.get('subject')}",
        source=source,
    )


def secrets_and_certificates(
    secrets: Iterable[PasswordCredential] | None,
    certificates: Iterable[KeyCredential] | None,
    source: str,
    now: datetime,
    last_use: KeyUse,
) -> list[Credential]:
    """Every secret and certificate of one application or service principal."""
    return [client_secret(s, source, now, last_use) for s in secrets or ()] + [
        client_certificate(c, source, now, last_use) for c in certificates or ()
    ]
