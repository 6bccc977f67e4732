"""The synthetic AWS estate the benchmark scans on a moto server: one or more accounts
of N identities each, 80 % IAM users and 20 % roles (so N = 2,500 is the 2,000 users
+ 500 roles of the side-by-side with Prowler).

Users hold 0, 1, 1, 2 access keys in turn (one in eight of the two-key users has its
second key inactive), keys 1 to 371 days old, used recently, used long ago or never;
one user in ten has an SSH key and one in ten a console password. Half the roles
trust a partner's account, the others EC2. Every date is a plain function of the
user's number (:func:`user_plan`), so the parent process knows what the scanners
should find (:func:`expected`) without asking the server. No age or idle time is
within five days of the 90-day thresholds: day-boundary rounding cannot decide a
finding. Objects are written straight into moto's backend, dates included:
seeding through the API would take longer than the scans.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

BASE_ACCOUNT = "123456789012"  # the account of moto's default credentials
PARTNER_ACCOUNT = "111122223333"
THRESHOLD_DAYS = 90  # unrotated and unused, for both scanners
_NEAR = range(THRESHOLD_DAYS - 5, THRESHOLD_DAYS + 6)
KEYS_BY_USER = (0, 1, 1, 2)


def account_ids(count: int) -> list[str]:
    """The base account, then made-up ones reached by AssumeRole."""
    return [BASE_ACCOUNT, *(f"{100000000000 + n:012d}" for n in range(1, count))]


def _clear(days: int) -> int:
    """Keep ``days`` out of the threshold's neighbourhood."""
    return days + 11 if days in _NEAR else days


@dataclass(frozen=True)
class KeyPlan:
    age: int  # days since creation
    active: bool
    used: int | None  # days since last use; None: never used


@dataclass(frozen=True)
class UserPlan:
    name: str
    age: int
    keys: tuple[KeyPlan, ...]
    ssh_key: bool
    password_used: int | bool | None  # False: no console password; None: never signed in


def user_plan(n: int) -> UserPlan:
    keys = []
    for slot in range(KEYS_BY_USER[n % 4]):
        age = _clear((n * 37 + slot * 53) % 371 + 1)
        mode = (n + slot) % 3
        used = min(n % 10 + 1, age) if mode == 0 else _clear((age + 1) // 2) if mode == 1 else None
        keys.append(KeyPlan(age, active=not (slot == 1 and n % 8 == 7), used=used))
    password: int | bool | None = False
    if n % 10 == 5:
        password = 10 if n % 20 == 5 else None if n % 40 == 15 else 200
    return UserPlan(f"svc-{n:06d}", 400 + n % 500, tuple(keys), n % 10 == 0, password)


def split(size: int) -> tuple[int, int]:
    """Users and roles of an account of ``size`` identities."""
    users = size * 4 // 5
    return users, size - users


@dataclass(frozen=True)
class Expected:
    """What a scan of one account should find, by user name, at the 90-day thresholds."""

    unrotated: frozenset[str]  # an active key older than the threshold
    unused: frozenset[str]  # an active key last used longer ago than the threshold
    never_used: frozenset[str]  # an active key never used, created longer ago than the threshold
    doubled: frozenset[str]  # two active keys


CATEGORIES = ("unrotated", "unused", "never_used", "doubled")


def expected(size: int) -> Expected:
    found: dict[str, set[str]] = {category: set() for category in CATEGORIES}
    for n in range(split(size)[0]):
        plan = user_plan(n)
        active = [key for key in plan.keys if key.active]
        if any(key.age > THRESHOLD_DAYS for key in active):
            found["unrotated"].add(plan.name)
        if any(key.used is not None and key.used > THRESHOLD_DAYS for key in active):
            found["unused"].add(plan.name)
        if any(key.used is None and key.age > THRESHOLD_DAYS for key in active):
            found["never_used"].add(plan.name)
        if len(active) > 1:
            found["doubled"].add(plan.name)
    return Expected(**{category: frozenset(names) for category, names in found.items()})


def seed(accounts: list[str], size: int) -> None:
    """Write ``size`` identities into each account of moto's in-process backend."""
    from moto.iam.models import AccessKeyLastUsed, iam_backends

    now = datetime.now(UTC).replace(tzinfo=None)  # moto keeps naive UTC datetimes

    def ago(days: int) -> datetime:
        return now - timedelta(days=days)

    users, roles = split(size)
    partner_trust = _trust({"AWS": f"arn:aws:iam::{PARTNER_ACCOUNT}:root"})
    service_trust = _trust({"Service": "ec2.amazonaws.com"})
    for account in accounts:
        iam = iam_backends[account]["global"]
        for n in range(users):
            plan = user_plan(n)
            user = iam.create_user(region_name="us-east-1", user_name=plan.name, path="/", tags=[])
            user.create_date = ago(plan.age)
            for key_plan in plan.keys:
                key = iam.create_access_key(plan.name, status="Active" if key_plan.active else "Inactive")
                key.create_date = ago(key_plan.age)
                if key_plan.used is not None:
                    key.last_used = AccessKeyLastUsed(ago(key_plan.used), service="s3", region="us-east-1")
            if plan.ssh_key:
                iam.upload_ssh_public_key(plan.name, "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC7 bench")
            if plan.password_used is not False:
                iam.create_login_profile(plan.name, "Bench-password-1")
                user.password_last_used = None if plan.password_used is None else ago(plan.password_used)
        for n in range(roles):
            role = iam.create_role(
                role_name=f"partner-role-{n:06d}",
                assume_role_policy_document=partner_trust if n % 2 == 0 else service_trust,
                path="/",
                permissions_boundary=None,
                description="",
                tags=[],
                max_session_duration="3600",
                linked_service=None,
            )
            role.create_date = ago(30 + n % 700)
            role.last_used = None if n % 3 == 0 else ago(n % 200)


def _trust(principal: dict[str, str]) -> str:
    statement = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})
