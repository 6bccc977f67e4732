"""Raw IAM principals into the core's identities (pure functions, tested from fixtures).

Each builder runs under ``Units.transform`` on one record: a record it cannot read
raises (:class:`MalformedRecord` naming the field, or ``KeyError`` for a missing one).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from partner_nhi.connectors.aws.credential_report import ReportRow
from partner_nhi.connectors.aws.credentials import console_password, timestamp
from partner_nhi.connectors.aws.trust import federations, policy_document, trusted_parties
from partner_nhi.connectors.aws.unit_names import UNIT_PRINCIPALS
from partner_nhi.connectors.aws.users import UserCredentials
from partner_nhi.contract import Credential, Identity, LastUse, MalformedRecord

PRIVILEGED_MANAGED_POLICIES = frozenset({"AdministratorAccess", "IAMFullAccess", "PowerUserAccess"})
PROVIDER_MANAGED_PATHS = ("/aws-service-role/", "/aws-reserved/")
ROLE_LAST_USED_WINDOW = timedelta(days=400)


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


@dataclass(frozen=True)
class Grant:
    """The policies a principal or group holds itself, and whether any grants admin-like power."""

    permissions: tuple[str, ...]
    privileged: bool


def permissions_of(entity: Mapping[str, Any], local_policies: Mapping[str, dict[str, Any]]) -> tuple[list[str], bool]:
    """Policy names held directly (managed, then inline), and whether any grants admin-like
    power: an AWS-managed admin policy by name, any other by its document."""
    names: list[str] = []
    privileged = False
    for attached in entity.get("AttachedManagedPolicies", []):
        names.append(attached["PolicyName"])
        aws_admin = attached["PolicyName"] in PRIVILEGED_MANAGED_POLICIES and ":aws:policy/" in attached["PolicyArn"]
        if aws_admin or _statements_grant_everything(local_policies.get(attached["PolicyArn"], {})):
            privileged = True
    inline_lists = ("UserPolicyList", "RolePolicyList", "GroupPolicyList")
    for inline in [policy for key in inline_lists for policy in entity.get(key, [])]:
        names.append(f"inline:{inline['PolicyName']}")
        if _statements_grant_everything(policy_document(inline.get("PolicyDocument"), "PolicyDocument")):
            privileged = True
    return names, privileged


def group_grant(group: Mapping[str, Any], local_policies: Mapping[str, dict[str, Any]]) -> tuple[str, Grant]:
    """A ``GroupDetailList`` entry: what every member of the group holds through it."""
    permissions, privileged = permissions_of(group, local_policies)
    return group["GroupName"], Grant(tuple(permissions), privileged)


def group_label(group: Mapping[str, Any]) -> str:
    return str(group.get("GroupName") or group.get("Arn") or "a group without name or ARN")


def user_grant(
    user: Mapping[str, Any], local_policies: Mapping[str, dict[str, Any]], groups: Mapping[str, Grant]
) -> Grant:
    """A user's own policies and those of its groups (``GroupList`` names them): a user is
    privileged through a group as much as by its own policies. A group whose record could not
    be read is named as such: its unit is partial and says why."""
    permissions, privileged = permissions_of(user, local_policies)
    for name in user.get("GroupList", []):
        grant = groups.get(name)
        if grant is None:
            permissions.append(f"group:{name}:unreadable")
            continue
        permissions += [f"group:{name}:{permission}" for permission in grant.permissions]
        privileged = privileged or grant.privileged
    return Grant(tuple(permissions), privileged)


def attachments(entity: Mapping[str, Any]) -> dict[str, list[str]]:
    """What must be detached before a user or role can be deleted (its revocation steps need them)."""
    inline = [p["PolicyName"] for key in ("UserPolicyList", "RolePolicyList") for p in entity.get(key, [])]
    found = {
        "attached_policies": [p["PolicyArn"] for p in entity.get("AttachedManagedPolicies", [])],
        "inline_policies": inline,
    }
    if "RoleName" in entity:
        found["instance_profiles"] = [p["InstanceProfileName"] for p in entity.get("InstanceProfileList", [])]
    return found


def policy_label(policy: Mapping[str, Any]) -> str:
    return str(policy.get("Arn") or policy.get("PolicyName") or "a policy without Arn or PolicyName")


def local_policy(policy: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """A customer-managed policy (``Policies`` of GetAccountAuthorizationDetails): its ARN and
    the document of its default version."""
    for version in policy["PolicyVersionList"]:
        if version.get("IsDefaultVersion"):
            return policy["Arn"], policy_document(version.get("Document"), "PolicyVersionList.Document")
    raise MalformedRecord("PolicyVersionList", "no default version")


def principal_label(principal: Mapping[str, Any]) -> str:
    """How an error names a user or role record: its name, else its ARN or unique id."""
    for key in ("UserName", "RoleName", "Arn", "UserId", "RoleId"):
        if principal.get(key):
            return str(principal[key])
    return "a principal without name, ARN or id"


def role_last_use(role: Mapping[str, Any], created: datetime | None, now: datetime) -> LastUse:
    """``RoleLastUsed`` reports the trailing 400 days only (IAM API reference, RoleLastUsed): with
    no date, a role created inside that window was never used, an older one was not used in it."""
    recorded = role.get("RoleLastUsed") or {}
    last = timestamp(recorded, "LastUsedDate")
    if last is not None:
        return LastUse.used(last, recorded.get("Region"))
    window_start = now - ROLE_LAST_USED_WINDOW
    if created is not None and created >= window_start:
        return LastUse.never()
    return LastUse.unused_since(
        window_start,
        f"RoleLastUsed covers the trailing {ROLE_LAST_USED_WINDOW.days} days: no use since {window_start.date()}; "
        "any earlier use is not reported",
    )


def role_identity(
    role: Mapping[str, Any],
    account: str,
    internal_accounts: Iterable[str],
    local_policies: Mapping[str, dict[str, Any]],
    now: datetime,
) -> Identity:
    """A ``RoleDetailList`` entry, as observed at ``now``. ``RoleLastUsed`` comes in the same
    record: no other unit."""
    path = role.get("Path", "/")
    created = timestamp(role, "CreateDate")
    permissions, privileged = permissions_of(role, local_policies)
    trust = policy_document(role.get("AssumeRolePolicyDocument"), "AssumeRolePolicyDocument")
    return Identity(
        id=role["Arn"],
        provider="aws",
        kind="aws-role",
        scope=account,
        name=role["RoleName"],
        source=UNIT_PRINCIPALS,
        aliases=(role["RoleId"],),
        created=created,
        last_used=role_last_use(role, created, now),
        provider_managed=path.startswith(PROVIDER_MANAGED_PATHS),
        privileged=privileged,
        permissions=tuple(permissions),
        tags=_tags(role.get("Tags")),
        affiliations=tuple(trusted_parties(trust, account, internal_accounts)),
        credentials=tuple(federations(trust)),
        details={"path": path, "trust_policy": trust, **attachments(role)},
    )


def user_identity(
    user: Mapping[str, Any],
    account: str,
    held: UserCredentials,
    row: ReportRow | None,
    grant: Grant,
) -> Identity:
    """A ``UserDetailList`` entry with its credentials (``held``) and credential-report row.

    An IAM user cannot be disabled, only its credentials: with none active it cannot act.
    Whether it can act, and when it last acted, need every credential: when a listing failed
    or a record could not be read (or the report has no row for it), its last use is unknown
    and it is presumed able to act."""
    created = timestamp(user, "CreateDate")
    credentials: list[Credential] = list(held.credentials)
    password = console_password(user["UserName"], created, row) if row is not None else None
    if password is not None:
        credentials.append(password)
    known = held.complete and row is not None
    if known:
        uses = [c.last_used for c in credentials if c.active]  # an SSH key's use is unknown: so is the user's
        last_used = LastUse.latest(*uses) if uses else LastUse.never()
    else:
        last_used = LastUse.unknown("a credential listing for this user failed or held an unreadable record")
    return Identity(
        id=user["Arn"],
        provider="aws",
        kind="aws-user",
        scope=account,
        name=user["UserName"],
        source=UNIT_PRINCIPALS,
        also_from=tuple(held.units),
        aliases=(user["UserId"],),
        created=created,
        last_used=last_used,
        enabled=not known or any(c.active for c in credentials),
        privileged=grant.privileged,
        permissions=grant.permissions,
        tags=_tags(user.get("Tags")),
        credentials=tuple(credentials),
        details={"path": user.get("Path", "/"), "groups": list(user.get("GroupList", [])), **attachments(user)},
    )
