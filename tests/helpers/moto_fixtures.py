"""pytest fixtures: a moto server on 127.0.0.1, reset before each test."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator

import pytest

from helpers.moto import Moto
from partner_nhi.connectors.aws.emulator import SERVICE_CREDENTIALS, MotoTraffic, moto_server


@pytest.fixture(scope="session")
def moto_session() -> Iterator[Moto]:
    traffic = MotoTraffic()
    with moto_server(traffic) as endpoint:
        yield Moto(endpoint, traffic)


@pytest.fixture
def moto(moto_session: Moto) -> Moto:
    request = urllib.request.Request(f"{moto_session.endpoint}/moto-api/reset", method="POST")  # noqa: S310
    urllib.request.urlopen(request).close()  # noqa: S310 - loopback
    SERVICE_CREDENTIALS.clear()
    moto_session.traffic.actions.clear()
    moto_session.traffic.faults.clear()
    return moto_session
