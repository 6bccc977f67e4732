"""The SIEM tests: the scripted connector as a plug-in, the sinks' secrets in the environment,
and moto reset for the demo estate."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers.moto_fixtures import moto, moto_session
from helpers.scripted import registered
from helpers.siem import HEC_TOKEN, WEBHOOK_SECRET

__all__ = ["moto", "moto_session"]  # the demo's AWS estate lives in moto's one in-process state


@pytest.fixture(autouse=True)
def plugin(tmp_path: Path) -> Iterator[Path]:
    with registered(tmp_path / "plugins") as folder:
        yield folder


@pytest.fixture(autouse=True)
def secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARTNER_NHI_HEC_TOKEN", HEC_TOKEN)
    monkeypatch.setenv("PARTNER_NHI_WEBHOOK_SECRET", WEBHOOK_SECRET)
