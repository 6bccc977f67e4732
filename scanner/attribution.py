"""Who holds an identity and who answers for it, with the evidence an auditor needs.

Precedence (SPEC §4): assignment > tag > match (account, tenant, app, publisher,
domain, project) > name pattern. Owners: assignment > tag > an owner the cloud
records (app owners) > the partner's sponsor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from partner_nhi.records import Affiliation, Identity
from partner_nhi.registry import Owner, Partner, Registry

# registry match list -> the affiliation kind connectors record for it
MATCH_KINDS: dict[str, str] = {
    "aws_account_ids": "aws-account",
    "azure_tenant_ids": "azure-tenant",
    "azure_app_ids": "azure-app",
    "publisher_domains": "publisher-domain",
    "gcp_domains": "gcp-domain",
    "gcp_projects": "gcp-project",
}
# registry match list -> the affiliation kind its shell-style patterns are matched against
PATTERN_MATCH_KINDS: dict[str, str] = {
    "oidc_subjects": "oidc-subject",
}


@dataclass(frozen=True)
class Evidence:
    source: str  # assignment | tag | match | name-pattern | cloud-owner | sponsor | none
    detail: str


@dataclass(frozen=True)
class Attribution:
    partner: Partner | None
    owner: Owner | None
    partner_evidence: Evidence
    owner_evidence: Evidence
    unregistered_external: tuple[str, ...] = field(default=())  # external parties no partner claims
    notes: tuple[str, ...] = field(default=())

    @property
    def source(self) -> str:
        return self.partner_evidence.source if self.partner else self.owner_evidence.source


_NONE = Evidence("none", "no registry rule matched")


class Attributor:
    """Attribution against one registry; build once per run, call per identity."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._assignments = {a.identity: a for a in registry.assignments}
        self._owners = {o.id.lower(): o for o in registry.owners}
        self._partners = {p.id: p for p in registry.partners}
        self._claims: dict[tuple[str, str], Partner] = {}
        for partner in registry.partners:
            for list_name, kind in MATCH_KINDS.items():
                for value in getattr(partner.match, list_name):
                    self._claims.setdefault((kind, value.lower()), partner)

    def attribute(self, identity: Identity) -> Attribution:
        notes: list[str] = []
        partner, partner_evidence = self._partner(identity, notes)
        owner, owner_evidence = self._owner(identity, partner, notes)
        unregistered = tuple(f"{a.kind} {a.value}" for a in self.unclaimed(identity))
        return Attribution(partner, owner, partner_evidence, owner_evidence, unregistered, tuple(notes))

    def unclaimed(self, identity: Identity) -> list[Affiliation]:
        """External parties of ``identity`` a registry match key could name but no partner does."""
        return [
            a
            for a in identity.affiliations
            if a.external and a.kind in MATCH_KINDS.values() and (a.kind, a.value.lower()) not in self._claims
        ]

    def _assignment_for(self, identity: Identity) -> tuple[str, object] | None:
        for native_id in (identity.id, *identity.aliases):
            if native_id in self._assignments:
                return native_id, self._assignments[native_id]
        return None

    def _partner(self, identity: Identity, notes: list[str]) -> tuple[Partner | None, Evidence]:
        found = self._assignment_for(identity)
        if found:
            native_id, assignment = found
            partner_id = getattr(assignment, "partner", None)
            if partner_id:
                return self._partners[partner_id], Evidence("assignment", f"registry assignment for {native_id}")
        tag_value = identity.tags.get(self.registry.tags.partner)
        if tag_value:
            if tag_value in self._partners:
                return self._partners[tag_value], Evidence("tag", f"tag {self.registry.tags.partner}={tag_value}")
            notes.append(f"tag {self.registry.tags.partner}={tag_value} names no registered partner")
        matched = [
            (self._claims[(a.kind, a.value.lower())], a)
            for a in identity.affiliations
            if (a.kind, a.value.lower()) in self._claims
        ]
        if matched:
            partner, affiliation = matched[0]
            others = sorted({p.id for p, _ in matched} - {partner.id})
            if others:
                notes.append(f"also matches partner(s) {', '.join(others)}")
            list_name = next(k for k, v in MATCH_KINDS.items() if v == affiliation.kind)
            return partner, Evidence(
                "match", f"{affiliation.kind} {affiliation.value} in {partner.id}.match.{list_name}"
            )
        for affiliation in identity.affiliations:
            for list_name, kind in PATTERN_MATCH_KINDS.items():
                if affiliation.kind != kind:
                    continue
                for partner in self.registry.partners:
                    for pattern in getattr(partner.match, list_name):
                        if fnmatchcase(affiliation.value.lower(), pattern.lower()):
                            return partner, Evidence(
                                "match",
                                f"{kind} {affiliation.value} matches {pattern!r} in {partner.id}.match.{list_name}",
                            )
        for partner in self.registry.partners:
            for pattern in partner.match.name_patterns:
                if fnmatchcase(identity.name.lower(), pattern.lower()):
                    return partner, Evidence(
                        "name-pattern", f"name {identity.name!r} matches {pattern!r} of {partner.id}"
                    )
        return None, _NONE

    def _owner(self, identity: Identity, partner: Partner | None, notes: list[str]) -> tuple[Owner | None, Evidence]:
        found = self._assignment_for(identity)
        if found:
            native_id, assignment = found
            owner_id = getattr(assignment, "owner", None)
            if owner_id:
                return self._owners[owner_id.lower()], Evidence("assignment", f"registry assignment for {native_id}")
        tag_value = identity.tags.get(self.registry.tags.owner)
        if tag_value:
            if tag_value.lower() in self._owners:
                return self._owners[tag_value.lower()], Evidence("tag", f"tag {self.registry.tags.owner}={tag_value}")
            notes.append(f"tag {self.registry.tags.owner}={tag_value} names no registered owner")
        for hint in identity.owner_hints:
            if hint.lower() in self._owners:
                return self._owners[hint.lower()], Evidence("cloud-owner", f"{hint} is recorded as owner in the cloud")
        if partner is not None and partner.sponsor:
            return self._owners[partner.sponsor.lower()], Evidence(
                "sponsor", f"no owner of its own: sponsor of partner {partner.id}"
            )
        return None, Evidence("none", "no assignment, owner tag, recorded owner or partner sponsor")
