"""Fixtures of the GCP connector tests: fixture payloads, emulated estates and a
``collect`` that runs the real connector through the engine's UnitRecorder."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest

from partner_nhi.connector import CallCounter, Scope
from partner_nhi.connectors.gcp import GcpConnector
from partner_nhi.connectors.gcp.context import ProjectContext
from partner_nhi.connectors.gcp.coverage import IAM_POLICY
from partner_nhi.connectors.gcp.emulator import Account, Binding, Emulators, Estate, Key, Project, running
from partner_nhi.connectors.gcp.emulator.estate import key_id
from partner_nhi.connectors.gcp.iam_policy import ReadPolicy, Roles, grants_by_member
from partner_nhi.coverage import RetryPolicy, UnitOutcome, UnitRecorder
from partner_nhi.records import Identity

FIXTURES = Path(__file__).parent / "fixtures"
DEMO_REGISTRY = Path(str(files("partner_nhi.demo").joinpath("registry.yaml")))
NOW = datetime(2025, 10, 1, tzinfo=UTC)
FAST_RETRY = {"initial": 0.01, "maximum": 0.05, "deadline": 10.0, "attempts": 4}


@pytest.fixture
def payload() -> Callable[[str], Any]:
    """A fixture payload (real API shape) by file stem."""
    return lambda name: json.loads((FIXTURES / f"{name}.json").read_text())


@pytest.fixture
def demo_registry() -> Path:
    """The demo registry: partners acme (offboarded), globex (active), initech (offboarding)."""
    return DEMO_REGISTRY


@pytest.fixture
def context() -> ProjectContext:
    return ProjectContext(
        project="corp-prod",
        internal_projects=frozenset({"corp-prod", "corp-shared"}),
        organization_domains=frozenset({"corp.example"}),
        now=NOW,
    )


@dataclass
class Result:
    identities: list[Identity]
    outcomes: dict[str, UnitOutcome]
    calls: CallCounter

    def by_id(self) -> dict[str, Identity]:
        return {i.id: i for i in self.identities}


def collect_scope(settings: dict[str, Any], project: str) -> Result:
    """One scope through the real connector, recorded by the engine's UnitRecorder."""
    connector = GcpConnector({**settings, "retry": FAST_RETRY})
    scope = Scope("gcp", project)
    recorder = UnitRecorder(connector, RetryPolicy(attempts=3, initial_delay=0.01, max_delay=0.02), scope)
    calls = CallCounter()
    try:
        identities = connector.collect(scope, recorder, calls)
    except Exception as exc:  # what the engine does when a whole scope breaks
        recorder.fail_remaining(exc)
        identities = []
    return Result(identities, {o.resource_type: o for o in recorder.outcomes()}, calls)


@pytest.fixture
def collect() -> Callable[[dict[str, Any], str], Result]:
    return collect_scope


@pytest.fixture
def roles_of(units: UnitRecorder) -> Callable[..., Roles]:
    """The roles a project policy payload binds, each binding through the engine's transform."""

    def bound(policy: dict[str, Any], definitions: dict[str, list[str]] | None = None) -> Roles:
        grants = grants_by_member([ReadPolicy("projects/corp-prod", IAM_POLICY, policy)], units)
        return Roles(grants, definitions or {}, (IAM_POLICY,))

    return bound


@pytest.fixture
def units() -> UnitRecorder:
    """The engine's recorder for pure transforms: what a malformed record did to its unit."""
    return UnitRecorder(GcpConnector({"projects": ["corp-prod"]}))


def small_estate() -> Estate:
    """Two service accounts (one with keys used and unused), external members."""
    now = datetime.now(UTC)

    def ago(days: int) -> datetime:
        return now - timedelta(days=days)

    project = Project(
        id="corp-prod",
        accounts=[
            Account(
                "acme-deployer",
                keys=[
                    Key(key_id("k1"), ago(700), last_authenticated=ago(100)),
                    Key(key_id("k2"), ago(30)),
                    Key(key_id("sys"), ago(3), type="SYSTEM_MANAGED"),
                ],
                last_authenticated=ago(100),
            ),
            Account("globex-monitoring", disabled=True),
        ],
        bindings=[
            Binding("roles/editor", ["serviceAccount:acme-deployer@corp-prod.iam.gserviceaccount.com"]),
            Binding("roles/viewer", ["user:dev@globex.example", "user:me@corp.example"]),
        ],
    )
    return Estate(projects=[project])


@pytest.fixture
def emulators() -> Iterator[Emulators]:
    with running(small_estate()) as started:
        yield started


@pytest.fixture
def settings(emulators: Emulators) -> dict[str, Any]:
    return emulators.settings(organization_domains=["corp.example"])
