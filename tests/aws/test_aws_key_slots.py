"""Credential-report key slots carry no key id: matched to keys by creation second. Two keys of one
user created in the same second cannot be told apart: the report speaks for neither, and each is
asked on its own (GetAccessKeyLastUsed)."""

from __future__ import annotations

from datetime import UTC, datetime

from helpers.aws_corpus import CREDENTIAL_REPORT_CSV, LIST_ACCESS_KEYS, at
from helpers.builders import sample_registry
from helpers.moto import Moto
from helpers.scan import by_rule, scan
from partner_nhi.connectors.aws.credential_report import parse_credential_report, report_row
from partner_nhi.connectors.aws.credentials import access_key
from partner_nhi.connectors.aws.users import report_key_uses

ALICE = report_row(parse_credential_report(CREDENTIAL_REPORT_CSV.encode(), None).rows[0])


def test_keys_seconds_apart_are_matched_to_their_slots() -> None:
    uses = report_key_uses([access_key(k) for k in LIST_ACCESS_KEYS], ALICE)
    assert uses["AKIA111111111EXAMPLE"].state == "never"
    second = uses["AKIA222222222EXAMPLE"]
    assert (second.at, second.detail) == (at("2017-02-12T16:03:00Z"), "s3")


def test_keys_created_in_the_same_second_are_not_covered_by_the_report() -> None:
    same_second = [
        {**LIST_ACCESS_KEYS[0], "CreateDate": datetime(2016, 12, 1, 22, 20, 1, 104000, tzinfo=UTC)},
        LIST_ACCESS_KEYS[1],
    ]
    row = report_row(
        parse_credential_report(
            CREDENTIAL_REPORT_CSV.replace("true,2016-12-01T22:19:58+00:00", "true,2016-12-01T22:20:01+00:00").encode(),
            None,
        ).rows[0]
    )
    assert report_key_uses([access_key(k) for k in same_second], row) == {}
    # one key alone in its second is still covered, even when the other slot is ambiguous for others
    assert set(report_key_uses([access_key(LIST_ACCESS_KEYS[0])], ALICE)) == {"AKIA111111111EXAMPLE"}


def test_twin_keys_are_asked_one_by_one_and_each_keeps_its_own_use(moto: Moto) -> None:
    seed = moto.seeder()
    seed.user("twin-keys", 300, tags={"owner": "alice@example.com"})
    busy = seed.key("twin-keys", 200, used_days_ago=1)
    idle = seed.key("twin-keys", 200, used_days_ago=150)  # the same frozen instant: the same second
    run = scan({"aws": moto.settings()}, sample_registry(), None)
    assert run.status == "complete"
    [identity] = [j.identity for j in run.identities]
    uses = {c.id: c.last_used for c in identity.credentials}
    assert (datetime.now(UTC) - uses[busy].at).days == 1  # type: ignore[operator]
    assert (datetime.now(UTC) - uses[idle].at).days == 150  # type: ignore[operator]
    assert set(by_rule(run, "stale-credential")) == {f"twin-keys/{idle}"}
    assert run.scopes[0].api_calls_by_operation["iam:GetAccessKeyLastUsed"] == 2
    assert "access-key-last-used" in identity.also_from
