"""Is it still used: stale identities and credentials (OWASP NHI1, NHI7).

Unknown is not never: on ``unknown`` last use these rules say Undetermined,
so a finding neither appears nor resolves on missing evidence.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from partner_nhi.records import CredentialKind, LastUse
from partner_nhi.rules.model import Hit, RuleInput, Undetermined, Verdict


def _idle(last_used: LastUse, created: datetime | None, now: datetime, days: int) -> str | bool | None:
    """A message when idle past ``days``, False when in use, None when unknowable."""
    if last_used.state == "used" and last_used.at is not None:
        idle = (now - last_used.at).days
        return f"last used {idle} days ago ({last_used.at.date()})" if idle > days else False
    if last_used.state == "never":
        if created is None:
            return None
        age = (now - created).days
        return f"never used, created {age} days ago ({created.date()})" if age > days else False
    if last_used.not_since is not None:  # the record reaches back only so far: idle at least that long
        quiet = (now - last_used.not_since).days
        return (
            f"not used since {last_used.not_since.date()} ({quiet} days, as far back as use is recorded)"
            if quiet > days
            else None
        )
    return None


def stale_identity(rule_input: RuleInput) -> Iterator[Verdict]:
    identity = rule_input.identity
    if identity.provider_managed or not identity.enabled:
        return  # disabling is the remediation
    days = rule_input.thresholds["stale-identity"]
    idle = _idle(identity.last_used, identity.created, rule_input.now, days)
    if idle is None:
        yield Undetermined(identity.last_used.detail or "last use is not exposed for this identity")
    elif idle:
        yield Hit(f"{identity.name}: {idle}; threshold {days} days", evidence={"days": days})


def stale_credential(rule_input: RuleInput) -> Iterator[Verdict]:
    days = rule_input.thresholds["stale-credential"]
    for credential in rule_input.identity.credentials:
        if not credential.active or credential.kind is CredentialKind.FEDERATED:
            continue
        idle = _idle(credential.last_used, credential.created, rule_input.now, days)
        if idle is None:
            why = credential.last_used.detail or "last use is not exposed for this credential"
            yield Undetermined(why, credential=credential.id)
        elif idle:
            yield Hit(
                f"{credential.kind} {credential.id}: {idle}; threshold {days} days",
                credential=credential.id,
                evidence={"days": days},
            )


def human_use(rule_input: RuleInput) -> Iterator[Verdict]:
    """A person signs in interactively (a console password used within N days) with an identity
    that also holds an active API key: a human using a non-human identity (OWASP NHI10), so
    neither its activity nor its owner can be told apart any more."""
    identity, now = rule_input.identity, rule_input.now
    keys = sorted(c.id for c in identity.credentials if c.active and c.kind.is_api_key)
    passwords = [c for c in identity.credentials if c.active and c.kind is CredentialKind.CONSOLE_PASSWORD]
    if not keys or not passwords:
        return
    days = rule_input.thresholds["human-use-of-nhi"]
    for password in passwords:
        used = password.last_used
        if used.state == "unknown":
            yield Undetermined(used.detail or "when the password was last used is not exposed")
            return
        if used.state == "used" and used.at is not None and (now - used.at).days <= days:
            yield Hit(
                f"{identity.name}: console password used {(now - used.at).days} days ago ({used.at.date()}) "
                f"and {len(keys)} active API key(s): {', '.join(keys)}",
                evidence={"password_last_used": used.at.isoformat(), "api_keys": keys, "days": days},
            )
            return
