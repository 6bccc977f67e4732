"""Last use known only as far back as the provider records it (e.g. AWS RoleLastUsed: 400 days):
idle at least that long is stale past a shorter threshold and undetermined past a longer one."""

from __future__ import annotations

from datetime import timedelta

from helpers.builders import NOW, days_ago, identity, sample_registry
from partner_nhi.attribution import Attributor
from partner_nhi.records import LastUse
from partner_nhi.rules.catalogue import DEFAULT_THRESHOLDS, evaluate
from partner_nhi.rules.model import Hit, RuleInput, Undetermined

QUIET = LastUse.unused_since(days_ago(400), "RoleLastUsed covers the trailing 400 days")


def verdict(last_used: LastUse, days: int) -> object:
    subject = identity("quiet-role", kind="aws-role", created=days_ago(900), last_used=last_used)
    rule_input = RuleInput(
        subject, Attributor(sample_registry()).attribute(subject), {**DEFAULT_THRESHOLDS, "stale-identity": days}, NOW
    )
    [judged] = [j for j in evaluate(rule_input) if j.rule.id == "stale-identity"]
    return judged.verdict


def test_idle_beyond_the_window_is_stale_under_a_shorter_threshold() -> None:
    found = verdict(QUIET, 90)
    assert isinstance(found, Hit)
    since = days_ago(400).date()
    assert (
        found.message
        == f"quiet-role: not used since {since} (400 days, as far back as use is recorded); threshold 90 days"
    )


def test_a_threshold_beyond_the_window_cannot_be_decided() -> None:
    found = verdict(QUIET, 500)
    assert isinstance(found, Undetermined) and found.why == "RoleLastUsed covers the trailing 400 days"


def test_it_is_not_never_and_its_date_is_kept_aware() -> None:
    assert QUIET.state == "unknown" and QUIET.as_text() == "unknown"
    assert QUIET.not_since is not None and QUIET.not_since.utcoffset() == timedelta(0)
    assert LastUse.latest(QUIET, LastUse.used(NOW)).not_since is None  # combined with others: plain unknown
