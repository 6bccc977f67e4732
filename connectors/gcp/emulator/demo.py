"""The GCP part of ``partner-nhi demo``: project ``corp-prod`` of Example Corp
(organisation domain ``corp.example``), with the partners of
``scanner/demo/registry.yaml``: acme (offboarded), globex (active), initech
(offboarding). Dates are relative to now, so the findings stay the same."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from partner_nhi.connectors.gcp.emulator import running
from partner_nhi.connectors.gcp.emulator.estate import Account, Binding, Estate, Key, Pool, Project, Provider, key_id

PROJECT = "corp-prod"
ACME_AWS_ACCOUNT = "111122223333"  # acme's, in the demo registry
ORGANIZATION_DOMAIN = "corp.example"


def demo_estate(now: datetime | None = None) -> Estate:
    now = now or datetime.now(UTC)

    def ago(days: int) -> datetime:
        return now - timedelta(days=days)

    until = f"request.time < timestamp('{now + timedelta(days=30):%Y-%m-%d}T00:00:00Z')"

    def sa(account: str) -> str:
        return f"serviceAccount:{account}@{PROJECT}.iam.gserviceaccount.com"

    project = Project(id=PROJECT)
    project.accounts = [
        Account(  # acme left: its deployer still has a 2-year-old key and roles/editor
            "acme-deployer",
            display_name="Acme CI deployer",
            keys=[Key(key_id("acme-deployer/1"), ago(730), last_authenticated=ago(120))],
            last_authenticated=ago(120),
        ),
        Account(  # globex, active: a key used yesterday
            "globex-monitoring",
            display_name="Globex monitoring agent",
            keys=[
                Key(key_id("globex-monitoring/1"), ago(40), last_authenticated=ago(1)),
                Key(key_id("globex-monitoring/system"), ago(5), type="SYSTEM_MANAGED"),
            ],
            last_authenticated=ago(1),
        ),
        Account(  # initech, offboarding: a rotation left half-done, one key never used
            "etl-loader",
            display_name="Initech ETL loader",
            keys=[
                Key(key_id("etl-loader/1"), ago(200), last_authenticated=ago(3)),
                Key(key_id("etl-loader/2"), ago(100)),
            ],
            last_authenticated=ago(3),
        ),
        Account(  # disabled a year ago: not stale, disabling was the remediation
            "legacy-batch",
            display_name="Legacy batch jobs",
            disabled=True,
            keys=[Key(key_id("legacy-batch/1"), ago(900), last_authenticated=ago(400))],
            last_authenticated=ago(400),
        ),
        Account(  # internal, nobody registered as owner: one key expired, one expiring
            "reporting-exporter",
            display_name="Reporting exporter",
            keys=[
                Key(key_id("reporting-exporter/1"), ago(100), ago(10), origin="USER_PROVIDED"),
                Key(
                    key_id("reporting-exporter/2"),
                    ago(70),
                    now + timedelta(days=20),
                    last_authenticated=ago(2),
                ),
            ],
            last_authenticated=ago(2),
        ),
    ]
    project.bindings = [
        Binding("roles/owner", [f"user:admin@{ORGANIZATION_DOMAIN}"]),
        Binding("roles/editor", [sa("acme-deployer"), "user:ops-lead@globex.example"]),
        Binding("roles/monitoring.viewer", [sa("globex-monitoring")]),
        Binding(
            "roles/bigquery.dataEditor",
            [sa("etl-loader"), f"group:data-team@{ORGANIZATION_DOMAIN}"],
        ),
        Binding(
            "roles/iam.serviceAccountTokenCreator",
            ["serviceAccount:acme-pipeline@acme-tools-prod.iam.gserviceaccount.com"],
        ),
        Binding(
            "roles/storage.objectViewer",
            [
                "serviceAccount:globex-backup@globex-ops.iam.gserviceaccount.com",
                f"deleted:{sa('initech-sync')}?uid=112233445566778899001",
            ],
        ),
        Binding("roles/viewer", ["user:someone@unknown-contractor.example", sa("reporting-exporter")]),
        Binding(
            "roles/logging.viewer",
            ["user:analyst@initech.example"],
            condition={
                "title": "until offboarding",
                "expression": until,
            },
        ),
        Binding(
            "roles/pubsub.serviceAgent",
            [f"serviceAccount:service-{project.number}@gcp-sa-pubsub.iam.gserviceaccount.com"],
        ),
    ]
    project.pools = [  # acme's AWS account may still exchange its tokens here, with no attribute condition
        Pool("partners", providers=[Provider("acme-aws", aws_account=ACME_AWS_ACCOUNT)])
    ]
    return Estate(projects=[project])


@contextmanager
def running_demo() -> Iterator[dict[str, Any]]:
    """The demo estate on local emulators; yields the ``connectors.gcp`` settings."""
    with running(demo_estate()) as emulators:
        yield emulators.settings(organization_domains=[ORGANIZATION_DOMAIN])
