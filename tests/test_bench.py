"""The benchmark harness's own logic (bench/ is not part of the product): what it
expects the scanners to find, how it names operations, reads profiles and splits calls.
Fast: nothing here starts a server or a scanner."""

from __future__ import annotations

import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))

from aws_estate import THRESHOLD_DAYS, expected, split, user_plan  # noqa: E402
from prowler import user_findings  # noqa: E402
from render import split_calls  # noqa: E402
from serve import _ID  # noqa: E402
from spy import summarise  # noqa: E402


def test_the_side_by_side_estate_is_2000_users_and_500_roles() -> None:
    assert split(2500) == (2000, 500)


def test_no_age_or_idle_time_sits_on_the_threshold() -> None:
    near = range(THRESHOLD_DAYS - 5, THRESHOLD_DAYS + 6)
    for n in range(2000):
        for key in user_plan(n).keys:
            assert key.age not in near
            assert key.used not in near
            assert key.used is None or key.used <= key.age


def test_expected_findings_follow_the_plan() -> None:
    found = expected(40)
    assert "svc-000003" in found.doubled  # two active keys
    assert "svc-000007" not in found.doubled  # its second key is inactive
    keyless = {user_plan(n).name for n in range(0, 32, 4)}
    assert not (found.unrotated | found.unused | found.never_used | found.doubled) & keyless


def test_operations_name_paths_without_object_ids() -> None:
    path = "/v1.0/applications/fed66cfe-6212-42a3-91d5-59e33bca2bb6/federatedIdentityCredentials"
    assert _ID.sub("{id}", path) == "/v1.0/applications/{id}/federatedIdentityCredentials"
    assert _ID.sub("{id}", "/v1/projects/bench-prod:getIamPolicy") == "/v1/projects/bench-prod:getIamPolicy"


def test_aws_calls_split_by_role_user_and_shared() -> None:
    operations = {"ListAccessKeys": 5, "GetRole": 2, "ListRoleTags": 1, "GetCredentialReport": 1, "ListUsers": 1}
    assert split_calls(operations) == {"role": 3, "user": 6, "shared": 1}


def test_prowler_key_findings_name_their_user() -> None:
    def finding(check: str, name: str, status: str = "FAIL") -> dict[str, object]:
        return {"metadata": {"event_code": check}, "status_code": status, "resources": [{"name": name}]}

    found = user_findings(
        [
            finding("iam_rotate_access_key_90_days", "svc-000003-access-key-2"),
            finding("iam_user_accesskey_unused", "svc-000007/AccessKey1"),
            finding("iam_user_two_active_access_key", "svc-000011"),
            finding("iam_user_two_active_access_key", "svc-000012", "PASS"),
        ]
    )
    assert found["unrotated"] == {"svc-000003"}
    assert found["unused"] == {"svc-000007"}
    assert found["doubled"] == {"svc-000011"}


def test_profile_summary_by_layer_and_own_function(tmp_path: Path) -> None:
    raw = tmp_path / "raw.txt"
    raw.write_text(
        "thread (0x1);main (scanner/cli/app.py:76);recv (socket.py:706) 6\n"
        "thread (0x1);main (scanner/cli/app.py:76);judge (scanner/rules/usage.py:20) 4\n"
    )
    summary = summarise(raw)
    assert summary["samples"] == 10
    assert dict(summary["layers"]) == {"HTTP (urllib3, http.client, socket, ssl)": 60.0, "partner-nhi": 40.0}
    assert summary["ours_inclusive"][0] == ["main (scanner/cli/app.py:76)", 100.0]
