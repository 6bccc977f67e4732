"""Every error path through the command line: the documented exit code (2 bad input, 3
incomplete or internal failure), one clear line naming the problem, no traceback, and no
secret in what is printed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from helpers.builders import REGISTRY
from helpers.cli import run_cli
from helpers.scripted import registered

PASSWORD = "S3cretPassw0rd"


@pytest.fixture
def plugin(tmp_path: Path) -> Iterator[Path]:
    with registered(tmp_path / "plugins") as folder:
        yield folder


@pytest.fixture
def inputs(tmp_path: Path, plugin: Path) -> Path:
    """A config (scripted connector), its registry, and a store holding one scan."""
    (tmp_path / "registry.yaml").write_text(yaml.safe_dump(REGISTRY))
    config = {
        "registry": "registry.yaml",
        "database": "sqlite:///store.db",  # relative: to the config file's folder
        "connectors": {"scripted": {"users": {"s1": {"old": 200}}}},
    }
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    return tmp_path


CASES = {
    "bad db url (password masked)": (
        ["scan", "-c", "{dir}/config.yaml", "--db", f"postgresql://nhi:{PASSWORD}@127.0.0.1:1/nhi"],
        2,
        "cannot open postgresql://nhi:***@127.0.0.1:1/nhi",
    ),
    "db driver missing (password masked)": (
        ["scan", "-c", "{dir}/config.yaml", "--db", f"mysql://nhi:{PASSWORD}@db/nhi"],
        2,
        "mysql://nhi:***@db/nhi",
    ),
    "db is not a database": (
        ["scan", "-c", "{dir}/config.yaml", "--db", "sqlite:///{dir}/registry.yaml"],
        2,
        "cannot open sqlite:///",
    ),
    "findings on a missing db": (["findings", "--db", "sqlite:///{dir}/typo.db"], 2, "no database at"),
    "findings bad status": (["findings", "-c", "{dir}/config.yaml", "--status", "bogus"], 2, "'bogus' is not one of"),
    "findings unknown rule": (["findings", "-c", "{dir}/config.yaml", "--rule", "nope"], 2, "--rule: no rule 'nope'"),
    "findings unknown partner": (
        ["findings", "-c", "{dir}/config.yaml", "--partner", "nobody"],
        2,
        "--partner: no finding names 'nobody'",
    ),
    "findings format it cannot write": (
        ["findings", "-c", "{dir}/config.yaml", "-f", "ocsf"],
        2,
        "'ocsf' is not one of",
    ),
    "sweep format it cannot write": (
        ["sweep", "--partner", "acme", "-c", "{dir}/config.yaml", "-f", "ocsf"],
        2,
        "'ocsf' is not one of",
    ),
    "demo unknown connector": (["demo", "--connector", "typo"], 2, "unknown connector(s) typo"),
    "scan unknown connector": (
        ["scan", "-c", "{dir}/config.yaml", "--connector", "typo"],
        2,
        "unknown connector 'typo'",
    ),
    "output into a missing folder": (
        ["scan", "-c", "{dir}/config.yaml", "-o", "{dir}/no/such/out.json"],
        2,
        "--output: no folder",
    ),
    "output onto a folder": (["scan", "-c", "{dir}/config.yaml", "-o", "{dir}"], 2, "is a folder"),
    "missing config": (["scan", "-c", "{dir}/nope.yaml"], 2, "cannot read"),
    "bad threshold from the environment": (["scan", "-c", "{dir}/config.yaml"], 2, "thresholds"),
    "unknown option": (["scan", "--frobnicate"], 2, "No such option"),
    "shard without run id": (["scan", "-c", "{dir}/config.yaml", "--shard", "0/2"], 2, "--shard needs --run-id"),
    "retire an unknown scope": (
        ["scopes", "retire", "scripted", "nope", "--reason", "x", "-c", "{dir}/config.yaml"],
        2,
        "no scope scripted:nope",
    ),
    "report of an unknown run": (
        ["report", "-c", "{dir}/config.yaml", "--run", "nope", "-o", "-", "-f", "json"],
        2,
        "nope",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_error_paths(case: str, inputs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run_cli(monkeypatch, "scan", "-c", f"{inputs}/config.yaml", "-f", "json").code == 0
    assert (inputs / "store.db").is_file()  # the relative database landed beside the config file
    args, code, message = CASES[case]
    if case == "bad threshold from the environment":
        monkeypatch.setenv("PARTNER_NHI_THRESHOLDS__DEFAULT", "not json")
    before = sorted(p.name for p in inputs.iterdir())
    outcome = run_cli(monkeypatch, *(arg.format(dir=inputs) for arg in args))
    assert outcome.code == code, outcome.stderr
    assert message in outcome.stderr, outcome.stderr
    assert "Traceback" not in outcome.stderr and PASSWORD not in outcome.stdout + outcome.stderr
    assert sorted(p.name for p in inputs.iterdir()) == before  # nothing created: no database, no report


def test_owner_filters_match_emails_whatever_their_case(inputs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    registry = dict(REGISTRY, assignments=[{"identity": "s1/old", "owner": "alice@example.com"}])
    (inputs / "registry.yaml").write_text(yaml.safe_dump(registry))
    assert run_cli(monkeypatch, "scan", "-c", f"{inputs}/config.yaml").code == 0
    found = run_cli(
        monkeypatch, "findings", "-c", f"{inputs}/config.yaml", "--owner", "Alice@Example.COM", "-f", "json"
    )
    assert found.code == 0 and '"owner": "alice@example.com"' in found.stdout
