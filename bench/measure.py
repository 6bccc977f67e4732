"""Measuring one scanner process: wall time and peak RSS of that process alone, and
what the estate server saw of it (calls per operation, the time of its first request).

Peak RSS comes from ``wait4`` on the scanner's pid, in ``bench/launch.py`` (a process
that stays small): the kernel's high-water mark of that process (and of any child it
waited for), not of the harness or the server.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

BENCH = Path(__file__).resolve().parent
IN_BATCH = " (in $batch)"  # the end of an operation's name when it came inside a Graph $batch


@dataclass
class Measured:
    argv: list[str]
    exit_code: int
    wall: float  # seconds from spawn to exit
    peak_rss_mb: float
    cpu_seconds: float  # user and system: steadier than the wall on a shared machine
    spawned: float  # epoch seconds
    first_request: float | None = None  # epoch seconds, as the server saw it
    operations: dict[str, int] = field(default_factory=dict)

    @property
    def calls(self) -> int:
        """HTTP requests (a Graph $batch is one, whatever it carries)."""
        return sum(n for operation, n in self.operations.items() if not operation.endswith(IN_BATCH))

    @property
    def batch_items(self) -> int:
        return sum(n for operation, n in self.operations.items() if operation.endswith(IN_BATCH))

    @property
    def startup(self) -> float | None:
        """Seconds from spawn to the first request the server received."""
        return None if self.first_request is None else self.first_request - self.spawned


class EstateServer:
    """``bench/serve.py`` in a child process, its stderr to ``log``:
    ``with EstateServer("aws", 10000, log) as estate:``."""

    def __init__(self, cloud: str, size: int, log: Path, accounts: int = 1) -> None:
        self.cloud, self.size, self.accounts, self.log = cloud, size, accounts, log
        self.settings: dict[str, Any] = {}
        self.environ: dict[str, str] = {}
        self.seeded = 0.0  # seconds to seed and start serving

    def __enter__(self) -> EstateServer:
        started = time.perf_counter()
        argv = [sys.executable, str(BENCH / "serve.py"), self.cloud, str(self.size), "--accounts", str(self.accounts)]
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("w") as errors:  # moto logs each action it lacks (Prowler calls some)
            self._child = subprocess.Popen(  # noqa: S603
                argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors, text=True
            )
        announced = self._read()
        self.settings, self.environ = announced["settings"], announced["environ"]
        self.seeded = time.perf_counter() - started
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        assert self._child.stdin is not None
        self._child.stdin.close()
        self._child.wait(timeout=60)

    def _read(self) -> dict[str, Any]:
        assert self._child.stdout is not None
        line = self._child.stdout.readline()
        if not line:
            raise RuntimeError(f"the {self.cloud} estate server exited with status {self._child.wait()}")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def counts(self) -> tuple[dict[str, int], float | None]:
        """The calls per operation since the previous call, and when the first arrived."""
        assert self._child.stdin is not None
        self._child.stdin.write("counts\n")
        self._child.stdin.flush()
        answer = self._read()
        return dict(answer["operations"]), answer["first"]

    def run(self, argv: Sequence[str], environ: Mapping[str, str], log: Path, timeout: float) -> Measured:
        """Run one scanner against this estate and measure it."""
        self.counts()  # whatever came before is not this scanner's
        measured = run_process(argv, environ, log, timeout)
        measured.operations, measured.first_request = self.counts()
        return measured


class TimedOut(RuntimeError):
    """A measured process ran past its time limit and was killed."""


class _Launcher:
    """``bench/launch.py``, started on first use: call :func:`start_launcher` before the
    harness grows (see that module for why)."""

    process: subprocess.Popen[str] | None = None

    @classmethod
    def run(cls, job: dict[str, Any]) -> dict[str, Any]:
        start_launcher()
        assert cls.process is not None and cls.process.stdin is not None and cls.process.stdout is not None
        cls.process.stdin.write(json.dumps(job) + "\n")
        cls.process.stdin.flush()
        answer: dict[str, Any] = json.loads(cls.process.stdout.readline())
        return answer


def start_launcher() -> None:
    if _Launcher.process is None:
        argv = [sys.executable, str(BENCH / "launch.py")]
        _Launcher.process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)  # noqa: S603


def run_process(argv: Sequence[str], environ: Mapping[str, str], log: Path, timeout: float) -> Measured:
    """Run ``argv`` (stdout and stderr to ``log``) from the launcher; its figures."""
    done = _Launcher.run({"argv": list(argv), "environ": dict(environ), "log": str(log), "timeout": timeout})
    if done["timed_out"]:
        raise TimedOut(f"{argv[0]} ran past {timeout:.0f} s and was killed")
    return Measured(
        list(argv), done["exit_code"], done["wall"], done["peak_rss_mb"], done["cpu_seconds"], done["spawned"]
    )
