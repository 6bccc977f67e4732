"""pytest fixtures: a moto server on 127.0.0.1, reset before each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from helpers.moto import Moto
from partner_nhi.connectors.aws.emulator import MotoTraffic, moto_server, reset_estate


@pytest.fixture(scope="session")
def moto_session() -> Iterator[Moto]:
    traffic = MotoTraffic()
    with moto_server(traffic) as endpoint:
        yield Moto(endpoint, traffic)


@pytest.fixture
def moto(moto_session: Moto) -> Moto:
    reset_estate(moto_session.endpoint)
    moto_session.traffic.actions.clear()
    moto_session.traffic.faults.clear()
    return moto_session
