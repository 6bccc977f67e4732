"""Human use of an NHI on AWS: an IAM user with an active access key whose console password was
used recently (credential report: password_enabled, password_last_used)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from helpers.aws_corpus import CREDENTIAL_REPORT_CSV, LIST_ACCESS_KEYS
from helpers.builders import sample_registry
from helpers.moto import Moto
from helpers.scan import by_rule, scan
from partner_nhi.attribution import Attributor
from partner_nhi.config import Thresholds
from partner_nhi.connectors.aws.credential_report import parse_credential_report, report_row
from partner_nhi.connectors.aws.credentials import access_key
from partner_nhi.connectors.aws.normalize import Grant, user_identity
from partner_nhi.connectors.aws.users import UserCredentials
from partner_nhi.rules.catalogue import evaluate
from partner_nhi.rules.model import Hit, RuleInput

NOW = datetime(2017, 3, 1, tzinfo=UTC)

# The IAM User Guide documents password_enabled as TRUE/FALSE: Alice's row with her password enabled,
# in that spelling, last used a week before NOW.
ALICE_SIGNS_IN = CREDENTIAL_REPORT_CSV.replace(
    "Alice,arn:aws:iam::123456789012:user/Alice,2013-10-14T18:32:24+00:00,false,N/A,N/A,N/A,false,",
    "Alice,arn:aws:iam::123456789012:user/Alice,2013-10-14T18:32:24+00:00,TRUE,2017-02-22T08:15:00+00:00,"
    "2016-05-02T10:00:00+00:00,N/A,FALSE,",
)


def test_the_report_row_makes_a_console_password_that_shows_human_use() -> None:
    row = report_row(parse_credential_report(ALICE_SIGNS_IN.encode(), None).rows[0])
    assert row.password_enabled
    user = {
        "UserName": "Alice",
        "UserId": "AIDACKCEVSQ6C2EXAMPLE",
        "Arn": "arn:aws:iam::123456789012:user/Alice",
        "CreateDate": datetime(2013, 10, 14, 18, 32, 24, tzinfo=UTC),
    }
    held = UserCredentials(credentials=[access_key(k) for k in LIST_ACCESS_KEYS])
    alice = user_identity(user, "123456789012", held, row, Grant((), False))
    attribution = Attributor(sample_registry()).attribute(alice)
    thresholds = Thresholds().resolve("aws", None)
    [found] = [
        j.verdict for j in evaluate(RuleInput(alice, attribution, thresholds, NOW)) if j.rule.id == "human-use-of-nhi"
    ]
    assert isinstance(found, Hit)
    assert found.evidence["api_keys"] == ["AKIA111111111EXAMPLE", "AKIA222222222EXAMPLE"]
    assert found.evidence["password_last_used"] == "2017-02-22T08:15:00+00:00"


def test_a_partner_user_signed_in_to_the_console_is_found(moto: Moto) -> None:
    from moto.iam.models import iam_backends

    seed = moto.seeder()
    seed.user("globex-ops", 100)
    seed.key("globex-ops", 50, used_days_ago=1)
    seed.iam.create_login_profile(UserName="globex-ops", Password="Test-only-not-a-secret-3!")
    iam_backends["123456789012"]["global"].users["globex-ops"].password_last_used = datetime.now(UTC) - timedelta(
        days=3
    )  # type: ignore[assignment]
    seed.user("globex-batch", 100)
    seed.key("globex-batch", 50, used_days_ago=1)
    found = by_rule(scan({"aws": moto.settings()}, sample_registry(), None), "human-use-of-nhi")
    assert set(found) == {"globex-ops"}
    assert found["globex-ops"].partner == "globex"
