"""The Graph + ARM emulator for the azure and m365 tests: a fixture starting it over a tenant
with the emulator token in the environment, and the requests that crossed the wire."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from partner_nhi.connectors.microsoft.auth import TOKEN_ENV
from partner_nhi.connectors.microsoft.emulator import BATCH_ITEM_HEADER, MicrosoftEmulator, Tenant


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
