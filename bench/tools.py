"""The harness's own tools (Prowler, py-spy), each pinned in a virtualenv of its own
under build/bench: never a dependency of partner-nhi, created on first use."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

TOOLS = Path(__file__).resolve().parent.parent / "build" / "bench"


def installed(package: str, version: str, command: str) -> Path:
    """``command`` of ``package==version``, installed in ``build/bench/PACKAGE-VERSION`` if missing."""
    venv = TOOLS / f"{package}-{version}"
    executable = venv / "bin" / command
    if not executable.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)  # noqa: S603
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", f"{package}=={version}"], check=True)  # noqa: S603
    return executable
