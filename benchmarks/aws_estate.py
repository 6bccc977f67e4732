"""Benchmark: API calls per identity, wall time and peak memory of an AWS scan
on synthetic estates, against a moto server in a separate process.

    python benchmarks/aws_estate.py 1000 10000

Each estate is 60 % users (half with one access key, a quarter with two, a tenth
with an SSH key) and 40 % roles trusting another account. The moto server runs in
a child process so the figures are the scanner's own (see ``harness.py``).
"""

from __future__ import annotations

import json
import os

from harness import announce, main


def serve(size: int) -> None:
    """Child: start moto, seed ``size`` identities straight into its backend, announce the URL."""
    from moto.iam.models import iam_backends

    from partner_nhi.connectors.aws.emulator import moto_server

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
        announce({"endpoint_url": endpoint, "credential_report_poll": 0.2})


if __name__ == "__main__":
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    main(__file__, "aws", serve)
