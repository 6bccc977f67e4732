"""The demo estate holds every case the issue asks for, through the real clients."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from partner_nhi.connector import UnitStatus
from partner_nhi.connectors.gcp import GcpConnector


def test_demo_estate(collect):
    with GcpConnector.demo_estate() as settings:
        assert settings["anonymous"] is True
        assert [s.id for s in GcpConnector(settings).scopes()] == ["corp-prod"]
        result = collect(settings, "corp-prod")
    now = datetime.now(UTC)
    assert {o.status for o in result.outcomes.values()} == {UnitStatus.COMPLETE}
    identities = result.by_id()

    def sa(name: str):
        return identities[f"{name}@corp-prod.iam.gserviceaccount.com"]

    acme_key = sa("acme-deployer").credentials[0]
    assert acme_key.created is not None and now - acme_key.created > timedelta(days=700)
    assert sa("acme-deployer").privileged
    [used] = sa("globex-monitoring").credentials  # the system-managed key is not listed
    assert used.last_used.at is not None and now - used.last_used.at < timedelta(days=2)
    assert {c.last_used.state for c in sa("etl-loader").credentials} == {"used", "never"}
    assert sa("legacy-batch").enabled is False
    expired = [c for c in sa("reporting-exporter").credentials if c.expires and c.expires < now]
    assert len(expired) == 1 and not expired[0].active
    assert identities["user:ops-lead@globex.example"].permissions == ("roles/editor",)
    assert identities["user:someone@unknown-contractor.example"].affiliations[0].external
    assert identities["serviceAccount:acme-pipeline@acme-tools-prod.iam.gserviceaccount.com"]
    deleted = [i for i in result.identities if i.kind == "gcp-deleted-member"]
    assert [d.name for d in deleted] == ["initech-sync"]
    assert "user:admin@corp.example" not in identities
