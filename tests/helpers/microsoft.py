"""The Graph + ARM emulator for the azure and m365 tests: a fixture starting it over a tenant
with the emulator token in the environment, and the requests that crossed the wire."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from partner_nhi.connector import CallCounter, Connector
from partner_nhi.connectors.microsoft.auth import TOKEN_ENV
from partner_nhi.connectors.microsoft.emulator import BATCH_ITEM_HEADER, MicrosoftEmulator, Tenant
from partner_nhi.coverage import RetryPolicy, UnitOutcome, UnitRecorder
from partner_nhi.records import Identity

FAST_RETRY = RetryPolicy(attempts=3, initial_delay=0.01, max_delay=0.05)


@dataclass
class Scan:
    """One tenant collected by a real connector through the engine's UnitRecorder."""

    identities: list[Identity]
    outcomes: dict[str, UnitOutcome]
    calls: CallCounter

    def by_name(self, name: str) -> Identity:
        return next(i for i in self.identities if i.name == name)


def collect_with(
    connector_class: type[Connector], settings: dict[str, object], retry: RetryPolicy = FAST_RETRY
) -> Scan:
    connector = connector_class(settings)
    [scope] = connector.scopes()
    units = UnitRecorder(connector, retry, scope)
    calls = CallCounter()
    identities = connector.collect(scope, units, calls)
    return Scan(identities, {o.resource_type: o for o in units.outcomes()}, calls)


@pytest.fixture
def emulate(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Tenant], MicrosoftEmulator]]:
    """Start an emulator over a tenant, with the emulator token in the environment."""
    started: list[MicrosoftEmulator] = []

    def start(tenant: Tenant) -> MicrosoftEmulator:
        emulator = MicrosoftEmulator(tenant).start()
        started.append(emulator)
        monkeypatch.setenv(TOKEN_ENV, emulator.token)
        return emulator

    yield start
    for emulator in started:
        emulator.stop()


def wire_requests(emulator: MicrosoftEmulator) -> list[tuple[str, str]]:
    """Requests that crossed the wire (not the items dispatched inside a $batch)."""
    return [
        (r.method, r.path)
        for server in (emulator.graph, emulator.arm)
        for r in server.requests
        if BATCH_ITEM_HEADER not in r.headers
    ]


def batch_items(emulator: MicrosoftEmulator) -> list[str]:
    """The path of every item dispatched inside a $batch, in order."""
    return [r.path for r in emulator.graph.requests if BATCH_ITEM_HEADER in r.headers]
