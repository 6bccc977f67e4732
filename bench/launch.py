"""Starts each measured process from a process that stays small.

On Linux a process's peak RSS (``ru_maxrss`` from ``wait4``) starts at the RSS of the
process it was forked from: exec keeps the old memory's high-water mark. The harness
grows as it reads reports (a 50,000-identity JSON report is hundreds of MB of Python
objects), so a scanner it forked itself would report the harness's size as its own
peak. This launcher is started before the harness reads anything and only runs
commands: one JSON job per line on stdin (``argv``, ``environ``, ``log``, ``timeout``),
one JSON result per line on stdout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from typing import Any


def run(argv: list[str], environ: dict[str, str], log: str, timeout: float) -> dict[str, Any]:
    """Spawn ``argv`` with stdout and stderr to ``log``; wait for it with ``wait4``."""
    with open(log, "wb") as out:
        spawned = time.time()
        started = time.perf_counter()
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **environ})  # noqa: S603
        limit = threading.Timer(timeout, process.kill)
        limit.start()
        _, status, usage = os.wait4(process.pid, 0)
        limit.cancel()
        wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
    return {
        "exit_code": process.returncode,
        "wall": wall,
        "timed_out": wall >= timeout,
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "spawned": spawned,
    }


def main() -> None:
    for line in sys.stdin:
        print(json.dumps(run(**json.loads(line))), flush=True)


if __name__ == "__main__":
    main()
