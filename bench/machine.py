"""What the machine was and what else it was doing: the figures of a shared 2-core
machine mean little without the load beside them.

:class:`Neighbours` samples ``/proc`` while a measurement runs and adds up the CPU
time of every process that is not the harness's own (the harness, the estate server
and the scanner with their children), by command line, so each measurement can say
who else ran and how much.
"""

from __future__ import annotations

import os
import platform
import subprocess
import threading
from collections import Counter
from pathlib import Path
from types import TracebackType
from typing import Any

TICKS = os.sysconf("SC_CLK_TCK")


def describe() -> dict[str, Any]:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if "model name" in line), "?")
    memory_kb = next(
        int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if "MemTotal" in line
    )
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
    }


def git(*args: str) -> str:
    return subprocess.run(["git", *args], capture_output=True, text=True, check=True).stdout.strip()  # noqa: S603, S607


def _stat(pid: str) -> tuple[int, int] | None:
    """(parent pid, CPU ticks used) of one process, None once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[1]), int(fields[11]) + int(fields[12])


def _label(pid: str) -> str:
    """The command line, shortened, and the folder it runs in (which worktree)."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        cwd = os.readlink(f"/proc/{pid}/cwd")
    except OSError:
        return "?"
    words = [os.path.basename(a.decode(errors="replace")) for a in argv[:3] if a]
    return f"{' '.join(words)[:60]} (in {cwd})" if words else "kernel threads"


class Neighbours:
    """``with Neighbours() as others:`` then ``others.top()``: CPU seconds by other command."""

    def __init__(self, interval: float = 2.0) -> None:
        self.interval = interval
        self.cpu: Counter[str] = Counter()
        self.load: list[float] = []  # 1-minute load average at each sample
        self._stop = threading.Event()
        self._before: dict[str, int] = {}

    def _ours(self, parents: dict[str, int]) -> set[str]:
        """The harness and its descendants, whatever their depth."""
        ours, grown = {str(os.getpid())}, True
        while grown:
            found = {pid for pid, parent in parents.items() if str(parent) in ours} - ours
            ours |= found
            grown = bool(found)
        return ours

    def _sample(self) -> None:
        stats = {pid: s for pid in os.listdir("/proc") if pid.isdigit() and (s := _stat(pid)) is not None}
        ours = self._ours({pid: parent for pid, (parent, _) in stats.items()})
        for pid, (_, ticks) in stats.items():
            used = ticks - self._before.get(pid, 0)  # a new process: all of its time is new
            if pid not in ours and used > 0:
                self.cpu[_label(pid)] += used / TICKS
        self._before = {pid: ticks for pid, (_, ticks) in stats.items()}
        self.load.append(os.getloadavg()[0])

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self) -> Neighbours:
        self._sample()
        self.cpu.clear()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    def summary(self, top: int = 3) -> dict[str, Any]:
        return {
            "load_min": min(self.load),
            "load_max": max(self.load),
            "others_cpu_seconds": round(sum(self.cpu.values()), 1),
            "others_top": [[label, round(seconds, 1)] for label, seconds in self.cpu.most_common(top)],
        }
