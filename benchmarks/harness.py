"""The measuring loop the benchmarks share: the emulated estate is seeded and served
in a child process (this same script run with ``--serve SIZE``), so the peak RSS
measured is the scanner's own; the parent runs one scan per size against it and
prints one JSON line of figures per size.

The child announces its estate on stdout as one JSON line,
``{"settings": {...}, "environ": {...}}``: the connector's configuration section and
the environment variables the scanner needs (an emulator token, say). It then
serves until the parent closes its stdin.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any


def announce(settings: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> None:
    """Child: print the estate's connector settings (and environment) and serve until stdin closes."""
    print(json.dumps({"settings": settings, "environ": dict(environ or {})}), flush=True)
    sys.stdin.read()  # until the parent closes it


def measure(script: str, connector: str, size: int) -> dict[str, object]:
    """Parent: start ``script --serve size``, scan its estate with ``connector`` once, return the figures."""
    from partner_nhi.config import Settings
    from partner_nhi.engine import ScanRequest, run_scan
    from partner_nhi.registry import Registry

    child = subprocess.Popen(  # noqa: S603 - the calling benchmark script itself
        [sys.executable, script, "--serve", str(size)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None and child.stdin is not None
    try:
        line = child.stdout.readline()
        if not line:
            raise RuntimeError(f"the estate server exited with status {child.wait()} before announcing itself")
        announced = json.loads(line)
        os.environ.update(announced["environ"])
        settings = Settings(connectors={connector: announced["settings"]})
        registry = Registry.model_validate({"version": 1})
        started = time.perf_counter()
        run = run_scan(ScanRequest(settings, registry, [connector]), None)
        wall = time.perf_counter() - started
    finally:
        child.stdin.close()
        child.wait()
    identities = len(run.identities)
    calls = sum(s.api_calls for s in run.scopes)
    return {
        "identities": identities,
        "status": run.status,
        "api_calls": calls,
        "calls_per_identity": round(calls / identities, 2) if identities else None,
        "wall_seconds": round(wall, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "findings": len(run.findings),
        "measured": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def main(script: str, connector: str, serve: Callable[[int], None], argv: Sequence[str] | None = None) -> None:
    """``script SIZE...`` measures each size; ``script --serve SIZE`` is the child that serves one estate."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--serve"]:
        serve(int(args[1]))
        return
    for size in args:  # one process per size would isolate peak RSS better: ru_maxrss only grows
        print(json.dumps(measure(script, connector, int(size))), flush=True)
