"""`registry diff`: the registry in use against what the latest run saw: partners with nothing
left, identities attributed by a name pattern only, assignments naming identities the run did
not see (gone, never seen, or only missing from an incomplete run)."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from helpers.builders import REGISTRY, identity
from helpers.cli import run_cli
from helpers.scripted import registered
from partner_nhi.records import Affiliation
from partner_nhi.registry import Registry
from partner_nhi.registry_diff import GONE, NEVER_SEEN, NOT_IN_RUN, registry_diff
from partner_nhi.store import Store


def registry_with(*assignments: dict[str, str]) -> dict[str, Any]:
    document = copy.deepcopy(REGISTRY)
    document["assignments"] = list(assignments)
    return document


def test_the_diff_is_the_registry_applied_to_what_the_run_saw() -> None:
    registry = Registry.model_validate(
        registry_with(
            {"identity": "AIDAALIAS", "owner": "alice@example.com"},  # an alias of a seen identity
            {"identity": "arn:aws:iam::1:user/left", "owner": "alice@example.com"},
            {"identity": "arn:aws:iam::1:user/elsewhere", "owner": "alice@example.com"},
            {"identity": "arn:aws:iam::1:user/typo", "owner": "alice@example.com"},
        )
    )
    seen = [
        identity("aliased", aliases=("AIDAALIAS",)),
        identity("acme-sync"),  # acme's by name pattern only
        identity(
            "trusted",
            kind="aws-role",
            affiliations=(Affiliation(kind="aws-account", value="444455556666", external=True),),
        ),
    ]
    known = [
        ("arn:aws:iam::1:user/aliased", ("AIDAALIAS",), None),
        ("arn:aws:iam::1:user/left", (), "run-2"),
        ("arn:aws:iam::1:user/elsewhere", (), None),
    ]
    diff = registry_diff(seen, registry, known)
    assert [p.id for p in diff.partners_without_identities] == ["initech"]
    assert [(p.holder.name, p.holder.partner) for p in diff.pattern_only] == [("acme-sync", "acme")]
    assert "matches 'acme-*' of acme" in diff.pattern_only[0].detail
    assert [(d.index, d.state, d.gone_run) for d in diff.dangling] == [
        (1, GONE, "run-2"),
        (2, NOT_IN_RUN, None),
        (3, NEVER_SEEN, None),
    ]


def test_one_record_of_an_identity_not_gone_wins_over_a_gone_one() -> None:
    registry = Registry.model_validate(registry_with({"identity": "app-id", "owner": "alice@example.com"}))
    known = [("object-old", ("app-id",), "run-1"), ("object-new", ("app-id",), None)]
    [dangling] = registry_diff([], registry, known).dangling
    assert dangling.state == NOT_IN_RUN


@pytest.fixture(autouse=True)
def plugin(tmp_path: Path) -> Iterator[Path]:
    with registered(tmp_path / "plugins") as folder:
        yield folder


def configure(folder: Path, users: dict[str, dict[str, int]]) -> Path:
    registry = registry_with(
        {"identity": "s1/old", "owner": "bob@example.com"},
        {"identity": "s1/leaving", "owner": "bob@example.com"},
        {"identity": "s2/far", "owner": "bob@example.com"},
        {"identity": "s1/tpyo", "owner": "bob@example.com"},
    )
    (folder / "registry.yaml").write_text(yaml.safe_dump(registry))
    config = folder / "config.yaml"
    scripted = {"users": users, "scopes": sorted(users)}
    config.write_text(
        yaml.safe_dump(
            {
                "registry": "registry.yaml",
                "database": f"sqlite:///{folder}/h.db",
                "connectors": {"scripted": scripted},
                "retry": {"attempts": 2, "initial_delay": 0.01, "max_delay": 0.02},
            }
        )
    )
    return config


def diff_json(monkeypatch: pytest.MonkeyPatch, config: Path) -> tuple[int, dict[str, Any]]:
    outcome = run_cli(monkeypatch, "registry", "diff", "-c", str(config), "-f", "json")
    return outcome.code, json.loads(outcome.stdout)


def test_registry_diff_through_the_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    everyone = configure(tmp_path, {"s1": {"old": 10, "leaving": 10, "etl-job": 10}, "s2": {"far": 10}})
    assert run_cli(monkeypatch, "scan", "-c", str(everyone), "-f", "json").code == 0
    code, report = diff_json(monkeypatch, everyone)
    assert code == 0
    assert [a["identity"] for a in report["dangling_assignments"]] == ["s1/tpyo"]
    assert [(p["name"], p["partner"]) for p in report["pattern_only"]] == [("etl-job", "initech")]
    assert [p["id"] for p in report["partners_without_identities"]] == ["acme", "globex"]

    left = configure(tmp_path, {"s1": {"old": 10, "etl-job": 10}, "s2": {"far": 10}})
    second = json.loads(run_cli(monkeypatch, "scan", "-c", str(left), "-f", "json").stdout)
    code, report = diff_json(monkeypatch, left)
    assert code == 0 and report["run"]["id"] == second["run"]["id"]
    assert [(a["identity"], a["state"], a["gone_run"]) for a in report["dangling_assignments"]] == [
        ("s1/leaving", "gone", second["run"]["id"]),
        ("s1/tpyo", "never-seen", None),
    ]
    table = run_cli(monkeypatch, "registry", "diff", "-c", str(left), "-f", "table").stdout
    assert f"{tmp_path / 'registry.yaml'}:" in table and '"s1/leaving": gone: a complete listing' in table

    partial = configure(tmp_path, {"s1": {"old": 10, "etl-job": 10}})  # s2 left the configuration: not gone
    assert run_cli(monkeypatch, "scan", "-c", str(partial), "-f", "json").code == 3
    code, report = diff_json(monkeypatch, partial)
    assert code == 3
    assert ("s2/far", "not-in-run") in [(a["identity"], a["state"]) for a in report["dangling_assignments"]]


def test_diff_needs_a_registry_and_a_scan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = configure(tmp_path, {"s1": {"old": 10}})
    missing = run_cli(monkeypatch, "registry", "diff", "-c", str(config))
    assert missing.code == 2 and "no database at" in missing.stderr and not (tmp_path / "h.db").exists()
    Store(f"sqlite:///{tmp_path}/h.db").close()  # a store with no run yet
    nothing = run_cli(monkeypatch, "registry", "diff", "-c", str(config))
    assert nothing.code == 2 and "no finished scan" in nothing.stderr
    bare = tmp_path / "bare.yaml"
    bare.write_text(f"database: sqlite:///{tmp_path}/h.db\n")
    assert run_cli(monkeypatch, "registry", "diff", "-c", str(bare)).code == 2
