"""History that no malformed record, failed listing, failed discovery, overlap, duplicate
or crash can fake (the foundation issue), for GCP: the real google-cloud-iam,
resource-manager and httpx clients against the emulators, through the console entry
point (exit code, JSON document) or the engine, with the store on disk."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from google.protobuf import timestamp_pb2

from helpers.cli import run_cli
from helpers.databases import refusing_writes, run_rows
from helpers.scan import scan
from partner_nhi.connectors.gcp.emulator import (
    Account,
    Binding,
    Emulators,
    Estate,
    Folder,
    Key,
    Organization,
    Project,
    faults,
    running,
)
from partner_nhi.connectors.gcp.emulator.demo import demo_estate
from partner_nhi.connectors.gcp.emulator.estate import key_id
from partner_nhi.registry import load_registry
from partner_nhi.store import Store

SA = "{}@corp-prod.iam.gserviceaccount.com"
ACME = SA.format("acme-deployer")
FAST = {"initial": 0.01, "maximum": 0.05, "deadline": 5, "attempts": 3}
ENGINE_RETRY = {"attempts": 2, "initial_delay": 0.01, "max_delay": 0.02}
UNROTATED = datetime.now(UTC) - timedelta(days=400)  # a key created then is past every rotation period


@dataclass(frozen=True)
class Scan:
    code: int
    document: dict[str, Any]
    stderr: str

    @property
    def findings(self) -> dict[str, dict[str, Any]]:
        return {f["id"]: f for f in self.document["findings"]}

    def units(self, project: str = "corp-prod") -> dict[str, dict[str, Any]]:
        scope = next(s for s in self.document["run"]["scopes"] if s["scope"] == project)
        return {u["resource_type"]: u for u in scope["units"]}


class Scanner:
    """``partner-nhi scan`` against the emulators, the store in ``url``."""

    def __init__(
        self, emulators: Emulators, registry: Path, folder: Path, monkeypatch: pytest.MonkeyPatch, **gcp: Any
    ) -> None:
        self.url = f"sqlite:///{folder}/history.db"
        self.config = folder / "partner-nhi.yaml"
        settings = emulators.settings(organization_domains=["corp.example"], retry=FAST, **gcp)
        document = {"registry": str(registry), "database": self.url, "retry": ENGINE_RETRY}
        self.config.write_text(yaml.safe_dump({**document, "connectors": {"gcp": settings}}))
        self._monkeypatch = monkeypatch

    def __call__(self, *extra: str) -> Scan:
        outcome = run_cli(self._monkeypatch, "scan", "-c", str(self.config), "-f", "json", *extra)
        document = json.loads(outcome.stdout) if outcome.stdout else {}
        return Scan(outcome.code, document, outcome.stderr)

    def gone(self) -> dict[str, str | None]:
        with Store(self.url) as store:
            return {row.identity_id: row.gone_run for row in store.identities(include_gone=True)}


@pytest.fixture
def demo() -> Iterator[Emulators]:
    with running(demo_estate()) as emulators:
        yield emulators


@pytest.fixture
def scanner(demo: Emulators, demo_registry: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Scanner:
    return Scanner(demo, demo_registry, tmp_path, monkeypatch)


def _account(emulators: Emulators, name: str) -> Account:
    [project] = emulators.iam.estate.projects
    return next(a for a in project.accounts if a.account_id == name)


def _binding(emulators: Emulators, member: str) -> Binding:
    [project] = emulators.iam.estate.projects
    return next(b for b in project.bindings if member in b.members)


def _key_out_of_range(response: Any) -> None:
    response.keys[0].valid_after_time = timestamp_pb2.Timestamp(seconds=10**13)


def _acme_without_email(response: Any) -> None:
    next(a for a in response.accounts if a.email == ACME).email = ""


def _assert_nothing_lost(first: Scan, broken: Scan, scanner: Scanner) -> None:
    """Run 2 (partial) resolves nothing, marks nothing gone, and raises nothing new."""
    assert (broken.code, broken.document["run"]["status"]) == (3, "partial")
    statuses = {f["status"] for f in broken.findings.values()}
    assert statuses == {"open"}, statuses
    assert set(broken.findings) == set(first.findings)
    assert set(scanner.gone().values()) == {None}


def _assert_mended(first: Scan, mended: Scan) -> None:
    assert (mended.code, mended.document["run"]["status"]) == (0, "complete")
    assert set(mended.findings) == set(first.findings)
    assert {f["status"] for f in mended.findings.values()} == {"open"}
    assert not any(f["carried"] for f in mended.findings.values())


Break = Callable[[Emulators], Callable[[], None]]  # breaks one record for run 2; returns how to mend it


def _bad_key_date(emulators: Emulators) -> Callable[[], None]:
    emulators.iam.tamper("ListServiceAccountKeys", _key_out_of_range, match="acme-deployer")
    return lambda: None  # a tamper answers one call


def _account_without_email(emulators: Emulators) -> Callable[[], None]:
    emulators.iam.tamper("ListServiceAccounts", _acme_without_email)
    return lambda: None


def _bad_activity_time(name: str, of_key: bool) -> Break:
    def breaking(emulators: Emulators) -> Callable[[], None]:
        account = _account(emulators, name)
        holder: Any = account.keys[0] if of_key else account
        kept = holder.last_authenticated
        holder.last_authenticated = "2025-02-30T07:00:00Z"

        def mend() -> None:
            holder.last_authenticated = kept

        return mend

    return breaking


def _binding_without_role(emulators: Emulators) -> Callable[[], None]:
    binding = _binding(emulators, "user:someone@unknown-contractor.example")
    kept, binding.role = binding.role, ""

    def mend() -> None:
        binding.role = kept

    return mend


MALFORMED: dict[str, tuple[Break, str, str, str]] = {  # how to break; unit; record; field
    "key date": (
        _bad_key_date,
        "service-account-keys",
        f"projects/corp-prod/serviceAccounts/{ACME}/keys/{key_id('acme-deployer/1')}",
        "field 'validAfterTime': not an RFC 3339 time",
    ),
    "key last authentication": (
        _bad_activity_time("acme-deployer", of_key=True),
        "key-last-authentication",
        f"//iam.googleapis.com/projects/corp-prod/serviceAccounts/{ACME}/keys/{key_id('acme-deployer/1')}",
        "field 'activity.lastAuthenticatedTime': not an RFC 3339 time: '2025-02-30T07:00:00Z'",
    ),
    "account last authentication": (
        _bad_activity_time("acme-deployer", of_key=False),
        "account-last-authentication",
        f"//iam.googleapis.com/projects/corp-prod/serviceAccounts/{ACME}",
        "field 'activity.lastAuthenticatedTime': not an RFC 3339 time",
    ),
    "service account": (
        _account_without_email,
        "service-accounts",
        f"projects/corp-prod/serviceAccounts/{ACME}",
        "field 'email': missing",
    ),
    "IAM binding": (
        _binding_without_role,
        "iam-policy",
        "binding of no role to user:someone@unknown-contractor.example",
        "field 'role': missing",
    ),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_record_costs_that_record_and_resolves_nothing(
    case: str, demo: Emulators, scanner: Scanner
) -> None:
    breaking, unit, record, field = MALFORMED[case]
    first = scanner()
    assert (first.code, first.document["run"]["status"]) == (0, "complete")
    assert len(first.findings) >= 10

    mend = breaking(demo)
    broken = scanner()
    outcome = broken.units()[unit]
    assert (outcome["status"], outcome["items_failed"]) == ("partial", 1)
    assert outcome["error"].startswith(f"malformed record '{record}")
    assert field in outcome["error"]
    others = {u["status"] for name, u in broken.units().items() if name != unit}
    assert others == {"complete"}  # the record cost its own unit only
    _assert_nothing_lost(first, broken, scanner)
    carried = {f["id"] for f in broken.findings.values() if f["carried"]}
    assert carried  # some findings relied on the record's unit: carried, with the reason
    assert all(unit in broken.findings[i]["evidence"]["not_re_evaluated"] for i in carried)

    mend()
    _assert_mended(first, scanner())


FAILED_DEPENDENCY: dict[str, tuple[Callable[[Emulators], None], str, set[tuple[str, str]]]] = {
    # how the listing fails; its unit; (rule, identity) of findings that relied on it
    "keys of one account": (
        lambda emulators: emulators.iam.fail(
            "ListServiceAccountKeys",
            faults.permission_denied("iam.serviceAccountKeys.list"),
            times=1,
            match="acme-deployer",
        ),
        "service-account-keys",
        {("unrotated-credential", ACME), ("stale-credential", ACME)},
    ),
    "IAM policy": (
        lambda emulators: emulators.resource_manager.fail(
            "POST",
            r":getIamPolicy$",
            faults.permission_denied("resourcemanager.projects.getIamPolicy").http_response(),
        ),
        "iam-policy",
        {
            ("orphaned-identity", "user:someone@unknown-contractor.example"),
            ("orphaned-identity", "serviceAccount:acme-pipeline@acme-tools-prod.iam.gserviceaccount.com"),
            (
                "orphaned-identity",
                f"deleted:serviceAccount:{SA.format('initech-sync')}?uid=112233445566778899001",
            ),
        },
    ),
}


@pytest.mark.parametrize("case", sorted(FAILED_DEPENDENCY))
def test_a_failed_listing_a_finding_relied_on_carries_it(case: str, demo: Emulators, scanner: Scanner) -> None:
    failing, unit, relied = FAILED_DEPENDENCY[case]
    first = scanner()
    assert relied <= {(f["rule"], f["identity"]) for f in first.findings.values()}

    failing(demo)
    broken = scanner()
    assert broken.units()[unit]["status"] in ("partial", "failed")
    assert broken.units()[unit]["error_kind"] == "forbidden"
    _assert_nothing_lost(first, broken, scanner)
    for finding in broken.findings.values():
        if (finding["rule"], finding["identity"]) in relied:
            assert finding["carried"], finding
            assert finding["evidence"]["not_re_evaluated"].startswith(unit)
    _assert_mended(first, scanner())


def _organisation() -> Estate:
    """corp-prod (configured) and corp-dev (found under the organisation); corp-prod binds an
    account of corp-dev (internal only because discovery says so) and one of a partner."""
    prod = Project(
        "corp-prod",
        parent="organizations/1",
        accounts=[Account("reporting", keys=[Key(key_id("reporting/1"), UNROTATED)])],
        bindings=[
            Binding(
                "roles/viewer",
                [
                    "serviceAccount:dev-batch@corp-dev.iam.gserviceaccount.com",
                    "serviceAccount:acme-pipeline@acme-tools-prod.iam.gserviceaccount.com",
                ],
            )
        ],
    )
    dev = Project("corp-dev", parent="folders/7", accounts=[Account("dev-batch", keys=[Key(key_id("dev"), UNROTATED)])])
    return Estate(
        projects=[prod, dev],
        folders=[Folder("folders/7", "organizations/1")],
        organizations=[Organization("organizations/1")],
    )


def test_failed_discovery_scans_configured_projects_and_carries_discovered_ones(
    demo_registry: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running(_organisation()) as emulators:
        scanner = Scanner(
            emulators, demo_registry, tmp_path, monkeypatch, projects=["corp-prod"], parent="organizations/1"
        )
        first = scanner()
        assert first.code == 0
        assert {s["scope"] for s in first.document["run"]["scopes"]} == {"corp-prod", "corp-dev"}
        identities = {i["id"] for i in first.document["identities"]}
        assert "serviceAccount:dev-batch@corp-dev.iam.gserviceaccount.com" not in identities  # internal
        by_scope = {f["scope"] for f in first.findings.values()}
        assert by_scope == {"corp-prod", "corp-dev"}

        denied = faults.permission_denied("resourcemanager.projects.list")
        emulators.resource_manager.fail("GET", r"^/v3/projects$", denied.http_response())
        broken = scanner()
        scopes = {s["scope"]: s for s in broken.document["run"]["scopes"]}
        assert scopes["*"]["units"][0]["error_kind"] == "forbidden"
        assert scopes["corp-prod"]["scanned"] is True  # the configured project is still scanned
        assert scopes["corp-dev"]["scanned"] is False
        assert "discovery failed" in scopes["corp-dev"]["error"]
        assert "resourcemanager.projects.list" in scopes["corp-dev"]["error"]
        assert broken.units()["projects-under-parent"]["status"] == "failed"
        _assert_nothing_lost(first, broken, scanner)
        for finding in broken.findings.values():
            if finding["scope"] == "corp-dev":
                assert finding["carried"] and "discovery failed" in finding["evidence"]["not_re_evaluated"]
        partner = "serviceAccount:acme-pipeline@acme-tools-prod.iam.gserviceaccount.com"
        [partner_finding] = [f for f in broken.findings.values() if f["identity"] == partner]
        assert partner_finding["carried"]  # judged external by the listing that failed: not re-judged
        assert "projects-under-parent" in partner_finding["evidence"]["not_re_evaluated"]

        _assert_mended(first, scanner())


def test_an_older_listing_committed_last_changes_nothing(
    demo: Emulators, demo_registry: Path, database_url: str
) -> None:
    registry = load_registry(demo_registry)
    gcp = {"gcp": demo.settings(organization_domains=["corp.example"], retry=FAST)}
    with Store(database_url) as store:
        first = scan(gcp, registry, store)
    rotated = {f.id for f in first.findings if f.identity == ACME and f.credential is not None}
    etl = SA.format("etl-loader")
    assert rotated and any(f.identity == etl for f in first.findings)

    hold = demo.iam.hold("ListServiceAccounts")
    older: list[Any] = []

    def slow_run() -> None:  # its account listing is taken now and answered after the newer run
        with Store(database_url) as store:
            older.append(scan(gcp, registry, store))

    thread = threading.Thread(target=slow_run)
    thread.start()
    assert hold.arrived.wait(30)
    _account(demo, "acme-deployer").keys.clear()  # meanwhile acme's key is deleted
    [project] = demo.iam.estate.projects
    project.accounts.remove(_account(demo, "etl-loader"))  # and the ETL account too
    with Store(database_url) as store:
        newer = scan(gcp, registry, store)
    resolved = {f.id for f in newer.findings if f.status == "resolved"}
    assert rotated <= resolved
    hold.release()
    thread.join(timeout=60)
    [stale] = older
    assert stale.scopes[0].superseded_by == newer.id
    assert {f.status for f in stale.findings} == {"open"} and all(f.carried for f in stale.findings)
    with Store(database_url) as store:
        stored = {f.id: f.status for f in store.findings()}
        assert {stored[i] for i in resolved} == {"resolved"}  # nothing reopened
        gone = {row.identity_id: row.gone_run for row in store.identities(include_gone=True)}
        assert gone[etl] == newer.id  # not un-gone
        later = scan(gcp, registry, store)
    assert not {f.id for f in later.findings if f.status != "resolved"} & resolved


def test_a_project_listed_twice_is_scanned_once(
    demo: Emulators, demo_registry: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scanner = Scanner(demo, demo_registry, tmp_path, monkeypatch, projects=["corp-prod", "corp-prod"])
    result = scanner()
    assert result.code == 0
    run = result.document["run"]
    assert run["warnings"] == ["gcp scope corp-prod is configured more than once: scanned once"]
    [scope] = run["scopes"]
    # one scan: 1 account listing, 5 key listings, 1 policy, 1 projects.get, 2 for the workload
    # identity pools and providers, 2 activity queries
    assert scope["api_calls"] == 12
    ids = [f["id"] for f in result.document["findings"]]
    assert len(ids) == len(set(ids))


def test_a_crash_while_storing_exits_3_and_keeps_history(demo: Emulators, scanner: Scanner) -> None:
    first = scanner()
    assert first.code == 0
    [project] = demo.iam.estate.projects
    project.accounts.append(Account("initech-sync", keys=[Key(key_id("initech-sync/1"), UNROTATED)]))  # new findings
    with refusing_writes(scanner.url, "findings"):
        crashed = scanner()
    assert crashed.code == 3
    errors = [line for line in crashed.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "internal error" in errors[0] and "disk full" in errors[0]
    assert "Traceback" not in crashed.stderr
    assert [(status, "disk full" in (error or "")) for _, status, error in run_rows(scanner.url)] == [
        ("complete", False),
        ("failed", True),
    ]
    with Store(scanner.url) as store:  # history as the first run left it
        assert {f.id: f.status for f in store.findings()} == dict.fromkeys(first.findings, "open")
    mended = scanner()
    assert mended.code == 0
    assert set(first.findings) < set(mended.findings)


def test_an_account_deleted_while_its_roles_were_unreadable_is_gone_only_once_they_are(
    demo: Emulators, scanner: Scanner
) -> None:
    """A service account relies on the IAM policy too (its roles, its privilege): not gone, and
    its findings not resolved, until a run where both listings completed."""
    first = scanner()
    etl = SA.format("etl-loader")
    held = {f["id"] for f in first.findings.values() if f["identity"] == etl}
    assert held
    [project] = demo.iam.estate.projects
    project.accounts.remove(_account(demo, "etl-loader"))
    denied = faults.permission_denied("resourcemanager.projects.getIamPolicy")
    demo.resource_manager.fail("POST", r":getIamPolicy$", denied.http_response())
    broken = scanner()
    assert {broken.findings[i]["status"] for i in held} == {"open"}
    assert all(broken.findings[i]["carried"] for i in held)
    assert scanner.gone()[etl] is None
    mended = scanner()
    assert {mended.findings[i]["status"] for i in held} == {"resolved"}
    assert scanner.gone()[etl] == mended.document["run"]["id"]
