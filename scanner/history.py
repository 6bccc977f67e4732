"""Coverage-gated resolution (SPEC §7): the one place that decides a finding's fate.

A finding seen again is ``open``; one seen for the first time (or again after
being resolved) is ``new``. A finding not seen again is ``resolved`` only when
this run's listing that would show it was complete: the identity is gone from
a complete listing, or every unit it relied on completed and the rule passed.
Otherwise it is carried over, still open. An API error is never an empty list.
"""

from __future__ import annotations

from enum import StrEnum


class Fate(StrEnum):
    RESOLVED = "resolved"
    CARRIED = "carried"  # coverage incomplete: not re-evaluated
    UNDETERMINED = "undetermined"  # re-evaluated, but the evidence is missing


def fate_of_absent_finding(
    units: list[str],
    identity_present: bool,
    undetermined: bool,
    complete_units: set[str],
) -> Fate:
    """What happens to an open finding the rules did not raise this run.

    ``units[0]`` is the unit that lists the identity; the rest are units whose
    data the finding relied on (e.g. the access-key listing).
    """
    if not units:
        return Fate.CARRIED
    if not identity_present:
        return Fate.RESOLVED if units[0] in complete_units else Fate.CARRIED
    if undetermined:
        return Fate.UNDETERMINED
    return Fate.RESOLVED if all(unit in complete_units for unit in units) else Fate.CARRIED
