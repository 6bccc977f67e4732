"""The store across runs: identities gone only by complete listings; concurrent runs."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlmodel import Session, select

from helpers.builders import sample_registry
from helpers.moto import Moto
from helpers.scan import scan
from partner_nhi.config import Settings
from partner_nhi.history import ScopeDecision
from partner_nhi.results import RunResult
from partner_nhi.store import FindingEventRow, FindingRow, Store
from partner_nhi.store.tables import IdentityRow, RunRow


def seed(moto: Moto) -> None:
    seeder = moto.seeder()
    seeder.user("legacy", 400)
    seeder.key("legacy", 300)
    seeder.key("legacy", 200)


def test_identity_gone_only_from_a_complete_listing(moto: Moto, tmp_path: Path) -> None:
    seed(moto)
    store = Store(f"sqlite:///{tmp_path}/h.db")
    scan({"aws": moto.settings()}, sample_registry(), store)
    for key in moto.seeder().iam.list_access_keys(UserName="legacy")["AccessKeyMetadata"]:
        moto.seeder().iam.delete_access_key(UserName="legacy", AccessKeyId=key["AccessKeyId"])
    moto.seeder().iam.delete_user(UserName="legacy")

    moto.traffic.fail("GetAccountAuthorizationDetails", 403, "AccessDenied", times=1)
    failed = scan({"aws": moto.settings()}, sample_registry(), store)
    assert failed.status == "failed"
    assert [row.gone_run for row in store.identities(include_gone=True)] == [None]
    assert all(f.status == "open" and f.carried for f in failed.findings)

    complete = scan({"aws": moto.settings()}, sample_registry(), store)
    assert complete.status == "complete"
    [row] = store.identities(include_gone=True)
    assert row.gone_run == complete.id
    assert {f.status for f in complete.findings} == {"resolved"}
    assert store.findings(status="open") == []


def test_a_finding_that_returns_is_new_again(moto: Moto, tmp_path: Path) -> None:
    moto.seeder().user("ephemeral", 300)
    store = Store(f"sqlite:///{tmp_path}/h.db")
    first = scan({"aws": moto.settings()}, sample_registry(), store)
    orphan = next(f for f in first.findings if f.rule == "orphaned-identity")
    moto.seeder().iam.tag_user(UserName="ephemeral", Tags=[{"Key": "owner", "Value": "alice@example.com"}])
    second = scan({"aws": moto.settings()}, sample_registry(), store)
    assert next(f for f in second.findings if f.id == orphan.id).status == "resolved"
    moto.seeder().iam.untag_user(UserName="ephemeral", TagKeys=["owner"])
    third = scan({"aws": moto.settings()}, sample_registry(), store)
    again = next(f for f in third.findings if f.id == orphan.id)
    assert again.status == "new" and again.first_seen_run == third.id
    assert [f.status for f in store.findings(run_id=second.id) if f.id == orphan.id] == ["resolved"]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_two_runs_at_once_do_not_corrupt_the_store(
    backend: str, moto: Moto, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = f"sqlite:///{tmp_path}/h.db" if backend == "sqlite" else request.getfixturevalue("postgres_url")
    seed(moto)
    Store(url).close()  # create the schema once, as the first run of a deployment would
    results, errors = [], []

    def one_run() -> None:
        try:
            with Store(url) as store:
                results.append(scan({"aws": moto.settings()}, sample_registry(), store))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=one_run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert all(run.status == "complete" for run in results)

    with Store(url) as store, Session(store.engine) as session:
        runs = session.exec(select(RunRow)).all()
        findings = session.exec(select(FindingRow)).all()
        events = session.exec(select(FindingEventRow)).all()
        identities = session.exec(select(IdentityRow)).all()
    assert len(runs) == 4 and {r.status for r in runs} == {"complete"}
    assert len(identities) == 1
    assert len(events) == 4 * len(findings)
    # exactly one run saw each finding first; the others, serialised after it, saw it open
    for finding in findings:
        statuses = sorted(e.status for e in events if e.finding_id == finding.id)
        assert statuses == ["new", "open", "open", "open"]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_migrations_build_exactly_the_models_schema(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    url = f"sqlite:///{tmp_path}/m.db" if backend == "sqlite" else request.getfixturevalue("postgres_url")
    with Store(url) as store, store.engine.connect() as connection:
        context = MigrationContext.configure(connection)
        assert context.get_current_revision() is not None
        assert compare_metadata(context, SQLModel.metadata) == []
    with Store(url) as again:  # opening an up-to-date store changes nothing
        assert again.latest_run_id() is None


def test_the_schema_head_constant_is_alembics_head() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from partner_nhi.store.database import MIGRATIONS, SCHEMA_HEAD

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == SCHEMA_HEAD


def commit_synthetic_scope(store: Store, count: int, listed: bool) -> ScopeDecision:
    """One complete AWS scope of ``count`` users with a stale key each (or, unlisted, none of them),
    judged and committed as its own run."""
    from datetime import UTC, datetime

    from helpers.builders import credential, identity
    from partner_nhi.attribution import Attributor
    from partner_nhi.connector import Scope, UnitStatus
    from partner_nhi.coverage import UnitOutcome
    from partner_nhi.engine import _judge
    from partner_nhi.results import ScopeResult

    identities = [
        identity(f"svc-{n}", credentials=(credential(f"AKIA{n:016d}", used=200, created=20),))
        for n in range(count if listed else 0)
    ]
    units = [UnitOutcome("principals", UnitStatus.COMPLETE), UnitOutcome("keys", UnitStatus.COMPLETE)]
    scope = ScopeResult("aws", Scope("aws", "1"), units, identities)
    run = RunResult(id=str(uuid.uuid4()), command="test", started=datetime.now(UTC))
    store.begin_run(run)
    judged, findings, undetermined = _judge(scope, Attributor(sample_registry()), Settings(), datetime.now(UTC), set())
    decision = store.commit_scope(run.id, scope, judged, findings, undetermined)
    run.scopes.append(scope)
    store.finish_run(run)
    return decision


def test_reconciliation_scales_past_sql_parameter_limits(tmp_path: Path) -> None:
    with Store(f"sqlite:///{tmp_path}/big.db") as store:
        first = commit_synthetic_scope(store, 33_000, listed=True)  # SQLite binds at most 32,766 parameters
        assert len(first.findings) == 33_000 and {f.status for f in first.findings} == {"new"}
        second = commit_synthetic_scope(store, 33_000, listed=False)  # a complete listing without them: gone
        assert len(second.findings) == 33_000 and {f.status for f in second.findings} == {"resolved"}
        assert len(second.gone) == 33_000
        latest = store.latest_run_id()
        assert latest is not None and len(store.findings(run_id=latest, status="resolved")) == 33_000


def test_a_scope_larger_than_a_write_batch_is_written_whole(tmp_path: Path) -> None:
    """A scope's rows are written a batch at a time, inside one transaction: every identity,
    credential, sighting, finding and SIEM event of the scope lands once, and a second run
    adds sightings, not identities."""
    from helpers.databases import query
    from partner_nhi.store.writes import BATCH

    count = 2 * BATCH + 7
    url = f"sqlite:///{tmp_path}/batched.db"
    with Store(url) as store:
        first = commit_synthetic_scope(store, count, listed=True)
        commit_synthetic_scope(store, count, listed=True)

    def counted(sql: str) -> int:
        return int(query(url, sql)[0][0])

    assert len(first.identities) == count
    assert counted("SELECT COUNT(*) FROM identities") == count
    assert counted("SELECT COUNT(DISTINCT identity_id) FROM identities") == count
    assert counted("SELECT COUNT(*) FROM credentials") == count  # the latest state of each, once
    assert counted("SELECT COUNT(*) FROM identity_sightings") == 2 * count
    assert counted("SELECT COUNT(*) FROM identity_sightings WHERE identity_pk NOT IN (SELECT id FROM identities)") == 0
    assert counted("SELECT COUNT(*) FROM findings") == len(first.findings)
    assert counted("SELECT COUNT(*) FROM finding_events") == 2 * len(first.findings)
    assert counted("SELECT COUNT(*) FROM siem_outbox WHERE activity = 'Create'") == len(first.findings)


def test_upgrading_an_older_schema_keeps_history(tmp_path: Path, moto: Moto) -> None:
    from alembic import command
    from alembic.config import Config

    from partner_nhi.store.database import MIGRATIONS

    url = f"sqlite:///{tmp_path}/old.db"
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url)
    command.upgrade(config, "0001")  # the first released schema
    with create_engine(url).begin() as connection:
        connection.execute(
            text("INSERT INTO runs (id, command, started, status) VALUES ('r0', 'scan', '2026-01-01', 'complete')")
        )
    with Store(url) as store:  # opening it applies the later revisions
        assert [r.id for r in store.runs()] == ["r0"]
        with store.engine.connect() as connection:
            indexes = {i["name"] for i in inspect(connection).get_indexes("findings")}
        assert "ix_findings_connector_scope" in indexes
