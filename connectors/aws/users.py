"""Per-user credential listings, the only IAM data no bulk call returns, read record by record.

Each listing runs once per user through ``Units.fetch_each`` (a failed call costs that
user's listing) and each record it returns through ``Units.transform`` (an unreadable
record costs that record). A user whose listing failed, or held an unreadable record,
keeps every credential that could be read, and its listing is marked incomplete: what
depends on "all of its credentials" (last use, whether it can act) is then unknown.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from partner_nhi.connectors.aws.credential_report import ReportRow
from partner_nhi.connectors.aws.credentials import (
    access_key,
    key_last_use,
    service_specific_credential,
    signing_certificate,
    ssh_public_key,
)
from partner_nhi.connectors.aws.unit_names import (
    UNIT_ACCESS_KEYS,
    UNIT_KEY_LAST_USED,
    UNIT_REPORT,
    UNIT_SERVICE_CREDENTIALS,
    UNIT_SIGNING_CERTIFICATES,
    UNIT_SSH_KEYS,
)
from partner_nhi.connectors.aws.user_credentials import (
    get_access_key_last_used,
    list_access_keys,
    list_service_specific_credentials,
    list_signing_certificates,
    list_ssh_public_keys,
)
from partner_nhi.contract import Credential, LastUse, Units

Listing = Callable[[Any, str], list[dict[str, Any]]]
Builder = Callable[[Mapping[str, Any]], Credential]

# unit -> (the per-user call, the record builder, the field naming a record)
_LISTINGS: dict[str, tuple[Listing, Builder, str]] = {
    UNIT_ACCESS_KEYS: (list_access_keys, access_key, "AccessKeyId"),
    UNIT_SSH_KEYS: (list_ssh_public_keys, ssh_public_key, "SSHPublicKeyId"),
    UNIT_SERVICE_CREDENTIALS: (
        list_service_specific_credentials,
        service_specific_credential,
        "ServiceSpecificCredentialId",
    ),
    UNIT_SIGNING_CERTIFICATES: (list_signing_certificates, signing_certificate, "CertificateId"),
}


@dataclass
class UserCredentials:
    """One user's credentials as listed, and the units they came from."""

    credentials: list[Credential] = field(default_factory=list)
    complete: bool = True  # False when a listing failed or held an unreadable record
    units: list[str] = field(default_factory=lambda: [UNIT_REPORT])


def list_user_credentials(
    iam: Any, units: Units, users: Sequence[str], rows: Mapping[str, ReportRow | None], concurrency: int
) -> dict[str, UserCredentials]:
    """Every credential of every user in ``users`` (``rows``: each user's credential-report
    row, or None where the report has none to offer)."""
    found = {name: UserCredentials() for name in users}
    # The report says whether a user has an active signing certificate; ask per user only where it
    # says so or has no row.
    asked = {unit: list(users) for unit in _LISTINGS}
    asked[UNIT_SIGNING_CERTIFICATES] = [name for name in users if _may_hold_certificates(rows.get(name))]
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        jobs = {
            unit: pool.submit(units.fetch_each, unit, asked[unit], lambda name, call=call: call(iam, name))
            for unit, (call, _, _) in _LISTINGS.items()
        }
        listed = {unit: job.result() for unit, job in jobs.items()}
    for unit, (_, build, id_field) in _LISTINGS.items():
        for name, (credentials, complete) in _read_records(
            units, unit, asked[unit], listed[unit], build, id_field
        ).items():
            found[name].credentials += credentials
            found[name].complete &= complete
            found[name].units.append(unit)
    _add_key_last_use(iam, units, found, rows)
    return found


def _read_records(
    units: Units,
    unit: str,
    asked: Sequence[str],
    listed: Mapping[str, list[dict[str, Any]]],
    build: Builder,
    id_field: str,
) -> dict[str, tuple[list[Credential], bool]]:
    """Each user's records of one listing, one by one: a user's credentials, and whether
    that is all of them (its listing answered and every record could be read)."""
    records = [(name, number, record) for name, found in listed.items() for number, record in enumerate(found)]
    built = units.transform(
        unit,
        records,
        lambda item: (item[0], build(item[2])),
        lambda item: f"user {item[0]}: {item[2].get(id_field) or f'record #{item[1] + 1}'}",
    )
    by_user: dict[str, list[Credential]] = defaultdict(list)
    for name, credential in built:
        by_user[name].append(credential)
    return {name: (by_user[name], name in listed and len(by_user[name]) == len(listed[name])) for name in asked}


def _add_key_last_use(
    iam: Any, units: Units, found: dict[str, UserCredentials], rows: Mapping[str, ReportRow | None]
) -> None:
    """Each access key's last use: from its credential-report slot when the slot can be told
    apart, otherwise from one GetAccessKeyLastUsed call per active key, otherwise unknown."""
    from_report: dict[str, LastUse] = {}
    needed: list[str] = []
    for name, held in found.items():
        keys = [credential for credential in held.credentials if credential.source == UNIT_ACCESS_KEYS]
        from_report.update(report_key_uses(keys, rows.get(name)))
        for key in keys:
            if key.id not in from_report and key.active:
                needed.append(key.id)
                if UNIT_KEY_LAST_USED not in held.units:
                    held.units.append(UNIT_KEY_LAST_USED)
    answers = units.fetch_each(UNIT_KEY_LAST_USED, needed, lambda key_id: get_access_key_last_used(iam, key_id))
    read = dict(
        units.transform(
            UNIT_KEY_LAST_USED,
            list(answers.items()),
            lambda item: (item[0], key_last_use(item[1])),
            lambda item: item[0],
        )
    )
    uses = {**from_report, **read}
    for held in found.values():
        held.credentials = [
            credential.model_copy(update={"last_used": uses[credential.id]}) if credential.id in uses else credential
            for credential in held.credentials
        ]


def _key_id(answer: tuple[str, Any]) -> str:
    return answer[0]


def report_key_uses(keys: Sequence[Credential], row: ReportRow | None) -> dict[str, LastUse]:
    """The last use the report gives each of one user's access keys. Its key slots carry no
    key id: a slot speaks for a key when its rotation time is the key's creation time, to the
    second, and no other key or slot shares that second. Two keys created in the same second
    cannot be told apart: the report speaks for neither (each is then asked on its own)."""
    if row is None:
        return {}
    seconds = {key.id: key.created.replace(microsecond=0) for key in keys if key.created is not None}
    uses = {}
    for key_id, created in seconds.items():
        twins = [other for other, second in seconds.items() if second == created and other != key_id]
        slots = [slot for slot in row.key_slots if slot.rotated == created]
        if len(slots) == 1 and not twins:
            uses[key_id] = slots[0].last_used
    return uses


def _may_hold_certificates(row: ReportRow | None) -> bool:
    """The report says whether a user has active signing certificates; without it, ask."""
    return row is None or row.certificates_active
