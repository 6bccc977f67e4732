"""Who may act as it: what a trust relationship leaves open (OWASP NHI1, NHI3, NHI5).

These rules read an identity's affiliations (the parties its trust names) as the connector
reported them; the connector reads its cloud's policy language, the rules judge the result.
"""

from __future__ import annotations

from collections.abc import Iterator

from partner_nhi.rules.model import Hit, RuleInput, Verdict

DELETED_PRINCIPAL = "deleted-principal"  # an affiliation kind: a trusted principal that no longer exists


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
