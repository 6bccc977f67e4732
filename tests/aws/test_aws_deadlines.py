"""A throttling storm costs a bounded time: past the unit's budget the remaining calls are not
made, the unit is not complete ("throttled past the deadline"), and earlier findings are
carried — never an endless retry, never an empty success."""

from __future__ import annotations

import time
from pathlib import Path

from helpers.builders import sample_registry
from helpers.moto import Moto
from partner_nhi.config import Settings
from partner_nhi.engine import ScanRequest, run_scan
from partner_nhi.store import Store


def test_a_unit_throttled_past_its_deadline_is_not_complete(moto: Moto, tmp_path: Path) -> None:
    seeder = moto.seeder()
    for name in ("a", "b", "c", "d"):
        seeder.user(f"legacy-{name}", 400)
        seeder.key(f"legacy-{name}", 300)
    fast = {"attempts": 2, "initial_delay": 0.01, "max_delay": 0.02}
    with Store(f"sqlite:///{tmp_path}/s.db") as store:
        first = run_scan(
            ScanRequest(Settings(connectors={"aws": moto.settings()}, retry=fast), sample_registry(), ["aws"]), store
        )
        assert first.status == "complete"
        moto.traffic.fail("ListAccessKeys", 400, "Throttling", times=10_000)  # throttled for good
        before = moto.traffic.actions.count("ListAccessKeys")
        # A budget shorter than botocore's own jittered backoff of the first user's calls: that user's next
        # attempt is the one past the deadline, so the unit's error (its first failure) says so every time.
        budget = {**fast, "unit_deadline_seconds": 0.05}
        settings = Settings(connectors={"aws": moto.settings()}, retry=budget)
        started = time.monotonic()
        storm = run_scan(ScanRequest(settings, sample_registry(), ["aws"]), store)
        took = time.monotonic() - started
    [scope] = storm.scopes
    keys = next(u for u in scope.units if u.resource_type == "access-keys")
    assert keys.status.value in ("partial", "failed")
    assert keys.error is not None and "throttled past the deadline" in keys.error
    assert storm.status == "partial"
    stale = [f for f in storm.findings if f.credential]
    assert stale and all(f.status == "open" and f.carried for f in stale)  # carried, not resolved
    assert took < 30  # bounded: without a deadline this storm retries each user for about a minute
    asked = moto.traffic.actions.count("ListAccessKeys") - before
    assert 0 < asked < 4 * 3 * 2  # not every user was asked (3 SDK attempts x 2 engine attempts each)
