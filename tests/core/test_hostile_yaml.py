"""A registry, configuration or accepted-risks file is input a machine may not trust: each
hostile file is refused with exit 2, naming file and line, in well under a second, using
little memory; nothing is stored."""

from __future__ import annotations

import resource
import time
from pathlib import Path

import pytest

from helpers.cli import run_cli
from partner_nhi.errors import ConfigError
from partner_nhi.registry import load_registry
from partner_nhi.yamlsource import MAX_DEPTH, YamlDocument

BILLION_LAUGHS = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""

VALID = "version: 1\nowners:\n  - {id: alice@example.com, status: active}\n"


def refused(path: Path, match: str) -> None:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    with pytest.raises(ConfigError, match=match):
        YamlDocument.load(path)
    assert time.perf_counter() - started < 1.0
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak < 100_000  # KiB: nothing blew up


def test_billion_laughs(tmp_path: Path) -> None:
    path = tmp_path / "laughs.yaml"
    path.write_text(BILLION_LAUGHS)
    refused(path, r"laughs.yaml:2: aliases \(\*name\) are not accepted")


def test_a_huge_file_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    block = "".join(f"  - {{id: u{n}@x.example, status: active}}\n" for n in range(1000))
    with path.open("w") as stream:
        stream.write("owners:\n" + block * (50_000_000 // len(block)))
    assert path.stat().st_size > 49_000_000
    refused(path, r"big.yaml: larger than 4194304 bytes")


def test_a_configurable_size_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(VALID)
    monkeypatch.setenv("PARTNER_NHI_MAX_YAML_BYTES", "10")
    refused(path, "larger than 10 bytes")


def test_deep_nesting(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("x: " + "[" * 10_000 + "]" * 10_000 + "\n")
    refused(path, f"deep.yaml:1: nested deeper than {MAX_DEPTH} levels")
    block = tmp_path / "block.yaml"
    block.write_text("".join(f"{'  ' * n}k{n}:\n" for n in range(100)))
    refused(block, f"nested deeper than {MAX_DEPTH} levels")


def test_a_key_given_twice(tmp_path: Path) -> None:
    path = tmp_path / "dup.yaml"
    path.write_text("version: 1\nowners: []\nversion: 2\n")
    refused(path, r"dup.yaml:3: key 'version' given twice \(first on line 1\)")


def test_bytes_that_are_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"version: 1\nowners:\n  - {id: caf\xe9@example.com}\n")
    refused(path, r"latin1.yaml:3: not UTF-8 text \(byte 0xe9\)")


def test_a_bad_date_is_a_field_error(tmp_path: Path) -> None:
    path = tmp_path / "registry.yaml"
    path.write_text(
        VALID + "partners:\n  - id: acme\n    status: offboarded\n    offboarded_on: 2026-13-45\n"
        "    sponsor: alice@example.com\n"
    )
    with pytest.raises(ConfigError, match=r"registry.yaml:7: partners\[0\].offboarded_on: .*date"):
        load_registry(path)


def test_a_valid_file_still_loads_with_its_dates(tmp_path: Path) -> None:
    path = tmp_path / "registry.yaml"
    path.write_text(
        VALID + "partners:\n  - id: acme\n    status: offboarded\n    offboarded_on: 2026-06-30\n"
        "    sponsor: alice@example.com\n"
    )
    [partner] = load_registry(path).partners
    assert str(partner.offboarded_on) == "2026-06-30"


@pytest.mark.parametrize("command", [["registry", "validate"], ["scan", "--registry"]])
def test_through_the_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]) -> None:
    path = tmp_path / "laughs.yaml"
    path.write_text(BILLION_LAUGHS)
    db = tmp_path / "never.db"
    args = [*command, str(path)] + (["--db", f"sqlite:///{db}"] if command[0] == "scan" else [])
    outcome = run_cli(monkeypatch, *args)
    assert outcome.code == 2 and "aliases" in outcome.stderr and "Traceback" not in outcome.stderr
    assert not db.exists()  # nothing stored
