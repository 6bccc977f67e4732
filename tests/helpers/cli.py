"""Run the console script's own entry point in-process: the exit code and output a user sees,
through the same top-level error handling (``partner_nhi.cli.main``)."""

from __future__ import annotations

import io
import sys
from dataclasses import dataclass

import pytest


@dataclass(frozen=True)
class Outcome:
    code: int
    stdout: str
    stderr: str


def run_cli(monkeypatch: pytest.MonkeyPatch, *args: str) -> Outcome:
    from partner_nhi.cli import main

    stdout, stderr = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "argv", ["partner-nhi", *args])
    monkeypatch.setattr(sys, "stdout", stdout)
    monkeypatch.setattr(sys, "stderr", stderr)  # the CLI's consoles resolve sys.stderr as they write
    with pytest.raises(SystemExit) as exited:
        main()
    code = exited.value.code
    return Outcome(code if isinstance(code, int) else 0, stdout.getvalue(), stderr.getvalue())
