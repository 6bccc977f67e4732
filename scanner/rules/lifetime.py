"""How old, how long-lived, how many: rotation and expiry (OWASP NHI7)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import timedelta

from partner_nhi.rules.model import Hit, RuleInput, Undetermined, Verdict


def unrotated_credential(rule_input: RuleInput) -> Iterator[Verdict]:
    """An inactive key is not unrotated: only active secrets must be rotated."""
    days = rule_input.thresholds["unrotated-credential"]
    for credential in rule_input.identity.credentials:
        if not (credential.active and credential.kind.holds_secret):
            continue
        if credential.created is None:
            yield Undetermined("creation date not exposed", credential=credential.id)
            continue
        age = (rule_input.now - credential.created).days
        if age > days:
            yield Hit(
                f"active {credential.kind} {credential.id} is {age} days old; rotate every {days} days",
                credential=credential.id,
                evidence={"age_days": age, "days": days},
            )


def expired_credential(rule_input: RuleInput) -> Iterator[Verdict]:
    for credential in rule_input.identity.credentials:
        if credential.expires is not None and credential.expires <= rule_input.now:
            yield Hit(
                f"{credential.kind} {credential.id} expired on {credential.expires.date()} but is still present",
                credential=credential.id,
                evidence={"expires": credential.expires.isoformat()},
            )


def expiring_credential(rule_input: RuleInput) -> Iterator[Verdict]:
    days = rule_input.thresholds["expiring-credential"]
    horizon = rule_input.now + timedelta(days=days)
    for credential in rule_input.identity.credentials:
        expires = credential.expires
        if credential.active and expires is not None and rule_input.now < expires <= horizon:
            yield Hit(
                f"{credential.kind} {credential.id} expires on {expires.date()}, "
                f"in {(expires - rule_input.now).days} days",
                credential=credential.id,
                evidence={"expires": expires.isoformat(), "days": days},
            )


def long_lived_credential(rule_input: RuleInput) -> Iterator[Verdict]:
    days = rule_input.thresholds["long-lived-credential"]
    for credential in rule_input.identity.credentials:
        if not credential.kind.holds_secret or credential.created is None or credential.expires is None:
            continue
        if credential.expires <= rule_input.now:
            continue  # expired-credential says it
        lifetime = (credential.expires - credential.created).days
        if lifetime > days:
            yield Hit(
                f"{credential.kind} {credential.id} is valid for {lifetime} days; the maximum is {days}",
                credential=credential.id,
                evidence={"lifetime_days": lifetime, "days": days},
            )


def multiple_active_credentials(rule_input: RuleInput) -> Iterator[Verdict]:
    by_kind: dict[str, list[str]] = defaultdict(list)
    for credential in rule_input.identity.credentials:
        if credential.active and credential.kind.is_api_key:
            by_kind[credential.kind].append(credential.id)
    crowded = {kind: sorted(ids) for kind, ids in sorted(by_kind.items()) if len(ids) > 1}
    if crowded:
        summary = "; ".join(f"{len(ids)} active {kind}s: {', '.join(ids)}" for kind, ids in crowded.items())
        yield Hit(summary, evidence={"credentials": crowded})
