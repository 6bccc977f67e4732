"""Raw IAM payloads into the core's records (pure functions, tested from fixtures)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from partner_nhi.connectors.aws.credential_report import report_date
from partner_nhi.connectors.aws.trust import policy_document, trusted_parties
from partner_nhi.connectors.aws.user_credentials import AccessKeyUse
from partner_nhi.contract import Credential, CredentialKind, Identity, LastUse, utc

PRIVILEGED_MANAGED_POLICIES = frozenset({"AdministratorAccess", "IAMFullAccess", "PowerUserAccess"})
PROVIDER_MANAGED_PATHS = ("/aws-service-role/", "/aws-reserved/")

# unit names: the coverage record of each listing
UNIT_PRINCIPALS = "iam-authorization-details"
UNIT_REPORT = "credential-report"
UNIT_ACCESS_KEYS = "access-keys"
UNIT_KEY_LAST_USED = "access-key-last-used"
UNIT_SSH_KEYS = "ssh-public-keys"
UNIT_SERVICE_CREDENTIALS = "service-specific-credentials"
UNIT_SIGNING_CERTIFICATES = "signing-certificates"


@dataclass
class UserCredentials:
    """What the per-user listings returned; ``None`` where that listing failed."""

    access_keys: list[dict[str, Any]] | None = None
    key_use: dict[str, AccessKeyUse] = field(default_factory=dict)
    ssh_keys: list[dict[str, Any]] | None = None
    service_credentials: list[dict[str, Any]] | None = None
    signing_certificates: list[dict[str, Any]] | None = None


def _tags(raw: Iterable[Mapping[str, str]] | None) -> dict[str, str]:
    return {tag["Key"]: tag.get("Value", "") for tag in raw or []}


def _statements_grant_everything(document: dict[str, Any]) -> bool:
    statements = document.get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        actions = statement.get("Action", [])
        resources = statement.get("Resource", [])
        actions = actions if isinstance(actions, list) else [actions]
        resources = resources if isinstance(resources, list) else [resources]
        if ("*" in actions or "iam:*" in actions) and "*" in resources:
            return True
    return False


def permissions_of(entity: Mapping[str, Any], local_policies: Mapping[str, dict[str, Any]]) -> tuple[list[str], bool]:
    """Policy names held, and whether any grants admin-like power."""
    names: list[str] = []
    privileged = False
    for attached in entity.get("AttachedManagedPolicies", []):
        names.append(attached["PolicyName"])
        aws_admin = attached["PolicyName"] in PRIVILEGED_MANAGED_POLICIES and ":aws:policy/" in attached["PolicyArn"]
        if aws_admin or _statements_grant_everything(local_policies.get(attached["PolicyArn"], {})):
            privileged = True
    for inline in [*entity.get("UserPolicyList", []), *entity.get("RolePolicyList", [])]:
        names.append(f"inline:{inline['PolicyName']}")
        if _statements_grant_everything(policy_document(inline.get("PolicyDocument"))):
            privileged = True
    return names, privileged


def local_policy_documents(policies: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Default version document of each customer-managed policy, by ARN."""
    documents: dict[str, dict[str, Any]] = {}
    for policy in policies:
        for version in policy.get("PolicyVersionList", []):
            if version.get("IsDefaultVersion"):
                documents[policy["Arn"]] = policy_document(version.get("Document"))
    return documents


def role_identity(
    role: Mapping[str, Any],
    account: str,
    internal_accounts: Iterable[str],
    local_policies: Mapping[str, dict[str, Any]],
) -> Identity:
    path = role.get("Path", "/")
    last = (role.get("RoleLastUsed") or {}).get("LastUsedDate")
    permissions, privileged = permissions_of(role, local_policies)
    trust = policy_document(role.get("AssumeRolePolicyDocument"))
    return Identity(
        id=role["Arn"],
        provider="aws",
        kind="aws-role",
        scope=account,
        name=role["RoleName"],
        source=UNIT_PRINCIPALS,
        aliases=(role["RoleId"],),
        created=role.get("CreateDate"),
        last_used=LastUse.used(last, (role.get("RoleLastUsed") or {}).get("Region")) if last else LastUse.never(),
        provider_managed=path.startswith(PROVIDER_MANAGED_PATHS),
        privileged=privileged,
        permissions=tuple(permissions),
        tags=_tags(role.get("Tags")),
        affiliations=tuple(trusted_parties(trust, account, internal_accounts)),
        details={"path": path},
    )


def _credential_created(value: Any) -> datetime | None:
    return utc(value) if isinstance(value, datetime) else None


def access_key_credentials(
    keys: list[dict[str, Any]], key_use: Mapping[str, AccessKeyUse], report_row: Mapping[str, str] | None
) -> list[Credential]:
    """Last use comes from the credential report when a key's slot can be matched by
    its creation time, otherwise from GetAccessKeyLastUsed, otherwise it is unknown."""
    slots = _report_key_slots(report_row)
    credentials = []
    for key in keys:
        created = _credential_created(key.get("CreateDate"))
        key_id = key["AccessKeyId"]
        if key_id in key_use:
            use = key_use[key_id]
            last_used = LastUse.used(use.last_used, use.service) if use.last_used else LastUse.never()
        elif created is not None and created.replace(microsecond=0) in slots:
            last_used = slots[created.replace(microsecond=0)]
        else:
            last_used = LastUse.unknown("key last use could not be read")
        credentials.append(
            Credential(
                id=key_id,
                kind=CredentialKind.ACCESS_KEY,
                active=key.get("Status") == "Active",
                created=created,
                last_used=last_used,
                source=UNIT_ACCESS_KEYS,
            )
        )
    return credentials


def _report_key_slots(row: Mapping[str, str] | None) -> dict[datetime, LastUse]:
    slots: dict[datetime, LastUse] = {}
    for slot in ("1", "2"):
        rotated = report_date((row or {}).get(f"access_key_{slot}_last_rotated"))
        if rotated is None or row is None:
            continue
        used = report_date(row.get(f"access_key_{slot}_last_used_date"))
        service = row.get(f"access_key_{slot}_last_used_service")
        detail = None if service in (None, "N/A", "not_supported") else service
        slots[rotated] = LastUse.used(used, detail) if used else LastUse.never()
    return slots


def keys_needing_last_used(keys: list[dict[str, Any]], report_row: Mapping[str, str] | None) -> list[str]:
    """Active keys the credential report cannot speak for (e.g. created after it)."""
    slots = _report_key_slots(report_row)
    needed = []
    for key in keys:
        created = _credential_created(key.get("CreateDate"))
        if key.get("Status") == "Active" and (created is None or created.replace(microsecond=0) not in slots):
            needed.append(key["AccessKeyId"])
    return needed


def _simple_credentials(
    items: list[dict[str, Any]],
    kind: CredentialKind,
    id_key: str,
    date_key: str,
    source: str,
    display_key: str | None = None,
) -> list[Credential]:
    return [
        Credential(
            id=item[id_key],
            kind=kind,
            active=item.get("Status") == "Active",
            created=_credential_created(item.get(date_key)),
            last_used=LastUse.unknown("AWS does not record last use for this credential type"),
            display=item.get(display_key) if display_key else None,
            source=source,
        )
        for item in items
    ]


def console_password(user: Mapping[str, Any], row: Mapping[str, str] | None) -> Credential | None:
    if row is None or row.get("password_enabled") != "true":
        return None
    raw_last = row.get("password_last_used")
    used = report_date(raw_last)
    last = (
        LastUse.used(used) if used else LastUse.never() if raw_last in ("no_information", "N/A") else LastUse.unknown()
    )
    return Credential(
        id=f"{user['UserName']}/console-password",
        kind=CredentialKind.CONSOLE_PASSWORD,
        active=True,
        created=report_date(row.get("password_last_changed")) or _credential_created(user.get("CreateDate")),
        last_used=last,
        display="console sign-in password: a human is using this identity",
        source=UNIT_REPORT,
    )


def user_identity(
    user: Mapping[str, Any],
    account: str,
    credentials: UserCredentials,
    report_row: Mapping[str, str] | None,
    report_available: bool,
    local_policies: Mapping[str, dict[str, Any]],
) -> Identity:
    found: list[Credential] = []
    if credentials.access_keys is not None:
        found += access_key_credentials(credentials.access_keys, credentials.key_use, report_row)
    if credentials.ssh_keys is not None:
        found += _simple_credentials(
            credentials.ssh_keys, CredentialKind.SSH_KEY, "SSHPublicKeyId", "UploadDate", UNIT_SSH_KEYS
        )
    if credentials.service_credentials is not None:
        found += _simple_credentials(
            credentials.service_credentials,
            CredentialKind.SERVICE_CREDENTIAL,
            "ServiceSpecificCredentialId",
            "CreateDate",
            UNIT_SERVICE_CREDENTIALS,
            display_key="ServiceName",
        )
    if credentials.signing_certificates is not None:
        found += _simple_credentials(
            credentials.signing_certificates,
            CredentialKind.SIGNING_CERTIFICATE,
            "CertificateId",
            "UploadDate",
            UNIT_SIGNING_CERTIFICATES,
        )
    password = console_password(user, report_row)
    if password is not None:
        found.append(password)

    # Identity last use: the latest sign-in by password or key; unknown if a listing it needs failed.
    if credentials.access_keys is None or not report_available:
        last_used = LastUse.unknown("a credential listing for this user failed")
    else:
        uses = [c.last_used for c in found if c.active]  # an SSH key's use is unknown: so is the user's
        last_used = LastUse.latest(*uses) if uses else LastUse.never()

    permissions, privileged = permissions_of(user, local_policies)
    # An IAM user cannot be disabled, only its credentials: with none active it cannot act.
    enabled = credentials.access_keys is None or any(c.active for c in found)
    return Identity(
        id=user["Arn"],
        provider="aws",
        kind="aws-user",
        scope=account,
        name=user["UserName"],
        source=UNIT_PRINCIPALS,
        aliases=(user["UserId"],),
        created=user.get("CreateDate"),
        last_used=last_used,
        enabled=enabled,
        privileged=privileged,
        permissions=tuple(permissions),
        tags=_tags(user.get("Tags")),
        credentials=tuple(found),
        details={"path": user.get("Path", "/"), "groups": list(user.get("GroupList", []))},
    )
