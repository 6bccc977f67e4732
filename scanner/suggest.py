"""A first draft of the registry from what the estate already knows (``registry suggest``).

The registry has to exist before the first useful scan, yet the clouds already record which
external accounts, tenants, domains and projects are in play and who owns what. From the
normalized records of one run (``Identity.affiliations`` and ``owner_hints``, never one
cloud's payloads) this proposes, without editing anything:

- candidate partners for the external parties no registered partner claims (accounts in trust
  policies, foreign tenants, member domains, home projects), one candidate per party, or per
  parties that are evidently one (the same domain, the same verified publisher), each with its
  evidence: how many identities, which, their last use;
- for identities no partner claims that authenticate through a federation (OIDC, SAML) or an
  external principal no registry key can name, a candidate partner with an assignment per
  identity (assignments are the only way the registry can claim them);
- owners: the people the clouds record as owners (Entra app owners, owner tags) of identities
  without an accountable owner.

Platform principals are never proposed: connectors mark them (an AWS service principal is not
external, Microsoft's first-party apps and Google's service agents are provider-managed), a
federation with the cloud itself (``*.amazonaws.com``) is the platform, and public access
(``*``, ``allUsers``) is nobody's: the orphaned-identity findings report it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from partner_nhi.attribution import MATCH_KINDS, Attributor
from partner_nhi.records import Affiliation, CredentialKind, Identity, LastUse
from partner_nhi.registry import Registry

MATCH_LISTS = {kind: list_name for list_name, kind in MATCH_KINDS.items()}  # affiliation kind -> registry list
DOMAIN_KINDS = frozenset({"publisher-domain", "gcp-domain"})  # one domain is one party, whichever cloud shows it
FEDERATION_KINDS = frozenset({"oidc", "saml"})
PLATFORM_FEDERATION_SUFFIX = ".amazonaws.com"  # e.g. cognito-identity.amazonaws.com: AWS itself
PUBLIC_KINDS = frozenset({"gcp-public"})
EVIDENCE_LINES = 10  # holders listed in a YAML comment; JSON lists them all

Key = tuple[str, str]


@dataclass(frozen=True)
class Holder:
    """An identity, as evidence for a proposal."""

    id: str
    provider: str
    kind: str
    scope: str
    name: str
    last_used: LastUse
    partner: str | None  # the partner the registry in use attributes it to, if any

    @classmethod
    def of(cls, identity: Identity, partner: str | None) -> Holder:
        return cls(
            identity.id, identity.provider, identity.kind, identity.scope, identity.name, identity.last_used, partner
        )

    def evidence(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "provider": self.provider,
            "kind": self.kind,
            "scope": self.scope,
            "name": self.name,
            "last_used": self.last_used.as_text(),
            "partner": self.partner,
        }

    def line(self) -> str:
        """One line for a YAML comment: every cloud-supplied string quoted, so none can end the comment."""
        attributed = f"; attributed to {self.partner}" if self.partner else ""
        return (
            f"{self.provider} {self.kind} {_quoted(self.name)} {_quoted(self.id)} "
            f"(scope {_quoted(self.scope)}; last used {self.last_used.as_text()}{attributed})"
        )


@dataclass
class Candidate:
    """A proposed partner: one external party (or several that are evidently one) and who holds it."""

    parties: set[Key] = field(default_factory=set)  # (affiliation kind, value) a registry match list can name
    federations: set[str] = field(default_factory=set)  # what no match list can name: claimed by assignments
    publishers: set[str] = field(default_factory=set)  # verified publisher names, for the partner's name
    # the domains a foreign app's record names (its identifier URIs): evidence only, never proposed
    # as a match, since a hosting domain (azurewebsites.net) would claim every app hosted there
    domains: set[str] = field(default_factory=set)
    holders: dict[str, Holder] = field(default_factory=dict)

    def absorb(self, other: Candidate) -> None:
        self.parties |= other.parties
        self.federations |= other.federations
        self.publishers |= other.publishers
        self.domains |= other.domains
        self.holders.update(other.holders)

    @property
    def match(self) -> dict[str, list[str]]:
        lists: dict[str, list[str]] = {}
        for kind, value in sorted(self.parties):
            lists.setdefault(MATCH_LISTS[kind], []).append(value)
        return lists

    @property
    def by_assignment(self) -> bool:
        """No match list can name it: its identities are claimed one assignment each."""
        return not self.parties

    def described(self) -> list[str]:
        return [f"{kind} {value}" for kind, value in sorted(self.parties)] + sorted(self.federations)


@dataclass
class OwnerCandidate:
    """A person the clouds record as owner of identities that have no accountable owner."""

    id: str  # as the cloud spells it
    recorded_as: set[str] = field(default_factory=set)  # "owner in the cloud", "tag owner"
    holders: dict[str, Holder] = field(default_factory=dict)


@dataclass(frozen=True)
class Suggestions:
    partners: list[Candidate]
    owners: list[OwnerCandidate]
    unowned: list[Holder]  # no accountable owner and no hint: to assign by hand


class _Parties:
    """Candidates keyed by party; keys seen together (one domain, one publisher, one identity's
    federations) merge their candidates (a union-find over the keys)."""

    def __init__(self) -> None:
        self._parent: dict[Key, Key] = {}
        self._found: dict[Key, Candidate] = {}

    def _root(self, key: Key) -> Key:
        self._parent.setdefault(key, key)
        while self._parent[key] != key:
            self._parent[key] = self._parent[self._parent[key]]
            key = self._parent[key]
        return key

    def add(self, keys: list[Key], found: Candidate) -> None:
        roots = list(dict.fromkeys(self._root(key) for key in keys))
        into = roots[0]
        merged = self._found.setdefault(into, Candidate())
        merged.absorb(found)
        for root in roots[1:]:
            self._parent[root] = into
            merged.absorb(self._found.pop(root, Candidate()))

    def candidates(self) -> list[Candidate]:
        return sorted(self._found.values(), key=lambda c: (-len(c.holders), c.described()))


def suggest(identities: Iterable[Identity], registry: Registry) -> Suggestions:
    """Proposals for what the registry in use does not claim, from the identities of one run."""
    attributor = Attributor(registry)
    parties = _Parties()
    owners: dict[str, OwnerCandidate] = {}
    unowned: list[Holder] = []
    for identity in identities:
        if identity.provider_managed:
            continue
        who = attributor.attribute(identity)
        holder = Holder.of(identity, who.partner.id if who.partner else None)
        publisher = identity.details.get("verified_publisher")
        unclaimed = [a for a in attributor.unclaimed(identity) if not _public(a)]
        for party in unclaimed:
            found = Candidate(parties={(party.kind, party.value)}, holders={identity.id: holder})
            if party.kind == "azure-tenant":
                found.publishers.update([str(publisher)] if publisher else [])
                found.domains.update(
                    a.value for a in identity.affiliations if a.kind in DOMAIN_KINDS and not a.external
                )
            parties.add(_keys(party, str(publisher) if publisher else None), found)
        federations = _federations(identity)
        if who.partner is None and not unclaimed and federations:
            parties.add(
                [("federation", f) for f in federations],
                Candidate(federations=set(federations), holders={identity.id: holder}),
            )
        if who.owner is None:
            hints = _owner_hints(identity, registry.tags.owner)
            for hint, recorded_as in hints:
                owner = owners.setdefault(hint.lower(), OwnerCandidate(hint))
                owner.recorded_as.add(recorded_as)
                owner.holders[identity.id] = holder
            if not hints:
                unowned.append(holder)
    ranked = sorted(owners.values(), key=lambda o: (-len(o.holders), o.id.lower()))
    return Suggestions(parties.candidates(), ranked, unowned)


def _public(affiliation: Affiliation) -> bool:
    return affiliation.value == "*" or affiliation.kind in PUBLIC_KINDS


def _keys(party: Affiliation, publisher: str | None) -> list[Key]:
    keys = [(party.kind, party.value.lower())]
    if party.kind in DOMAIN_KINDS:
        keys.append(("domain", party.value.lower()))
    if publisher and party.kind == "azure-tenant":
        keys.append(("publisher", publisher.lower()))
    return keys


def _federations(identity: Identity) -> list[str]:
    """How the identity authenticates that no registry match key can name: a federation (OIDC,
    SAML) or an external principal of a kind the registry has no list for."""
    found = [
        f"{a.kind} {a.value}"
        for a in identity.affiliations
        if (a.kind in FEDERATION_KINDS and not a.value.endswith(PLATFORM_FEDERATION_SUFFIX))
        or (a.external and a.kind not in MATCH_LISTS and a.kind not in FEDERATION_KINDS and not _public(a))
    ]
    found += [
        f"federated {c.display}" for c in identity.credentials if c.kind is CredentialKind.FEDERATED and c.display
    ]
    return list(dict.fromkeys(found))


def _owner_hints(identity: Identity, owner_tag: str) -> list[tuple[str, str]]:
    """(person, how the cloud records them) for an identity with no accountable owner."""
    hints = [(hint, "owner in the cloud") for hint in identity.owner_hints]
    tagged = identity.tags.get(owner_tag)
    if tagged:
        hints.append((tagged, f"tag {owner_tag}"))
    return hints


def _latest_use(holders: Iterable[Holder]) -> str:
    """The most recent use among the holders; ``unknown`` if none is dated and one is unknown."""
    uses = [h.last_used for h in holders]
    dated = [u.at for u in uses if u.state == "used" and u.at is not None]
    if dated:
        return max(dated).isoformat()
    return "unknown" if any(u.state == "unknown" for u in uses) else "never"


def _identities(count: int) -> str:
    return f"{count} identity" if count == 1 else f"{count} identities"


def _quoted(value: str) -> str:
    """A YAML double-quoted scalar (JSON's escapes are a subset of YAML's): safe in values and comments."""
    return json.dumps(value)


def partner_id(number: int) -> str:
    """The placeholder for a proposed partner's id: not a valid slug, so the draft does not validate
    until someone has chosen one."""
    return f"<partner-{number}>"


def partner_name(number: int) -> str:
    return f"<name of partner-{number}>"


def owner_name(owner: OwnerCandidate) -> str:
    return f"<name of {owner.id}>"


def as_document(suggestions: Suggestions, source: dict[str, Any]) -> dict[str, Any]:
    """The proposals as JSON: ``partners`` (and ``owners``, ``assignments``) in the registry's
    version 1 shape, each proposal with an ``evidence`` field. ``source`` says where they come from."""
    partners, assignments = [], []
    for number, candidate in enumerate(suggestions.partners, start=1):
        holders = list(candidate.holders.values())
        partners.append(
            {
                "id": partner_id(number),
                "name": min(candidate.publishers) if candidate.publishers else partner_name(number),
                "status": "active",
                "match": candidate.match,
                "evidence": {
                    "identities": len(holders),
                    "last_used": _latest_use(holders),
                    "parties": candidate.described(),
                    "publishers": sorted(candidate.publishers),
                    "domains": sorted(candidate.domains),
                    "holders": [h.evidence() for h in holders],
                },
            }
        )
        if candidate.by_assignment:
            assignments += [{"identity": h.id, "partner": partner_id(number)} for h in holders]
    owners = [
        {
            "id": owner.id,
            "name": owner_name(owner),
            "status": "active",
            "evidence": {
                "identities": len(owner.holders),
                "recorded_as": sorted(owner.recorded_as),
                "last_used": _latest_use(owner.holders.values()),
                "holders": [h.evidence() for h in owner.holders.values()],
            },
        }
        for owner in suggestions.owners
    ]
    unowned = {"identities": len(suggestions.unowned), "holders": [h.evidence() for h in suggestions.unowned]}
    return {
        "source": source,
        "owners": owners,
        "partners": partners,
        "assignments": assignments,
        "unowned": unowned,
    }


def as_yaml(suggestions: Suggestions, source: dict[str, Any]) -> str:
    """The proposals as a commented registry snippet (format version 1), the evidence in comments."""
    lines = [
        "# partner-nhi registry suggest: a draft for the registry (format version 1). Nothing was changed.",
        f"# From run {source['run']['id']} ({source['run']['command']}, {source['run']['status']}, "
        f"finished {source['run']['finished']}); registry: {source['registry'] or 'none (nothing is claimed yet)'}.",
    ]
    if source["run"]["status"] != "complete":
        lines.append("# The run was not complete: identities in scopes it could not list are missing below.")
    lines += [
        "# Before merging: replace every <partner-N> with the partner's id (a slug: a-z, 0-9, - and _) and",
        "# every <name of ...> with a name; until then `partner-nhi registry validate` refuses this file.",
        "# Then set each partner's status and sponsor (an owner id who answers for it).",
        "version: 1",
    ]
    lines += _owners_yaml(suggestions.owners)
    lines += _partners_yaml(suggestions.partners)
    lines += _assignments_yaml(suggestions.partners)
    if suggestions.unowned:
        lines.append(
            f"# {len(suggestions.unowned)} identities have no accountable owner and no owner the cloud records:"
        )
        lines += _holder_lines(suggestions.unowned, "assign an owner to each by hand")
    return "\n".join(lines) + "\n"


def _holder_lines(holders: list[Holder], more: str = "see --format json") -> list[str]:
    lines = [f"#   {h.line()}" for h in holders[:EVIDENCE_LINES]]
    if len(holders) > EVIDENCE_LINES:
        lines.append(f"#   ... and {len(holders) - EVIDENCE_LINES} more ({more})")
    return lines


def _owners_yaml(owners: list[OwnerCandidate]) -> list[str]:
    if not owners:
        return ["owners: []"]
    lines = ["owners:"]
    for owner in owners:
        holders = list(owner.holders.values())
        lines.append(
            f"  # recorded ({', '.join(sorted(owner.recorded_as))}) as owner of {_identities(len(holders))} "
            f"with no accountable owner; last used {_latest_use(holders)}:"
        )
        lines += ["  " + line for line in _holder_lines(holders)]
        lines += [f"  - id: {_quoted(owner.id)}", f"    name: {_quoted(owner_name(owner))}", "    status: active"]
    return lines


def _partners_yaml(candidates: list[Candidate]) -> list[str]:
    if not candidates:
        return ["partners: []"]
    lines = ["partners:"]
    for number, candidate in enumerate(candidates, start=1):
        holders = list(candidate.holders.values())
        lines.append(
            f"  # {partner_id(number)}: {', '.join(_quoted(d) for d in candidate.described())}; "
            f"{_identities(len(holders))}, last used {_latest_use(holders)}:"
        )
        lines += ["  " + line for line in _holder_lines(holders)]
        if candidate.domains:
            named = ", ".join(_quoted(d) for d in sorted(candidate.domains))
            lines.append(f"  # Its apps name the domains {named}: add the partner's own to match.publisher_domains.")
        if candidate.by_assignment:
            lines.append("  # No registry key matches these: the assignments below claim each identity.")
            lines.append("  # If the workload is your own, drop this partner and give each identity an owner instead.")
        lines.append(f"  - id: {_quoted(partner_id(number))}")
        if candidate.publishers:
            lines.append(f"    name: {_quoted(min(candidate.publishers))}   # the verified publisher: check it")
        else:
            lines.append(f"    name: {_quoted(partner_name(number))}")
        lines.append("    status: active   # active | offboarding | offboarded (then also offboarded_on: DATE)")
        lines.append("    # sponsor: an owner id who answers for this partner")
        if candidate.match:
            lines.append("    match:")
            lines += [
                f"      {name}: [{', '.join(_quoted(v) for v in values)}]" for name, values in candidate.match.items()
            ]
    return lines


def _assignments_yaml(candidates: list[Candidate]) -> list[str]:
    claimed = [(number, c) for number, c in enumerate(candidates, start=1) if c.by_assignment]
    if not claimed:
        return ["assignments: []"]
    lines = ["assignments:"]
    for number, candidate in claimed:
        lines += [
            f"  - {{identity: {_quoted(h.id)}, partner: {_quoted(partner_id(number))}}}"
            for h in candidate.holders.values()
        ]
    return lines
