"""RoleLastUsed covers the trailing 400 days (IAM API reference, RoleLastUsed): a role with no
date that is older than that was not used in 400 days; it is not "never used"."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from helpers.aws_corpus import AUTHORIZATION_DETAILS, GET_ROLE, at
from helpers.builders import sample_registry
from helpers.moto import Moto
from helpers.scan import by_rule, scan
from partner_nhi.connectors.aws.normalize import role_identity

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
[EC2_ROLE] = AUTHORIZATION_DETAILS["RoleDetailList"]  # created 2014, no RoleLastUsed


def test_a_dated_last_use_is_kept_with_its_region() -> None:
    role = role_identity(GET_ROLE, "123456789012", [], {}, NOW)
    assert (role.last_used.state, role.last_used.at, role.last_used.detail) == (
        "used",
        at("2019-11-18T05:01:58Z"),
        "us-east-1",
    )
    assert [a.value for a in role.affiliations] == ["ec2.amazonaws.com"]  # the URL-encoded trust, decoded


def test_no_date_on_a_role_older_than_the_window_is_not_never() -> None:
    role = role_identity(EC2_ROLE, "123456789012", [], {}, NOW)
    assert role.last_used.state == "unknown"
    assert role.last_used.not_since == NOW - timedelta(days=400)
    assert "trailing 400 days" in (role.last_used.detail or "")


def test_no_date_on_a_role_younger_than_the_window_is_never() -> None:
    young = {**EC2_ROLE, "CreateDate": NOW - timedelta(days=120)}
    assert role_identity(young, "123456789012", [], {}, NOW).last_used.state == "never"


def test_stale_roles_say_what_is_known(moto: Moto) -> None:
    seed = moto.seeder()
    trust = (
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}}]}'
    )
    seed.role("ancient", 700, trust, tags={"owner": "alice@example.com"})
    seed.role("unused", 300, trust, tags={"owner": "alice@example.com"})
    stale = by_rule(scan({"aws": moto.settings()}, sample_registry(), None), "stale-identity")
    window_start = (datetime.now(UTC) - timedelta(days=400)).date()
    # the window is counted from the listing, the days from the run's start a moment before it
    assert re.match(rf"ancient: not used since {window_start} \((399|400) days, as far back", stale["ancient"].message)
    assert stale["unused"].message.startswith("unused: never used, created 300 days ago")
