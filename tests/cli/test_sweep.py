"""`sweep`: the offboarding gate on the read model, from a scan or from the store, in every format."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from pathlib import Path

import pytest

from helpers.cli import run_cli
from helpers.moto import Moto

REGISTRY = Path(__file__).resolve().parents[2] / "config" / "registry.example.yaml"


@pytest.fixture
def estate(moto: Moto, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto.endpoint)
    seed = moto.seeder()
    seed.user("acme-sync", 400)
    seed.key("acme-sync", 300, used_days_ago=2)
    seed.user("ci-deployer", 50)
    seed.key("ci-deployer", 20, used_days_ago=1)


def sweep(monkeypatch: pytest.MonkeyPatch, db: str, *args: str) -> tuple[int, str, str]:
    outcome = run_cli(monkeypatch, "sweep", "--partner", "acme", "--registry", str(REGISTRY), "--db", db, *args)
    return outcome.code, outcome.stdout, outcome.stderr


def test_from_the_store_without_calling_a_cloud(tmp_path: Path, estate: None, monkeypatch: pytest.MonkeyPatch) -> None:
    db = f"sqlite:///{tmp_path}/h.db"
    code, scanned, _ = sweep(monkeypatch, db, "--connector", "aws", "-f", "json")
    assert code == 1
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # any call to AWS now fails
    code, stored, _ = sweep(monkeypatch, db, "--from-store", "-f", "json")
    assert code == 1
    fresh, answer = json.loads(scanned), json.loads(stored)
    assert answer["run"]["source"] == "store" and answer["run"]["id"] == fresh["run"]["id"]
    assert 0 <= answer["run"]["age_seconds"] < 120
    assert answer["holdings"] == fresh["holdings"] and answer["active"] == 1
    [holding] = answer["holdings"]
    assert holding["sponsor"] == "alice@example.com" and holding["owner"] and holding["last_used"]
    assert [step["argv"][2] for step in holding["revocation"]] == [
        "update-access-key",
        "delete-access-key",
        "delete-user",
    ]
    script = "\n".join(step["command"] for step in holding["revocation"])
    assert subprocess.run(["bash", "-n"], input=script, text=True, check=False).returncode == 0


def test_every_format(tmp_path: Path, estate: None, monkeypatch: pytest.MonkeyPatch) -> None:
    db = f"sqlite:///{tmp_path}/h.db"
    assert sweep(monkeypatch, db, "--connector", "aws", "-f", "json")[0] == 1
    outputs = {}
    for fmt in ("table", "csv", "markdown", "html"):
        out = tmp_path / f"sweep.{fmt}"
        code, _, stderr = sweep(monkeypatch, db, "--from-store", "-f", fmt, "-o", str(out))
        assert code == 1, stderr
        outputs[fmt] = out.read_text()
    rows = list(csv.DictReader(io.StringIO(outputs["csv"])))
    assert [row["action"] for row in rows] == ["deactivate access key", "delete access key", "delete user"]
    assert "aws iam delete-user --user-name acme-sync" in outputs["table"]
    assert (
        "**1 active** of 1 holdings" in outputs["markdown"]
        and "```sh\naws iam update-access-key" in outputs["markdown"]
    )
    assert "sponsor <b>alice@example.com</b>" in outputs["html"] and "<script" not in outputs["html"]


def test_an_incomplete_scope_is_named_and_exits_3(
    tmp_path: Path, estate: None, moto: Moto, monkeypatch: pytest.MonkeyPatch
) -> None:
    moto.traffic.fail("GetAccountAuthorizationDetails", 403, "AccessDenied", times=5)
    code, out, _ = sweep(monkeypatch, f"sqlite:///{tmp_path}/h.db", "--connector", "aws", "-f", "json")
    assert code == 3
    [scope] = json.loads(out)["incomplete_scopes"]
    assert scope["scope"] == "123456789012" and "AccessDenied" in scope["error"]


def test_from_an_empty_store_is_bad_input(tmp_path: Path, estate: None, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "none.db"
    code, _, stderr = sweep(monkeypatch, f"sqlite:///{missing}", "--from-store")
    assert code == 2 and "no database at" in stderr and not missing.exists()
