"""The SIEM tests: the scripted connector as a plug-in, and the sinks' secrets in the environment."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers.scripted import registered
from helpers.siem import HEC_TOKEN, WEBHOOK_SECRET


@pytest.fixture(autouse=True)
def plugin(tmp_path: Path) -> Iterator[Path]:
    with registered(tmp_path / "plugins") as folder:
        yield folder


@pytest.fixture(autouse=True)
def secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARTNER_NHI_HEC_TOKEN", HEC_TOKEN)
    monkeypatch.setenv("PARTNER_NHI_WEBHOOK_SECRET", WEBHOOK_SECRET)
