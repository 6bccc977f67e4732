"""Where the registry and the estate have drifted apart (``registry diff``).

The registry in use is applied afresh to the normalized records of the latest run, so an edit
to the registry shows at once, without a new scan:

- partners no identity is attributed to any more (an offboarded partner with nothing left is
  done; an active one with nothing is a match rule that no longer matches);
- identities attributed by a name pattern only: the weakest evidence, worth an assignment or
  a match rule;
- assignments naming an identity the run did not see: gone (a complete listing no longer had
  it), never seen at all (a typo, or a scope never scanned), or only missing from this run
  (its scope was not listed completely: absence is not proof).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from partner_nhi.attribution import Attributor
from partner_nhi.records import Identity
from partner_nhi.registry import Assignment, Partner, Registry
from partner_nhi.suggest import Holder

GONE, NEVER_SEEN, NOT_IN_RUN = "gone", "never-seen", "not-in-run"


@dataclass(frozen=True)
class PatternOnly:
    holder: Holder
    detail: str  # which pattern of which partner


@dataclass(frozen=True)
class DanglingAssignment:
    index: int  # in the registry's assignments list
    assignment: Assignment
    state: str  # gone | never-seen | not-in-run
    gone_run: str | None = None  # the run whose complete listing no longer had it


@dataclass(frozen=True)
class RegistryDiff:
    partners_without_identities: list[Partner]
    pattern_only: list[PatternOnly]
    dangling: list[DanglingAssignment]


def registry_diff(
    identities: Iterable[Identity], registry: Registry, known: Iterable[tuple[str, tuple[str, ...], str | None]]
) -> RegistryDiff:
    """``identities``: what the run saw; ``known``: every identity history knows (native id,
    aliases, the run that found it gone), to tell a gone identity from one never seen."""
    attributor = Attributor(registry)
    held: Counter[str] = Counter()
    pattern_only: list[PatternOnly] = []
    seen: set[str] = set()
    for identity in identities:
        seen.update((identity.id, *identity.aliases))
        who = attributor.attribute(identity)
        if who.partner is None:
            continue
        held[who.partner.id] += 1
        if who.partner_evidence.source == "name-pattern":
            pattern_only.append(PatternOnly(Holder.of(identity, who.partner.id), who.partner_evidence.detail))
    missing = {a.identity for a in registry.assignments if a.identity not in seen}
    gone: dict[str, str | None] = {}
    for native_id, aliases, gone_run in known:
        for name in {native_id, *aliases} & missing:
            if name not in gone or gone_run is None:  # one record of it not gone wins over a gone one
                gone[name] = gone_run
    dangling = []
    for index, assignment in enumerate(registry.assignments):
        if assignment.identity in seen:
            continue
        if assignment.identity not in gone:
            dangling.append(DanglingAssignment(index, assignment, NEVER_SEEN))
            continue
        gone_run = gone[assignment.identity]
        dangling.append(DanglingAssignment(index, assignment, GONE if gone_run else NOT_IN_RUN, gone_run))
    idle = [partner for partner in registry.partners if not held[partner.id]]
    return RegistryDiff(idle, sorted(pattern_only, key=lambda p: (p.holder.partner or "", p.holder.id)), dangling)
