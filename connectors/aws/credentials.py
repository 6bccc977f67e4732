"""Each raw credential record of a user into a core :class:`Credential` (pure).

Every function here runs under ``Units.transform`` on one record: a record it cannot
read raises (:class:`MalformedRecord` naming the field, or ``KeyError`` for a missing
one) and costs that record only. Secret material (SSH key bodies, certificate bodies,
service passwords) is never read.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from partner_nhi.connectors.aws.credential_report import ReportRow
from partner_nhi.connectors.aws.unit_names import (
    UNIT_ACCESS_KEYS,
    UNIT_REPORT,
    UNIT_SERVICE_CREDENTIALS,
    UNIT_SIGNING_CERTIFICATES,
    UNIT_SSH_KEYS,
)
from partner_nhi.contract import Credential, CredentialKind, LastUse, MalformedRecord, utc

NO_RECORDED_USE = "AWS does not record last use for this credential type"
KEY_USE_UNREAD = "key last use could not be read"
_STATUSES = {"Active": True, "Inactive": False, "Expired": False}  # IAM's statusType


def status_active(record: Mapping[str, Any], field: str = "Status") -> bool:
    """``Active`` is active; ``Inactive`` and ``Expired`` are not; anything else is unreadable,
    never taken as inactive (an inactive credential cannot act, so a guess would hide one)."""
    value = record[field]
    if value not in _STATUSES:
        raise MalformedRecord(field, f"unknown status {value!r}")
    return _STATUSES[value]


def timestamp(record: Mapping[str, Any], field: str) -> datetime | None:
    """An optional timestamp botocore has parsed; present but not a timestamp is unreadable."""
    value = record.get(field)
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise MalformedRecord(field, f"not a timestamp: {value!r}")
    return utc(value)


def access_key(record: Mapping[str, Any]) -> Credential:
    """A ``ListAccessKeys`` ``AccessKeyMetadata``; its last use is filled in afterwards."""
    return Credential(
        id=record["AccessKeyId"],
        kind=CredentialKind.ACCESS_KEY,
        active=status_active(record),
        created=timestamp(record, "CreateDate"),
        last_used=LastUse.unknown(KEY_USE_UNREAD),
        source=UNIT_ACCESS_KEYS,
    )


def ssh_public_key(record: Mapping[str, Any]) -> Credential:
    """A ``ListSSHPublicKeys`` ``SSHPublicKeyMetadata`` (the key body is never asked for)."""
    return Credential(
        id=record["SSHPublicKeyId"],
        kind=CredentialKind.SSH_KEY,
        active=status_active(record),
        created=timestamp(record, "UploadDate"),
        last_used=LastUse.unknown(NO_RECORDED_USE),
        source=UNIT_SSH_KEYS,
    )


def service_specific_credential(record: Mapping[str, Any]) -> Credential:
    """A ``ListServiceSpecificCredentials`` ``ServiceSpecificCredentialMetadata``. Bedrock and
    CloudWatch Logs API keys may carry an ``ExpirationDate`` (so the expiry rules apply) and a
    ``ServiceCredentialAlias``, the public part of the key: shown, never the secret."""
    alias = record.get("ServiceCredentialAlias")
    return Credential(
        id=record["ServiceSpecificCredentialId"],
        kind=CredentialKind.SERVICE_CREDENTIAL,
        active=status_active(record),
        created=timestamp(record, "CreateDate"),
        expires=timestamp(record, "ExpirationDate"),
        last_used=LastUse.unknown(NO_RECORDED_USE),
        display=f"{record['ServiceName']} ({alias})" if alias else record["ServiceName"],
        source=UNIT_SERVICE_CREDENTIALS,
    )


def signing_certificate(record: Mapping[str, Any]) -> Credential:
    """A ``ListSigningCertificates`` ``SigningCertificate`` (its body is public but not kept)."""
    return Credential(
        id=record["CertificateId"],
        kind=CredentialKind.SIGNING_CERTIFICATE,
        active=status_active(record),
        created=timestamp(record, "UploadDate"),
        last_used=LastUse.unknown(NO_RECORDED_USE),
        source=UNIT_SIGNING_CERTIFICATES,
    )


def key_last_use(answer: Mapping[str, Any]) -> LastUse:
    """A ``GetAccessKeyLastUsed`` answer. Without ``LastUsedDate`` the key was never used
    (AWS: nor since tracking began in April 2015); ``ServiceName`` is then ``N/A``."""
    used = answer["AccessKeyLastUsed"]
    last = timestamp(used, "LastUsedDate")
    if last is None:
        return LastUse.never()
    service = used.get("ServiceName")
    return LastUse.used(last, None if service in (None, "N/A") else service)


def console_password(user_name: str, user_created: datetime | None, row: ReportRow) -> Credential | None:
    """A console password, from the credential report: a human signs in with it."""
    if not row.password_enabled:
        return None
    return Credential(
        id=f"{user_name}/console-password",
        kind=CredentialKind.CONSOLE_PASSWORD,
        active=True,
        created=row.password_last_changed or user_created,
        last_used=row.password_last_used,
        display="console sign-in password: a human is using this identity",
        source=UNIT_REPORT,
    )
