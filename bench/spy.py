"""A sampling profile of one partner-nhi scan with py-spy, summed up: the share of
samples by layer (our code, the AWS SDK, HTTP, the store...), the top functions by
own time, and our functions by inclusive time. Only the thread holding the GIL is
sampled: that is the Python work; the waiting on the server is what the wall time
and the call counts already show.

py-spy wraps the real CLI process, so the scan profiled is the one measured elsewhere,
only slower by the sampling (its wall and memory are not reported as the scan's).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from tools import installed

PY_SPY = ("py-spy", "0.4.3")
RATE = 50  # samples per second: enough for a scan of minutes, cheap on 2 cores
# layer -> how its frames' files start (py-spy names a file from its import root)
LAYERS = (
    ("partner-nhi", ("scanner/", "connectors/")),
    ("botocore/boto3", ("botocore/", "boto3/")),
    ("HTTP (urllib3, http.client, socket, ssl)", ("urllib3/", "http/", "socket.py", "ssl.py", "selectors.py")),
    ("store (SQLAlchemy, sqlite3)", ("sqlalchemy/", "sqlmodel/", "sqlite3/", "alembic/")),
    ("pydantic", ("pydantic/", "pydantic_core/")),
    ("json", ("json/",)),
    ("XML (ElementTree)", ("xml/",)),
    ("threads", ("threading.py", "concurrent/", "queue.py")),
    ("imports", ("<frozen importlib", "importlib/")),
)


def wrap(output: Path) -> list[str]:
    """The argv to put before a command to profile it into ``output``."""
    py_spy = installed(*PY_SPY, "py-spy")
    return [
        str(py_spy),
        "record",
        "--gil",
        "--threads",
        "--format",
        "raw",
        "--rate",
        str(RATE),
        "-o",
        str(output),
        "--",
    ]


def _layer(frame: str) -> str:
    """The layer of a frame ``function (file:line)``."""
    file = frame[frame.rfind("(") + 1 : frame.rfind(":")]
    return next((name for name, starts in LAYERS if file.startswith(starts)), "other")


def _ours(frame: str) -> bool:
    return _layer(frame) == "partner-nhi"


def summarise(raw: Path, top: int = 12) -> dict[str, Any]:
    """Shares by layer of the leaf frame, the top leaf functions, our top inclusive functions."""
    layers: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        samples = int(count)
        frames = stack.split(";")[1:]  # the first is the thread
        if not frames:
            continue
        total += samples
        layers[_layer(frames[-1])] += samples
        leaves[frames[-1]] += samples
        for frame in set(frames):
            if _ours(frame):
                inclusive[frame] += samples

    def shares(counter: Counter[str]) -> list[list[Any]]:
        return [[name, round(100 * n / total, 1)] for name, n in counter.most_common(top)]

    return {
        "samples": total,
        "rate": RATE,
        "layers": shares(layers),
        "top_self": shares(leaves),
        "ours_inclusive": shares(inclusive),
    }
