"""The registry: the example loads; every kind of error names file, line and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from partner_nhi.cli import app
from partner_nhi.errors import ConfigError
from partner_nhi.registry import SCHEMA_PATH, json_schema, load_registry

ROOT = Path(__file__).resolve().parents[2]

VALID = """\
version: 1
owners:
  - id: alice@example.com
    status: active
  - id: carol@example.com
    status: departed
partners:
  - id: acme
    name: Acme
    status: offboarded
    offboarded_on: 2026-06-30
    sponsor: alice@example.com
    match:
      aws_account_ids: ["111122223333"]
assignments:
  - identity: "arn:aws:iam::123456789012:user/ci"
    partner: acme
    owner: carol@example.com
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "registry.yaml"
    path.write_text(text)
    return path


def error_of(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        load_registry(write(tmp_path, text))
    return str(caught.value)


def test_shipped_examples_are_valid() -> None:
    for path in (ROOT / "config" / "registry.example.yaml", ROOT / "scanner" / "demo" / "registry.yaml"):
        registry = load_registry(path)
        assert registry.partners and registry.owners


def test_valid_registry_loads(tmp_path: Path) -> None:
    registry = load_registry(write(tmp_path, VALID))
    acme = registry.partner("acme")
    assert acme is not None and acme.sponsor == "alice@example.com"
    assert str(acme.offboarded_on) == "2026-06-30"
    assert registry.tags.partner == "partner"


@pytest.mark.parametrize(
    ("change", "line", "field", "words"),
    [
        (("sponsor: alice@example.com", "sponsor: zed@example.com"), 12, "partners[0].sponsor", "unknown owner"),
        (("    partner: acme\n", "    partner: nobody\n"), 17, "assignments[0].partner", "unknown partner"),
        (("    owner: carol@example.com", "    owner: ghost@example.com"), 18, "assignments[0].owner", "unknown owner"),
        (("    offboarded_on: 2026-06-30\n", ""), 8, "partners[0]", "offboarded_on is required"),
        (('["111122223333"]', '["1111"]'), 13, "partners[0].match", "12-digit"),
        (("    status: departed", "    status: gone"), 6, "owners[1].status", "active"),
        (("    name: Acme\n", "    name: Acme\n    sponser: x\n"), 10, "partners[0].sponser", "Extra inputs"),
        (("version: 1", "version: 2"), 1, "version", "1"),
        (("  - id: acme", "  - id: Acme Corp"), 8, "partners[0].id", "pattern"),
    ],
)
def test_each_error_names_file_line_and_field(
    tmp_path: Path, change: tuple[str, str], line: int, field: str, words: str
) -> None:
    assert change[0] in VALID
    message = error_of(tmp_path, VALID.replace(change[0], change[1]))
    assert f"registry.yaml:{line}: {field}" in message
    assert words in message


def test_duplicate_ids_and_assignments_are_errors(tmp_path: Path) -> None:
    text = VALID + '  - identity: "arn:aws:iam::123456789012:user/ci"\n    owner: alice@example.com\n'
    text = text.replace("  - id: carol@example.com", "  - id: ALICE@example.com")
    message = error_of(tmp_path, text)
    assert "owners[1].id: duplicate id" in message
    assert "assignments[1].identity: duplicate assignment" in message


def test_every_error_is_reported_at_once(tmp_path: Path) -> None:
    text = VALID.replace("sponsor: alice@example.com", "sponsor: zed@example.com").replace(
        "    partner: acme\n", "    partner: nobody\n"
    )
    message = error_of(tmp_path, text)
    assert "partners[0].sponsor" in message and "assignments[0].partner" in message


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    message = error_of(tmp_path, VALID.replace("  - id: alice@example.com", "  - id: [alice"))
    assert "registry.yaml:" in message and "not valid YAML" in message


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_registry(tmp_path / "absent.yaml")


def test_cli_validate_exit_codes(tmp_path: Path) -> None:
    runner = CliRunner()
    good = runner.invoke(app, ["registry", "validate", str(write(tmp_path, VALID))])
    assert good.exit_code == 0 and "valid: 2 owners, 1 partners" in good.output
    bad = runner.invoke(
        app, ["registry", "validate", str(write(tmp_path, VALID.replace("partner: acme", "partner: x")))]
    )
    assert bad.exit_code == 2
    assert "registry.yaml:17: assignments[0].partner" in bad.output


def test_shipped_json_schema_matches_the_models() -> None:
    assert json.loads(SCHEMA_PATH.read_text()) == json.loads(json.dumps(json_schema()))


def test_json_schema_rejects_what_the_loader_rejects(tmp_path: Path) -> None:
    import jsonschema
    import yaml

    schema = json.loads(SCHEMA_PATH.read_text())
    document = yaml.safe_load(VALID.replace("offboarded_on: 2026-06-30", "offboarded_on: '2026-06-30'"))
    jsonschema.validate(document, schema)
    document["partners"][0]["sponser"] = "x"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, schema)
