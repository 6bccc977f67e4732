"""The accepted-risks file: the example loads; every kind of error names file, line and field
(exit 2 from the CLI); the shipped JSON Schema is the models'; matching is a pure function."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
import yaml

from helpers.builders import REGISTRY, sample_registry
from helpers.cli import run_cli
from partner_nhi.config import SuppressionPolicy
from partner_nhi.errors import ConfigError
from partner_nhi.results import Finding
from partner_nhi.rules.model import Severity
from partner_nhi.suppressions import SCHEMA_PATH, Suppression, accepted_risk, json_schema, load_suppressions

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 12, 1)
PROVIDERS = ("aws", "azure", "gcp")

VALID = """\
version: 1
suppressions:
  - rule: orphaned-identity
    identity: "arn:aws:iam::*:role/MysteryVendorRole"
    justification: "Vendor under contract review, ticket SEC-1234"
    approver: alice@example.com
    expires: 2027-03-31
  - finding: nhi-0123456789abcdef01234567
    partner: globex
    provider: aws
    scope: "123456789012"
    justification: rotation scheduled
    approver: BOB@example.com
    created: 2026-11-01
    expires: 2027-04-30
"""


def load(tmp_path: Path, text: str, max_days: int = 180) -> list[Suppression]:
    path = tmp_path / "accepted.yaml"
    path.write_text(text)
    policy = SuppressionPolicy(max_lifetime_days=max_days)
    return list(load_suppressions(path, sample_registry(), policy, PROVIDERS, TODAY).entries)


def error_of(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text)
    return str(caught.value)


def test_shipped_example_is_valid_against_the_example_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    example = ROOT / "config" / "accepted-risks.example.yaml"
    outcome = run_cli(
        monkeypatch, "suppressions", "validate", str(example), "-c", str(ROOT / "config/partner-nhi.example.yaml")
    )
    assert outcome.code == 0, outcome.stderr
    assert "valid: 3 accepted risks" in outcome.stdout


def test_valid_file_loads(tmp_path: Path) -> None:
    first, second = load(tmp_path, VALID)
    assert first.rule == "orphaned-identity" and first.expires == date(2027, 3, 31) and first.created is None
    assert second.scope == "123456789012" and second.approver == "BOB@example.com"  # owners match case-insensitively
    assert first.id != second.id and first.id.startswith("acc-")


@pytest.mark.parametrize(
    ("change", "line", "field", "words"),
    [
        (("    expires: 2027-03-31\n", ""), 3, "suppressions[0].expires", "Field required"),
        (("approver: alice@example.com", "approver: zed@example.com"), 6, "suppressions[0].approver", "unknown owner"),
        (("    partner: globex", "    partner: globexx"), 9, "suppressions[1].partner", "unknown partner 'globexx'"),
        (("    provider: aws", "    provider: m365"), 10, "suppressions[1].provider", "unknown provider 'm365'"),
        (("rule: orphaned-identity", "rule: orphaned"), 3, "suppressions[0].rule", "unknown rule 'orphaned'"),
        (("finding: nhi-0123456789abcdef01234567", "finding: nhi-42"), 8, "suppressions[1].finding", "pattern"),
        (("expires: 2027-04-30", "expires: 2027-05-01"), 15, "suppressions[1].expires", "181 days after created"),
        (("expires: 2027-03-31", "expires: 2027-06-30"), 7, "suppressions[0].expires", "211 days after today"),
        (("created: 2026-11-01", "created: 2027-05-01"), 8, "suppressions[1]", "is after expires"),
        (("created: 2026-11-01", "created: 2026-12-03"), 14, "suppressions[1].created", "in the future"),
        (('"Vendor under contract review, ticket SEC-1234"', '"  "'), 5, "suppressions[0].justification", "blank"),
        (("    justification: rotation scheduled\n", ""), 8, "suppressions[1].justification", "Field required"),
        (("version: 1", "version: 2"), 1, "version", "1"),
        (
            ("  - rule: orphaned-identity", "  - rule: orphaned-identity\n    owner: x"),
            4,
            "suppressions[0].owner",
            "Extra",
        ),
    ],
)
def test_each_error_names_file_line_and_field(
    tmp_path: Path, change: tuple[str, str], line: int, field: str, words: str
) -> None:
    assert change[0] in VALID
    message = error_of(tmp_path, VALID.replace(change[0], change[1]))
    assert f"accepted.yaml:{line}: {field}: " in message, message
    assert words in message


def test_two_entries_with_one_match_are_an_error(tmp_path: Path) -> None:
    twice = VALID + VALID.split("suppressions:\n", 1)[1].split("  - finding")[0].replace("SEC-1234", "SEC-9")
    message = error_of(tmp_path, twice)
    assert "accepted.yaml:16: suppressions[2]: matches exactly what suppressions[0] matches" in message


def test_an_entry_matching_nothing_in_particular_is_refused(tmp_path: Path) -> None:
    text = VALID.replace(
        '  - rule: orphaned-identity\n    identity: "arn:aws:iam::*:role/MysteryVendorRole"\n', "  -\n"
    )
    message = error_of(tmp_path, text)
    assert "accepted.yaml:4: suppressions[0]: " in message and "it would accept everything" in message


def test_the_lifetime_limit_is_configurable(tmp_path: Path) -> None:
    assert len(load(tmp_path, VALID, max_days=180)) == 2
    with pytest.raises(ConfigError, match="the longest an acceptance may last is 30 days"):
        load(tmp_path, VALID, max_days=30)


def test_an_expired_entry_is_valid(tmp_path: Path) -> None:
    [entry, _] = load(tmp_path, VALID.replace("expires: 2027-03-31", "expires: 2026-01-31"))
    assert entry.state(TODAY).expired


def test_cli_validate_exits_2_with_every_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    registry = tmp_path / "registry.yaml"
    registry.write_text(yaml.safe_dump(REGISTRY))
    bad = tmp_path / "accepted.yaml"
    bad.write_text(VALID.replace("alice@example.com", "zed@example.com").replace("globex", "nobody"))
    outcome = run_cli(monkeypatch, "suppressions", "validate", str(bad), "--registry", str(registry))
    assert outcome.code == 2
    assert f"{bad}:6: suppressions[0].approver: unknown owner 'zed@example.com'" in outcome.stderr
    assert f"{bad}:9: suppressions[1].partner: unknown partner 'nobody'" in outcome.stderr
    no_registry = run_cli(monkeypatch, "suppressions", "validate", str(bad))
    assert no_registry.code == 2 and "no registry" in no_registry.stderr
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: 1\nsuppressions: [{rule: stale-identity\n")
    not_yaml = run_cli(monkeypatch, "suppressions", "validate", str(broken), "-r", str(registry))
    assert not_yaml.code == 2 and f"{broken}:3: not valid YAML" in not_yaml.stderr


def test_shipped_json_schema_matches_the_models(monkeypatch: pytest.MonkeyPatch) -> None:
    assert json.loads(SCHEMA_PATH.read_text()) == json.loads(json.dumps(json_schema()))
    printed = run_cli(monkeypatch, "suppressions", "schema")
    assert printed.code == 0 and json.loads(printed.stdout) == json_schema()


def test_json_schema_rejects_what_the_loader_rejects() -> None:
    import jsonschema

    schema = json.loads(SCHEMA_PATH.read_text())
    document = json.loads(json.dumps(yaml.safe_load(VALID), default=str))
    jsonschema.validate(document, schema)
    del document["suppressions"][0]["expires"]
    with pytest.raises(jsonschema.ValidationError, match="'expires' is a required property"):
        jsonschema.validate(document, schema)
    document["suppressions"][0]["expires"] = "2027-01-01"
    document["suppressions"][0]["rule"] = "orphaned"
    with pytest.raises(jsonschema.ValidationError, match="is not one of"):
        jsonschema.validate(document, schema)


def finding(**overrides: object) -> Finding:
    values: dict[str, object] = {
        "id": "nhi-0123456789abcdef01234567",
        "rule": "orphaned-identity",
        "severity": Severity.HIGH,
        "connector": "aws",
        "provider": "aws",
        "scope": "123456789012",
        "identity": "arn:aws:iam::123456789012:role/MysteryVendorRole",
        "identity_name": "MysteryVendorRole",
        "identity_kind": "aws-role",
        "credential": None,
        "partner": None,
        "owner": None,
        "reason": "unregistered-external",
        "message": "trusts 999900001111",
        "remediation": "remove it",
        "frameworks": {},
        "units": ["iam-authorization-details"],
    }
    return Finding.model_validate(values | overrides)


def entry(**match: object) -> Suppression:
    return Suppression.model_validate(
        {"justification": "why", "approver": "alice@example.com", "expires": "2027-03-31", **match}
    )


@pytest.mark.parametrize(
    ("match", "matched"),
    [
        ({"identity": "arn:aws:iam::*:role/MysteryVendorRole"}, True),
        ({"identity": "arn:aws:iam::*:role/mysteryvendorrole"}, False),  # native ids are compared as written
        ({"identity": "arn:aws:iam::*:role/Mystery*", "rule": "orphaned-identity"}, True),
        ({"identity": "arn:aws:iam::*:role/Mystery*", "rule": "stale-identity"}, False),
        ({"finding": "nhi-0123456789abcdef01234567"}, True),
        ({"finding": "nhi-ffffffffffffffffffffffff"}, False),
        ({"provider": "aws", "scope": "123456789012"}, True),
        ({"provider": "aws", "scope": "999999999999"}, False),
        ({"partner": "globex"}, False),  # the finding has no partner
    ],
)
def test_matching(match: dict[str, object], matched: bool) -> None:
    found = accepted_risk([entry(**match)], finding(), TODAY)
    assert (found is not None) is matched


def test_expiry_is_inclusive_and_an_entry_in_force_wins() -> None:
    lapsed = entry(rule="orphaned-identity", expires="2026-11-30", justification="old decision")
    current = entry(identity="arn:aws:iam::*:role/*", expires="2026-12-01", justification="renewed")
    on_the_day = accepted_risk([lapsed, current], finding(), TODAY)
    assert on_the_day is not None and on_the_day.justification == "renewed" and not on_the_day.expired
    day_after = accepted_risk([lapsed, current], finding(), date(2026, 12, 2))
    assert day_after is not None and day_after.justification == "old decision" and day_after.expired
    assert finding(suppression=day_after).suppressed is False
    assert finding(suppression=on_the_day).suppressed is True
    assert accepted_risk([], finding(), TODAY) is None
