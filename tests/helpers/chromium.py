"""Render a page in headless Chromium (Debian's ``chromium``) and watch it through the DevTools
protocol on a pipe (``--remote-debugging-pipe``: no port opened): every request the page makes,
every console message and uncaught exception, its text, and a screenshot.

Chromium missing is a failure that says how to install it, never a skip: CI installs it.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--remote-debugging-pipe",
)
TIMEOUT = 60.0


@dataclass
class Rendered:
    text: str  # document.body.innerText
    screenshot: bytes  # PNG
    requests: list[str] = field(default_factory=list)  # every URL the page asked for, itself included
    console_errors: list[str] = field(default_factory=list)  # console errors, exceptions, CSP or load errors


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, "headless Chromium is needed: apt-get install -y chromium (CI's .ci/run installs it)"
    return found


class _Pipe:
    def __init__(self, process: subprocess.Popen[bytes], to_browser: int, from_browser: int) -> None:
        self.process, self.to_browser, self.from_browser = process, to_browser, from_browser
        self.buffer = b""
        self.events: list[dict[str, Any]] = []
        self.next_id = 0

    def call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self.to_browser, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read()
            if reply.get("id") == self.next_id:
                assert "error" not in reply, f"{method}: {reply['error']}"
                return dict(reply.get("result", {}))
            self.events.append(reply)

    def wait_for(self, method: str) -> None:
        while not any(event.get("method") == method for event in self.events):
            self.events.append(self._read())

    def _read(self) -> dict[str, Any]:
        deadline = time.monotonic() + TIMEOUT
        while b"\0" not in self.buffer:
            ready, _, _ = select.select([self.from_browser], [], [], max(0.0, deadline - time.monotonic()))
            assert ready, "Chromium did not answer in time"
            chunk = os.read(self.from_browser, 1 << 20)
            assert chunk, f"Chromium exited ({self.process.poll()})"
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return dict(json.loads(message))


def render_page(path: Path, width: int = 1280, height: int = 2000) -> Rendered:
    """Open ``path`` (a file) in a fresh profile, wait for its load event, and report."""
    reading, ours_out = os.pipe()
    ours_in, writing = os.pipe()
    # Chromium reads fd 3 and writes fd 4: moved there in the child from numbers that cannot be 3 or 4
    browser_in, browser_out = fcntl.fcntl(reading, fcntl.F_DUPFD, 10), fcntl.fcntl(writing, fcntl.F_DUPFD, 10)
    os.close(reading)
    os.close(writing)
    with tempfile.TemporaryDirectory() as profile:
        process = subprocess.Popen(
            [chromium(), *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}", "about:blank"],
            pass_fds=(3, 4),  # kept open in the child after the moves below
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=lambda: (os.dup2(browser_in, 3), os.dup2(browser_out, 4)),
        )
        os.close(browser_in)
        os.close(browser_out)
        pipe = _Pipe(process, ours_out, ours_in)
        try:
            page = next(t for t in pipe.call("Target.getTargets")["targetInfos"] if t["type"] == "page")
            session = pipe.call("Target.attachToTarget", targetId=page["targetId"], flatten=True)["sessionId"]
            for domain in ("Page", "Network", "Runtime", "Log"):
                pipe.call(f"{domain}.enable", session)
            pipe.events.clear()
            pipe.call("Page.navigate", session, url=path.resolve().as_uri())
            pipe.wait_for("Page.loadEventFired")
            text = pipe.call("Runtime.evaluate", session, expression="document.body.innerText")["result"]["value"]
            shot = pipe.call("Page.captureScreenshot", session, format="png", captureBeyondViewport=True)
            rendered = Rendered(str(text), base64.b64decode(shot["data"]))
            for event in pipe.events:
                _note(rendered, event)
            pipe.call("Browser.close")
        finally:
            process.wait(timeout=TIMEOUT) if process.poll() is None else None
            os.close(ours_out)
            os.close(ours_in)
    return rendered


def _note(rendered: Rendered, event: dict[str, Any]) -> None:
    method, params = event.get("method"), event.get("params", {})
    if method == "Network.requestWillBeSent":
        rendered.requests.append(params["request"]["url"])
    elif method == "Network.loadingFailed":
        rendered.console_errors.append(f"load failed: {params.get('errorText')} {params.get('blockedReason') or ''}")
    elif method == "Runtime.exceptionThrown":
        rendered.console_errors.append(str(params["exceptionDetails"].get("text")))
    elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert", "warning"):
        rendered.console_errors.append(" ".join(str(arg.get("value")) for arg in params.get("args", [])))
    elif method == "Log.entryAdded" and params["entry"]["level"] in ("error", "warning"):
        rendered.console_errors.append(params["entry"]["text"])
