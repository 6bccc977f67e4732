"""What an outside party's app may do here (OWASP NHI3, NHI5): third-party apps judged by the
permissions they hold and by whether the platform vouches for their publisher.

An identity is third-party when one of its affiliations is external (an app registered in a
partner's or an unknown tenant). Levels come from the connector's classification, with its
source in the evidence; provider-managed identities (Microsoft's own apps) are never judged.
"""

from __future__ import annotations

from collections.abc import Iterator

from partner_nhi.records import Entitlement, EntitlementKind, EntitlementLevel, Identity
from partner_nhi.rules.model import Hit, RuleInput, Verdict


def _parties(identity: Identity) -> list[str]:
    """The outside parties it belongs to; empty for the customer's own identities."""
    if identity.provider_managed:
        return []
    return [f"{a.kind} {a.value}" for a in identity.affiliations if a.external]


def entitlement_evidence(entitlements: list[Entitlement]) -> list[dict[str, object]]:
    """Each permission with the grants or assignments conferring it and where its level comes from."""
    return [
        {
            "permission": e.describe(),
            "level": e.level.value,
            "classified_by": e.classified_by,
            "ids": list(e.ids),
        }
        for e in entitlements
    ]


def _reaches_everyone(entitlement: Entitlement) -> bool:
    """App-only permissions act on the whole tenant; a delegated scope does when every user consented."""
    return entitlement.kind is EntitlementKind.APPLICATION or (
        entitlement.kind is EntitlementKind.DELEGATED and entitlement.all_users
    )


def third_party_high_privilege(rule_input: RuleInput) -> Iterator[Verdict]:
    identity = rule_input.identity
    parties = _parties(identity)
    risky = [e for e in identity.entitlements if e.level is EntitlementLevel.HIGH and _reaches_everyone(e)]
    if parties and risky:
        yield Hit(
            f"{identity.name} ({', '.join(parties)}) holds high-privilege permissions across the tenant: "
            + "; ".join(e.describe() for e in risky),
            evidence={"parties": parties, "permissions": entitlement_evidence(risky)},
        )


def third_party_unverified_publisher(rule_input: RuleInput) -> Iterator[Verdict]:
    identity = rule_input.identity
    parties = _parties(identity)
    if not parties or identity.publisher_verified is not False:
        return
    held = [e for e in identity.entitlements if e.level is not EntitlementLevel.LOW]
    if held:
        yield Hit(
            f"{identity.name} ({', '.join(parties)}) has no verified publisher but holds "
            + "; ".join(e.describe() for e in held),
            evidence={"parties": parties, "permissions": entitlement_evidence(held)},
        )
