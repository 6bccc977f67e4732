"""Prowler, the peer scanner, as the benchmark runs it: a pinned release in a virtualenv
of its own (created here on first use, never a dependency of partner-nhi), its IAM
credential checks against the same moto server, with dummy credentials and
``AWS_ENDPOINT_URL``; its exit code 3 means "findings", not failure.

Thresholds are aligned with partner-nhi's (90 days for unused keys and console
passwords; Prowler's rotation check is 90 days by name).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import yaml
from aws_estate import CATEGORIES
from measure import EstateServer, Measured
from tools import installed

VERSION = "5.46.0"

# The IAM checks about credentials an NHI inventory cares about: access keys (unused,
# unrotated, two active, never used since set-up), console passwords (unused, MFA) and
# the root user's keys and MFA.
CHECKS = (
    "iam_user_accesskey_unused",
    "iam_rotate_access_key_90_days",
    "iam_user_two_active_access_key",
    "iam_user_no_setup_initial_access_key",
    "iam_user_console_access_unused",
    "iam_user_mfa_enabled_console_access",
    "iam_user_hardware_mfa_enabled",
    "iam_no_root_access_key",
    "iam_root_mfa_enabled",
    "iam_root_hardware_mfa_enabled",
    "iam_avoid_root_usage",
)
# partner-nhi's categories of the side-by-side, by Prowler check
CHECK_CATEGORIES = {
    "iam_rotate_access_key_90_days": "unrotated",
    "iam_user_accesskey_unused": "unused",
    "iam_user_no_setup_initial_access_key": "never_used",  # only users with a console password, any age
    "iam_user_two_active_access_key": "doubled",
}
# per-key findings name the key: "USER-access-key-1" or "USER/AccessKey1"
_KEY_SUFFIX = re.compile(r"(-access-key-\d|/AccessKey\d)$")
CONFIG = {"aws": {"max_unused_access_keys_days": 90, "max_console_access_days": 90}}


def prowler_scan(estate: EstateServer, workdir: Path, timeout: float) -> tuple[Measured, list[dict[str, Any]]]:
    """Run the checks on ``estate``; return the measurement and the OCSF findings."""
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "prowler-config.yaml"
    config.write_text(yaml.safe_dump(CONFIG))
    output = workdir / "output"
    shutil.rmtree(output, ignore_errors=True)  # Prowler appends to an existing report
    argv = [
        str(installed("prowler", VERSION, "prowler")),
        "aws",
        *("--checks", *CHECKS),
        *("--region", "us-east-1"),
        *("--config-file", str(config)),
        *("--output-formats", "json-ocsf"),
        *("--output-directory", str(output), "--output-filename", "prowler"),
        "--no-banner",
    ]
    measured = estate.run(argv, estate.environ, workdir / "prowler.log", timeout)
    if measured.exit_code not in (0, 3):
        raise RuntimeError(f"prowler exited {measured.exit_code}: see {workdir / 'prowler.log'}")
    findings: list[dict[str, Any]] = json.loads((output / "prowler.ocsf.json").read_text())
    return measured, findings


def user_findings(findings: list[dict[str, Any]]) -> dict[str, set[str]]:
    """Users failing each side-by-side check, by partner-nhi's category."""
    found: dict[str, set[str]] = {category: set() for category in CATEGORIES}
    for finding in findings:
        category = CHECK_CATEGORIES.get(finding["metadata"]["event_code"])
        if category and finding["status_code"] == "FAIL":
            found[category].add(_KEY_SUFFIX.sub("", finding["resources"][0]["name"]))
    return found


def failed_by_check(findings: list[dict[str, Any]]) -> dict[str, int]:
    counts = dict.fromkeys(CHECKS, 0)
    for finding in findings:
        if finding["status_code"] == "FAIL":
            counts[finding["metadata"]["event_code"]] += 1
    return counts
