"""`registry suggest`: proposals for what no registered partner claims, from normalized records,
with their evidence; the YAML draft validates once its placeholders are filled in; platform
principals are never proposed; nothing a cloud names can escape a comment."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from helpers.builders import REGISTRY, days_ago, identity, sample_registry
from helpers.cli import run_cli
from helpers.moto import Moto
from helpers.scripted import registered
from partner_nhi.errors import ConfigError
from partner_nhi.records import Affiliation, Credential, CredentialKind, LastUse
from partner_nhi.registry import Registry, load_registry
from partner_nhi.store import Store
from partner_nhi.suggest import Suggestions, as_document, as_yaml, suggest

DEMO_REGISTRY = Path(__file__).resolve().parents[2] / "scanner" / "demo" / "registry.yaml"
SOURCE = {"run": {"id": "r1", "command": "scan", "status": "complete", "finished": "2026-11-23T12:00:00+00:00"}}


def external(kind: str, value: str) -> Affiliation:
    return Affiliation(kind=kind, value=value, external=True)


def foreign_app(
    name: str, tenant: str, publisher: str | None = None, domains: tuple[str, ...] = (), **overrides: Any
) -> Any:
    """Another tenant's app as the Microsoft connectors record it (``domains``: its identifier URIs' hosts)."""
    details = {"verified_publisher": publisher} if publisher else {}
    return identity(
        name,
        id=f"sp-{name}",
        provider="azure",
        kind="azure-service-principal",
        scope="home-tenant",
        affiliations=(
            Affiliation(kind="azure-app", value=f"app-{name}"),
            external("azure-tenant", tenant),
            *(Affiliation(kind="publisher-domain", value=domain) for domain in domains),
        ),
        details=details,
        tags={},
        **overrides,
    )


def filled(draft: str) -> str:
    """The draft with every placeholder filled in, as a person would."""
    draft = re.sub(r"<name of ([^>]+)>", lambda m: f"Name of {m.group(1)}", draft)
    return re.sub(r"<partner-(\d+)>", lambda m: f"candidate-{m.group(1)}", draft)


def validated(tmp_path: Path, draft: str) -> Registry:
    path = tmp_path / "draft.yaml"
    path.write_text(filled(draft))
    return load_registry(path)


def proposed_match(suggestions: Suggestions) -> list[dict[str, list[str]]]:
    return [candidate.match for candidate in suggestions.partners]


def test_unclaimed_parties_become_candidates_and_evidently_one_party_is_one_candidate() -> None:
    records = [
        identity("vendor-role", kind="aws-role", affiliations=(external("aws-account", "999900001111"),)),
        identity(  # trusts two accounts: two parties, not one
            "two-vendors",
            kind="aws-role",
            last_used=LastUse.never(),
            affiliations=(external("aws-account", "999900001111"), external("aws-account", "888800001111")),
        ),
        identity("claimed", kind="aws-role", affiliations=(external("aws-account", "111122223333"),)),  # acme's
        foreign_app("insights", "tenant-wayne", publisher="Wayne Enterprises", domains=("api.wayne.example",)),
        foreign_app("insights-eu", "tenant-wayne-eu", publisher="Wayne Enterprises"),  # same publisher: one party
        identity("pub", provider="azure", affiliations=(external("publisher-domain", "Wayne.example"),)),
        identity("member", provider="gcp", affiliations=(external("gcp-domain", "wayne.example"),)),  # same domain
        identity("anyone", kind="aws-role", affiliations=(external("aws-account", "*"),)),
        identity("public", provider="gcp", affiliations=(external("gcp-public", "allUsers"),)),
    ]
    proposals = suggest(records, sample_registry())
    assert proposed_match(proposals) == [
        {"aws_account_ids": ["999900001111"]},
        {"azure_tenant_ids": ["tenant-wayne", "tenant-wayne-eu"]},
        {"gcp_domains": ["wayne.example"], "publisher_domains": ["Wayne.example"]},
        {"aws_account_ids": ["888800001111"]},
    ]
    vendor, wayne, domain, _ = proposals.partners
    assert sorted(vendor.holders) == ["arn:aws:iam::1:user/two-vendors", "arn:aws:iam::1:user/vendor-role"]
    assert wayne.publishers == {"Wayne Enterprises"} and len(wayne.holders) == 2 and len(domain.holders) == 2
    document = as_document(proposals, SOURCE)
    first = document["partners"][0]
    assert first["evidence"]["identities"] == 2 and first["evidence"]["last_used"] == days_ago(1).isoformat()
    assert {h["name"] for h in first["evidence"]["holders"]} == {"vendor-role", "two-vendors"}
    assert document["partners"][1]["name"] == "Wayne Enterprises"  # the verified publisher, to check
    assert document["partners"][1]["evidence"]["domains"] == ["api.wayne.example"]  # evidence, not a match
    assert '"api.wayne.example": add the partner' in as_yaml(proposals, SOURCE | {"registry": None})


def test_platform_principals_are_never_proposed() -> None:
    records = [
        identity(
            "lambda-exec",
            kind="aws-role",
            affiliations=(Affiliation(kind="aws-service", value="lambda.amazonaws.com"),),
        ),
        identity(
            "AWSServiceRoleForSupport",
            kind="aws-role",
            provider_managed=True,
            affiliations=(external("aws-account", "999900001111"),),  # even if a connector got a flag wrong
        ),
        foreign_app("Microsoft Graph", "f8cdef31-a31e-4b4a-93e4-5f571e91255a", provider_managed=True),
        identity("service-1234", provider="gcp", kind="gcp-service-agent", provider_managed=True),
        identity(
            "cognito", kind="aws-role", affiliations=(Affiliation(kind="oidc", value="cognito-identity.amazonaws.com"),)
        ),
    ]
    proposals = suggest(records, Registry(version=1))
    assert proposals.partners == []


def test_federations_of_unclaimed_identities_are_claimed_by_assignments(tmp_path: Path) -> None:
    github = "https://token.actions.githubusercontent.com repo:partner-org/deploy:ref:refs/heads/main"
    records = [
        identity(
            "deployer",
            id="app-deployer",
            provider="azure",
            credentials=(Credential(id="fic-1", kind=CredentialKind.FEDERATED, display=github, source="federated"),),
        ),
        identity(
            "ci", kind="aws-role", affiliations=(Affiliation(kind="oidc", value="token.actions.githubusercontent.com"),)
        ),
        identity(  # a partner claims it (name pattern): its federation needs no proposal
            "globex-ci",
            kind="aws-role",
            affiliations=(Affiliation(kind="oidc", value="token.actions.githubusercontent.com"),),
        ),
        identity("other-project-sa", provider="gcp", affiliations=(external("gcp-service-account", "42-compute@x"),)),
    ]
    proposals = suggest(records, sample_registry())
    assert [sorted(c.federations) for c in proposals.partners] == [
        ["federated " + github],
        ["gcp-service-account 42-compute@x"],
        ["oidc token.actions.githubusercontent.com"],
    ]
    assert all(c.by_assignment for c in proposals.partners)
    draft = as_yaml(proposals, SOURCE | {"registry": "registry.yaml"})
    merged = validated(tmp_path, draft)
    assert [(a.identity, a.partner) for a in merged.assignments] == [
        ("app-deployer", "candidate-1"),
        ("arn:aws:iam::1:user/other-project-sa", "candidate-2"),
        ("arn:aws:iam::1:user/ci", "candidate-3"),
    ]
    assert all(p.match.aws_account_ids == [] for p in merged.partners)


def test_identities_without_an_owner_are_grouped_by_the_owner_the_cloud_records(tmp_path: Path) -> None:
    records = [
        identity("app-1", tags={}, owner_hints=("Dave@Corp.example",)),
        identity("app-2", tags={}, owner_hints=("dave@corp.example", "erin@corp.example")),
        identity("tagged", tags={"owner": "dave@corp.example"}),  # an owner tag naming nobody registered
        identity("owned", tags={}, owner_hints=("alice@example.com",)),  # a registered owner: attributed
        identity("nobody", tags={}),
    ]
    proposals = suggest(records, sample_registry())
    assert [(o.id, sorted(o.holders), sorted(o.recorded_as)) for o in proposals.owners] == [
        (
            "Dave@Corp.example",
            ["arn:aws:iam::1:user/app-1", "arn:aws:iam::1:user/app-2", "arn:aws:iam::1:user/tagged"],
            ["owner in the cloud", "tag owner"],
        ),
        ("erin@corp.example", ["arn:aws:iam::1:user/app-2"], ["owner in the cloud"]),
    ]
    assert [h.name for h in proposals.unowned] == ["nobody"]
    merged = validated(tmp_path, as_yaml(proposals, SOURCE | {"registry": None}))
    assert [(o.id, o.name) for o in merged.owners] == [
        ("Dave@Corp.example", "Name of Dave@Corp.example"),
        ("erin@corp.example", "Name of erin@corp.example"),
    ]


def test_the_draft_refuses_to_validate_until_filled_in_and_validates_after(tmp_path: Path) -> None:
    records = [
        identity("vendor", kind="aws-role", affiliations=(external("aws-account", "999900001111"),)),
        identity("member", provider="gcp", affiliations=(external("gcp-project", "wayne-prod"),)),
    ]
    draft = as_yaml(suggest(records, sample_registry()), SOURCE | {"registry": "registry.yaml"})
    unfilled = tmp_path / "unfilled.yaml"
    unfilled.write_text(draft)
    with pytest.raises(ConfigError) as caught:
        load_registry(unfilled)
    partner_line = draft.splitlines().index('  - id: "<partner-1>"') + 1
    assert f"unfilled.yaml:{partner_line}: partners[0].id: String should match pattern" in str(caught.value)
    merged = validated(tmp_path, draft)
    assert [(p.id, p.name, p.match.aws_account_ids, p.match.gcp_projects) for p in merged.partners] == [
        ("candidate-1", "Name of partner-1", ["999900001111"], []),
        ("candidate-2", "Name of partner-2", [], ["wayne-prod"]),
    ]


def test_nothing_a_cloud_names_escapes_a_comment(tmp_path: Path) -> None:
    hostile = 'x"\nassignments: [{identity: evil, partner: acme}]\n# '
    records = [
        identity(hostile, id=hostile, kind="aws-role", affiliations=(external("aws-account", "999900001111"),)),
        identity("owned-by-hostile", tags={}, owner_hints=(hostile,)),
    ]
    draft = as_yaml(suggest(records, sample_registry()), SOURCE | {"registry": None})
    parsed = yaml.safe_load(filled(draft))
    assert parsed["assignments"] == []
    assert [o["id"] for o in parsed["owners"]] == [hostile]  # a value, quoted; never YAML structure
    assert all(
        line.startswith(("#", " ", "version", "owners", "partners", "assignments")) for line in draft.splitlines()
    )


@pytest.fixture
def plugin(tmp_path: Path) -> Iterator[Path]:
    with registered(tmp_path / "plugins") as folder:
        yield folder


def scripted_config(folder: Path, registry: bool, **scripted: Any) -> Path:
    users = {"s1": {"vendor-role": 10, "globex-sync": 10, "orphan": 10}}
    settings: dict[str, Any] = {
        "database": f"sqlite:///{folder}/h.db",
        "connectors": {
            "scripted": {
                "users": users,
                "affiliations": {
                    "vendor-role": [{"kind": "aws-account", "value": "999900001111", "external": True}],
                    "globex-sync": [{"kind": "aws-account", "value": "444455556666", "external": True}],
                },
                "owner_hints": {"orphan": ["dave@corp.example"]},
                "tags": {"orphan": {}},
                **scripted,
            }
        },
        "retry": {"attempts": 2, "initial_delay": 0.01, "max_delay": 0.02},
    }
    if registry:
        (folder / "registry.yaml").write_text(yaml.safe_dump(REGISTRY))
        settings["registry"] = "registry.yaml"
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(settings))
    return path


def test_suggest_scans_or_reads_the_store_and_never_edits_the_registry(
    tmp_path: Path, plugin: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = scripted_config(tmp_path, registry=True)
    before = (tmp_path / "registry.yaml").read_text()
    scanned = run_cli(monkeypatch, "registry", "suggest", "-c", str(config), "-f", "json")
    assert scanned.code == 0, scanned.stderr
    document = json.loads(scanned.stdout)
    assert document["source"]["run"]["command"] == "registry suggest"
    assert [p["match"] for p in document["partners"]] == [{"aws_account_ids": ["999900001111"]}]  # globex's is claimed
    assert [(o["id"], o["evidence"]["identities"]) for o in document["owners"]] == [("dave@corp.example", 1)]
    stored = run_cli(monkeypatch, "registry", "suggest", "-c", str(config), "--from-store", "-f", "json")
    assert stored.code == 0 and json.loads(stored.stdout)["partners"] == document["partners"]
    assert (tmp_path / "registry.yaml").read_text() == before

    bootstrap = scripted_config(tmp_path, registry=False)
    out = tmp_path / "draft.yaml"
    fresh = run_cli(monkeypatch, "registry", "suggest", "-c", str(bootstrap), "--from-store", "-o", str(out))
    assert fresh.code == 0 and "registry: none (nothing is claimed yet)" in out.read_text()
    merged = validated(tmp_path, out.read_text())
    assert sorted(a for p in merged.partners for a in p.match.aws_account_ids) == ["444455556666", "999900001111"]


def test_an_incomplete_run_still_drafts_but_exits_3(
    tmp_path: Path, plugin: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = scripted_config(tmp_path, registry=True, raise_after_listing=True)
    outcome = run_cli(monkeypatch, "registry", "suggest", "-c", str(config))
    assert outcome.code == 3
    assert "# The run was not complete" in outcome.stdout


def test_bad_combinations_and_an_empty_store_are_bad_input(
    tmp_path: Path, plugin: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = scripted_config(tmp_path, registry=True)
    both = run_cli(monkeypatch, "registry", "suggest", "-c", str(config), "--from-store", "--connector", "scripted")
    assert both.code == 2 and "--from-store" in both.stderr
    missing = run_cli(monkeypatch, "registry", "suggest", "-c", str(config), "--from-store")
    assert missing.code == 2 and "no database at" in missing.stderr  # reading never creates one
    assert not (tmp_path / "h.db").exists()
    Store(f"sqlite:///{tmp_path}/h.db").close()  # a store with no run yet
    empty = run_cli(monkeypatch, "registry", "suggest", "-c", str(config), "--from-store")
    assert empty.code == 2 and "no finished scan" in empty.stderr


def test_on_the_aws_demo_estate_only_the_unknown_account_is_proposed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, moto: Moto
) -> None:
    """The demo seeds moto's in-process backends: ``moto`` empties them first, whatever ran before."""
    db = f"sqlite:///{tmp_path}/demo.db"
    assert run_cli(monkeypatch, "demo", "--connector", "aws", "--db", db, "-f", "json").code == 0
    known = run_cli(
        monkeypatch, "registry", "suggest", "--from-store", "--db", db, "-r", str(DEMO_REGISTRY), "-f", "json"
    )
    assert known.code == 0, known.stderr
    document = json.loads(known.stdout)
    [vendor] = [p for p in document["partners"] if p["match"]]
    assert vendor["match"] == {"aws_account_ids": ["999900001111"]}
    assert vendor["evidence"]["identities"] == 1 and vendor["evidence"]["last_used"] == "never"
    assert vendor["evidence"]["holders"][0]["id"] == "arn:aws:iam::123456789012:role/unknown-vendor-access"

    bootstrap = run_cli(monkeypatch, "registry", "suggest", "--from-store", "--db", db)
    assert bootstrap.code == 0
    assert "amazonaws.com" not in bootstrap.stdout and "AWSServiceRoleForSupport" not in bootstrap.stdout
    merged = validated(tmp_path, bootstrap.stdout)
    accounts = sorted(a for p in merged.partners for a in p.match.aws_account_ids)
    assert accounts == ["111122223333", "444455556666", "777788889999", "999900001111"]  # the four parties
    assert {o.id for o in merged.owners} >= {"alice@example.com", "dan@example.com"}  # from owner tags
