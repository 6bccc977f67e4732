"""Per-partner and per-provider thresholds name a registered partner and an installed provider:
a misspelled key is bad input (exit 2, naming the key and its line), never a silent no-op."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from helpers.builders import REGISTRY
from helpers.cli import run_cli
from helpers.databases import run_rows
from helpers.scripted import registered
from partner_nhi.config import check_threshold_keys, load_settings
from partner_nhi.errors import ConfigError


@pytest.fixture(autouse=True)
def plugin(tmp_path: Path) -> Iterator[Path]:
    with registered(tmp_path / "plugins") as folder:
        yield folder


def config_with(tmp_path: Path, thresholds: str) -> Path:
    (tmp_path / "registry.yaml").write_text(yaml.safe_dump(REGISTRY))
    config = tmp_path / "nhi.yaml"
    config.write_text(
        "registry: registry.yaml\n"
        f"database: sqlite:///{tmp_path}/h.db\n"
        "connectors:\n  scripted: {users: {s1: {old: 200}}}\n"
        f"thresholds:\n{thresholds}"
    )
    return config


PARTNER_TYPO = "  partners:\n    acme: {stale-identity: 30}\n    acmee: {stale-identity: 30}\n"
PROVIDER_TYPO = "  providers:\n    aws: {stale-identity: 60}\n    gpc: {stale-identity: 5}\n"


@pytest.mark.parametrize(
    ("thresholds", "line", "named"),
    [(PARTNER_TYPO, 8, "thresholds.partners.acmee"), (PROVIDER_TYPO, 8, "thresholds.providers.gpc")],
)
def test_a_misspelled_key_is_bad_input_and_nothing_is_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, thresholds: str, line: int, named: str
) -> None:
    config = config_with(tmp_path, thresholds)
    outcome = run_cli(monkeypatch, "scan", "--config", str(config), "--format", "json")
    assert outcome.code == 2
    assert f"nhi.yaml:{line}: {named}: unknown" in outcome.stderr
    assert not (tmp_path / "h.db").exists() or run_rows(f"sqlite:///{tmp_path}/h.db") == []


def test_known_keys_pass_and_scan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = config_with(tmp_path, "  partners: {acme: {stale-identity: 30}}\n  providers: {scripted: {}}\n")
    outcome = run_cli(monkeypatch, "scan", "--config", str(config), "--format", "json")
    assert outcome.code == 0, outcome.stderr


def test_keys_from_the_environment_are_checked_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARTNER_NHI_THRESHOLDS__PARTNERS", '{"globexx": {"stale-identity": 10}}')
    settings = load_settings(None)
    with pytest.raises(ConfigError, match=r"^thresholds\.partners\.globexx: unknown partner 'globexx' \(known: acme"):
        check_threshold_keys(settings, ["acme", "globex"], ["aws"], None)
