"""Who may act as it: what a trust relationship leaves open (OWASP NHI1, NHI3, NHI5).

These rules read an identity's affiliations (the parties its trust names) as the connector
reported them; the connector reads its cloud's policy language, the rules judge the result.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from partner_nhi.records import Affiliation
from partner_nhi.rules.model import Hit, RuleInput, Verdict

DELETED_PRINCIPAL = "deleted-principal"  # an affiliation kind: a trusted principal that no longer exists
# Affiliation.gap values (see partner_nhi.records.Affiliation)
NO_EXTERNAL_ID = "no-external-id"
ANYONE = "anyone"


def dangling_trust(rule_input: RuleInput) -> Iterator[Verdict]:
    """A trust naming a principal that was deleted: nobody can use it (a principal recreated
    under the same name is not trusted), but it hides whom the identity was meant for and
    keeps an offboarding unfinished."""
    identity = rule_input.identity
    if identity.provider_managed:
        return
    deleted = sorted({a.value for a in identity.affiliations if a.kind == DELETED_PRINCIPAL})
    if deleted:
        yield Hit(
            f"{identity.name} trusts {len(deleted)} deleted principal(s): {', '.join(deleted)}",
            evidence={"deleted_principals": deleted},
        )


def _parties(rule_input: RuleInput, gap: str) -> list[Affiliation]:
    if rule_input.identity.provider_managed:
        return []
    return [a for a in rule_input.identity.affiliations if a.gap == gap]


def _evidence(rule_input: RuleInput, parties: list[Affiliation]) -> dict[str, Any]:
    """Each open party, whether a registered partner claims it, and the identity's partner."""
    who = rule_input.attribution
    return {
        "partner": who.partner.id if who.partner else None,
        "parties": [
            {
                "kind": a.kind,
                "value": a.value,
                "registered": f"{a.kind} {a.value}" not in who.unregistered_external,
                "detail": a.detail,
            }
            for a in parties
        ],
    }


def trust_without_external_id(rule_input: RuleInput) -> Iterator[Verdict]:
    """An account outside the customer (a partner's, or one no partner claims) may assume the
    identity without an external id: a party that serves many customers can be tricked into
    using its access on behalf of another (the confused deputy)."""
    parties = [a for a in _parties(rule_input, NO_EXTERNAL_ID) if a.external]
    if parties:
        who = rule_input.attribution
        named = ", ".join(a.value for a in parties)
        owner = f"partner {who.partner.id}" if who.partner else "no registered partner"
        yield Hit(
            f"{rule_input.identity.name} may be assumed from {named} ({owner}) without an external id",
            evidence=_evidence(rule_input, parties),
        )


def trust_open_to_anyone(rule_input: RuleInput) -> Iterator[Verdict]:
    """Any principal of any account may assume the identity: no condition narrows who."""
    parties = _parties(rule_input, ANYONE)
    if parties:
        yield Hit(
            f"{rule_input.identity.name} may be assumed by any principal: "
            + "; ".join(a.detail or a.value for a in parties),
            evidence=_evidence(rule_input, parties),
        )
