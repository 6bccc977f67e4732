"""Who answers for it: orphaned identities (OWASP NHI1, NHI3)."""

from __future__ import annotations

from collections.abc import Iterator

from partner_nhi.registry import OwnerStatus, PartnerStatus
from partner_nhi.rules.model import Hit, RuleInput, Severity, Verdict
from partner_nhi.rules.thirdparty import entitlement_evidence


def orphaned_identity(rule_input: RuleInput) -> Iterator[Verdict]:
    """The most serious reason wins; one finding per identity keeps the id stable."""
    identity, who = rule_input.identity, rule_input.attribution
    if identity.provider_managed:
        return
    partner, owner = who.partner, who.owner
    held = list(identity.entitlements)
    if partner is not None and partner.status is PartnerStatus.OFFBOARDED and (identity.enabled or held):
        # disabled but still consented: the grants outlive the partner; name each one to remove
        state = "still enabled" if identity.enabled else "disabled but still granted"
        holding = f"; still holds {'; '.join(e.describe() for e in held)}" if held else ""
        yield Hit(
            f"partner {partner.id} was offboarded on {partner.offboarded_on} but {identity.name} is {state}{holding}",
            reason="partner-offboarded",
            severity=Severity.HIGH,
            evidence={"offboarded_on": str(partner.offboarded_on), "remove": entitlement_evidence(held)},
        )
    elif owner is not None and owner.status is OwnerStatus.DEPARTED:
        yield Hit(
            f"owner {owner.id} has departed ({who.owner_evidence.detail})",
            reason="owner-departed",
            severity=Severity.MEDIUM,
        )
    elif who.unregistered_external:
        parties = ", ".join(who.unregistered_external)
        yield Hit(
            f"trusts or belongs to external parties no registered partner claims: {parties}",
            reason="unregistered-external",
            severity=Severity.HIGH,
            evidence={"external": list(who.unregistered_external)},
        )
    elif owner is None:
        yield Hit("no accountable owner: no assignment, owner tag, recorded owner or partner", reason="no-owner")
