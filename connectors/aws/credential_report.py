"""The IAM credential report: one CSV with every user's password and key activity.

It is regenerated at most every four hours, so its ``GeneratedTime`` is the
observation time of what it says.
"""

from __future__ import annotations

import csv
import io
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from partner_nhi.connectors.aws.errors import CredentialReportTimeout
from partner_nhi.contract import utc

_NOT_READY = {"ReportInProgress", "ReportNotPresent", "ReportExpired"}


@dataclass(frozen=True)
class CredentialReport:
    generated: datetime | None
    rows: dict[str, dict[str, str]]  # by user ARN


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
    text = content.decode("utf-8") if isinstance(content, bytes) else content
    rows = {row["arn"]: row for row in csv.DictReader(io.StringIO(text)) if row.get("user") != "<root_account>"}
    return CredentialReport(utc(generated), rows)


def report_date(value: str | None) -> datetime | None:
    """A date column; ``N/A``, ``not_supported``, ``no_information`` and blanks are None."""
    if not value or value in ("N/A", "not_supported", "no_information"):
        return None
    return utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
