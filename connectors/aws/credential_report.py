"""The IAM credential report: one CSV with every user's password and key activity.

It is regenerated at most every four hours, so its ``GeneratedTime`` is the
observation time of what it says. Fetching it (:func:`fetch_credential_report`) only
decodes the CSV; each row is read on its own (:func:`report_row`, under
``Units.transform``), so one unreadable row costs that user's row, not the report.

Column meanings are AWS's (IAM User Guide, "Getting credential reports"): dates are
ISO 8601; ``N/A`` means not applicable (no such key or password, or never used);
``no_information`` in ``password_last_used`` means never used since tracking began;
booleans are documented as ``TRUE``/``FALSE`` and sent as ``true``/``false``.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from partner_nhi.connectors.aws.errors import CredentialReportTimeout
from partner_nhi.contract import LastUse, MalformedRecord, utc

_NOT_READY = {"ReportInProgress", "ReportNotPresent", "ReportExpired"}
ROOT_ROW = "<root_account>"
KEY_SLOTS = ("1", "2")
CERTIFICATE_SLOTS = ("1", "2")
_NOT_APPLICABLE = frozenset({"N/A", "not_supported", "no_information", ""})


@dataclass(frozen=True)
class CredentialReport:
    generated: datetime | None
    rows: list[dict[str, str]]  # raw CSV rows of IAM users (the root row left out), read by report_row


@dataclass(frozen=True)
class KeySlot:
    """One ``access_key_N_*`` group of columns."""

    active: bool
    rotated: datetime | None  # the key's creation (or last change) time, to the second
    last_used: LastUse


@dataclass(frozen=True)
class ReportRow:
    """One user's row, read."""

    arn: str
    password_enabled: bool
    password_last_used: LastUse
    password_last_changed: datetime | None
    key_slots: tuple[KeySlot, ...]
    certificates_active: bool


def fetch_credential_report(iam: Any, timeout: float, poll: float) -> CredentialReport:
    """Generate, then poll from a quarter second up to ``poll`` seconds, until ``timeout``."""
    deadline = time.monotonic() + timeout
    wait = min(0.25, poll)
    while True:
        state = iam.generate_credential_report().get("State")
        if state == "COMPLETE":
            try:
                response = iam.get_credential_report()
                return parse_credential_report(response["Content"], response.get("GeneratedTime"))
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") not in _NOT_READY:
                    raise
        if time.monotonic() + wait > deadline:
            raise CredentialReportTimeout(f"credential report not ready after {timeout:.0f} s (state {state})")
        time.sleep(wait)
        wait = min(wait * 2, poll)


def parse_credential_report(content: bytes | str, generated: datetime | None) -> CredentialReport:
    """Decode the CSV; the account root user's row is not an NHI and is left out."""
    text = content.decode("utf-8") if isinstance(content, bytes) else content
    rows = [row for row in csv.DictReader(io.StringIO(text)) if row.get("user") != ROOT_ROW]
    return CredentialReport(utc(generated), rows)


def row_label(row: Mapping[str, str]) -> str:
    return row.get("arn") or row.get("user") or "a row without user or arn"


def report_row(row: Mapping[str, str]) -> ReportRow:
    """Read one user's row; an unreadable column raises :class:`MalformedRecord` naming it."""
    slots = tuple(
        KeySlot(
            active=report_flag(row, f"access_key_{slot}_active"),
            rotated=report_date(row, f"access_key_{slot}_last_rotated"),
            last_used=_key_slot_use(row, slot),
        )
        for slot in KEY_SLOTS
    )
    password_used = report_date(row, "password_last_used")
    return ReportRow(
        arn=row["arn"],
        password_enabled=report_flag(row, "password_enabled"),
        password_last_used=LastUse.used(password_used) if password_used else LastUse.never(),
        password_last_changed=report_date(row, "password_last_changed"),
        key_slots=slots,
        certificates_active=any(report_flag(row, f"cert_{slot}_active") for slot in CERTIFICATE_SLOTS),
    )


def _key_slot_use(row: Mapping[str, str], slot: str) -> LastUse:
    """``N/A`` in ``last_used_date`` means the key was never used (since April 2015)."""
    used = report_date(row, f"access_key_{slot}_last_used_date")
    if used is None:
        return LastUse.never()
    service = row.get(f"access_key_{slot}_last_used_service")
    return LastUse.used(used, None if service in _NOT_APPLICABLE else service)


def report_date(row: Mapping[str, str], column: str) -> datetime | None:
    """A date column; ``N/A``, ``not_supported``, ``no_information`` and blanks are None."""
    value = _cell(row, column)
    if value in _NOT_APPLICABLE:
        return None
    try:
        return utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        raise MalformedRecord(column, f"not an ISO 8601 date: {value!r}") from None


def report_flag(row: Mapping[str, str], column: str) -> bool:
    """A ``true``/``false`` column (any case); ``N/A`` and ``not_supported`` are false."""
    value = _cell(row, column)
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    if value in _NOT_APPLICABLE:
        return False
    raise MalformedRecord(column, f"not true or false: {value!r}")


def _cell(row: Mapping[str, str | None], column: str) -> str:
    """A short CSV line leaves its last columns None: as missing as an absent column."""
    value = row.get(column)
    if value is None:
        raise MalformedRecord(column, "missing")
    return value
