"""Benchmark: API calls per identity, wall time and peak memory of an AWS scan
on synthetic estates, against a moto server in a separate process.

    python benchmarks/aws_estate.py 1000 10000

Each estate is 60 % users (half with one access key, a quarter with two, a tenth
with an SSH key) and 40 % roles trusting another account. The moto server runs in
a child process so the figures are the scanner's own.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime


def serve(size: int) -> None:
    """Child: start moto, seed ``size`` identities straight into its backend, print the URL."""
    from moto.iam.models import iam_backends

    from connectors.aws.emulator import moto_server

    with moto_server() as endpoint:
        iam = iam_backends["123456789012"]["global"]
        users = int(size * 0.6)
        trust = json.dumps(
            {
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                        "Action": "sts:AssumeRole",
                    }
                ]
            }
        )
        for n in range(users):
            name = f"svc-{n:06d}"
            iam.create_user(region_name="us-east-1", user_name=name, path="/", tags=[])
            for _ in range(2 if n % 4 == 0 else 1 if n % 2 == 0 else 0):
                iam.create_access_key(name)
            if n % 10 == 0:
                iam.upload_ssh_public_key(name, "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC7 bench")
        for n in range(size - users):
            iam.create_role(
                role_name=f"partner-role-{n:06d}",
                assume_role_policy_document=trust,
                path="/",
                permissions_boundary=None,
                description="",
                tags=[],
                max_session_duration="3600",
                linked_service=None,
            )
        print(endpoint, flush=True)
        sys.stdin.read()  # until the parent closes it


def measure(size: int) -> dict[str, object]:
    from scanner.config import Settings
    from scanner.engine import ScanRequest, run_scan
    from scanner.registry import Registry

    child = subprocess.Popen(  # noqa: S603 - this same script
        [sys.executable, __file__, "--serve", str(size)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None and child.stdin is not None
    endpoint = child.stdout.readline().strip()
    try:
        settings = Settings(connectors={"aws": {"endpoint_url": endpoint, "credential_report_poll": 0.2}})
        registry = Registry.model_validate({"version": 1})
        started = time.perf_counter()
        run = run_scan(ScanRequest(settings, registry, ["aws"]), None)
        wall = time.perf_counter() - started
    finally:
        child.stdin.close()
        child.wait()
    identities = len(run.identities)
    calls = sum(s.api_calls for s in run.scopes)
    return {
        "identities": identities,
        "status": run.status,
        "api_calls": calls,
        "calls_per_identity": round(calls / identities, 2),
        "wall_seconds": round(wall, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "findings": len(run.findings),
        "measured": datetime.now(UTC).isoformat(timespec="seconds"),
    }


if __name__ == "__main__":
    if sys.argv[1] == "--serve":
        serve(int(sys.argv[2]))
    else:
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
        os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
        for size in sys.argv[1:]:  # one process per size would isolate peak RSS better; see the README
            print(json.dumps(measure(int(size))), flush=True)
