"""The fate of an open finding the rules did not raise again (SPEC §7)."""

from __future__ import annotations

import pytest

from partner_nhi.history import Fate, fate_of_absent_finding

UNITS = ["principals", "access-keys"]


@pytest.mark.parametrize(
    ("present", "undetermined", "complete", "fate"),
    [
        (True, False, {"principals", "access-keys"}, Fate.RESOLVED),  # listed completely, rule passes
        (True, False, {"principals"}, Fate.CARRIED),  # the keys listing failed: not re-evaluated
        (True, True, {"principals", "access-keys"}, Fate.UNDETERMINED),  # last use unknown
        (False, False, {"principals"}, Fate.RESOLVED),  # gone from a complete listing
        (False, False, set(), Fate.CARRIED),  # absent because the listing failed
        (False, False, {"access-keys"}, Fate.CARRIED),
    ],
)
def test_fate(present: bool, undetermined: bool, complete: set[str], fate: Fate) -> None:
    assert fate_of_absent_finding(UNITS, present, undetermined, complete) is fate


def test_no_units_recorded_is_never_resolved() -> None:
    assert fate_of_absent_finding([], False, False, {"principals"}) is Fate.CARRIED
