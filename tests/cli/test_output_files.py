"""Where reports and the store land: a report is never half-written, never replaces a device,
a pipe or a symlink with a regular file, and a new file (report or database) is created 0600
because it maps an estate; an existing file keeps its mode."""

from __future__ import annotations

import json
import os
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from helpers.builders import REGISTRY
from helpers.cli import run_cli
from helpers.scripted import registered
from partner_nhi.errors import PartnerNhiError
from partner_nhi.outputs.files import output_stream


@pytest.fixture
def config(tmp_path: Path) -> Iterator[Path]:
    with registered(tmp_path / "plugins"):
        (tmp_path / "registry.yaml").write_text(yaml.safe_dump(REGISTRY))
        path = tmp_path / "config.yaml"
        path.write_text(
            yaml.safe_dump(
                {
                    "registry": "registry.yaml",
                    "database": "sqlite:///store.db",
                    "connectors": {"scripted": {"users": {"s1": {"old": 200}}}},
                }
            )
        )
        yield path


def scan(monkeypatch: pytest.MonkeyPatch, config: Path, output: str, *extra: str) -> int:
    return run_cli(monkeypatch, "scan", "-c", str(config), "-f", "json", "-o", output, *extra).code


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_new_reports_and_databases_are_private_and_existing_modes_are_kept(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = config.parent / "run.json"
    assert scan(monkeypatch, config, str(report)) == 0
    assert mode(report) == 0o600 and mode(config.parent / "store.db") == 0o600
    assert json.loads(report.read_text())["run"]["status"] == "complete"
    report.chmod(0o640)  # the operator chose to share it with a group
    assert scan(monkeypatch, config, str(report)) == 0
    assert mode(report) == 0o640
    assert [p.name for p in config.parent.iterdir() if "partial" in p.name] == []  # no temporary left


def test_a_symlink_is_written_through_not_replaced(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = config.parent / "real.json"
    target.write_text("")
    link = config.parent / "link.json"
    link.symlink_to(target)
    assert scan(monkeypatch, config, str(link)) == 0
    assert link.is_symlink() and json.loads(target.read_text())["run"]["status"] == "complete"


def test_a_named_pipe_stays_a_pipe(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pipe = config.parent / "report.fifo"
    os.mkfifo(pipe)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_bytes()))
    reader.start()
    assert scan(monkeypatch, config, str(pipe)) == 0
    reader.join(timeout=30)
    assert stat.S_ISFIFO(pipe.stat().st_mode)
    assert json.loads(received[0])["run"]["status"] == "complete"


def test_a_device_stays_a_device(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert scan(monkeypatch, config, "/dev/null") == 0
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)  # as root too: written, never renamed over


def test_standard_output(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    outcome = run_cli(monkeypatch, "scan", "-c", str(config), "-f", "json", "-o", "-")
    assert outcome.code == 0 and json.loads(outcome.stdout)["run"]["status"] == "complete"


def test_a_report_that_fails_half_way_leaves_the_last_one_whole(tmp_path: Path) -> None:
    report = tmp_path / "run.json"
    report.write_text('{"the": "last report"}')
    with pytest.raises(RuntimeError), output_stream(report) as stream:
        stream.write('{"half": ')
        raise RuntimeError("disk full")
    assert report.read_text() == '{"the": "last report"}'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.json"]


def test_a_file_that_cannot_be_written_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    folder = tmp_path / "gone"
    folder.mkdir()
    target = folder / "run.json"
    folder.rmdir()  # removed between the check and the write
    with pytest.raises(PartnerNhiError, match="cannot write"), output_stream(target) as stream:
        stream.write("{}")
