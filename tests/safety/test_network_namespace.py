"""Nothing reaches a non-loopback address, shown by the kernel rather than by the test suite's
socket guard (which refuses non-loopback connects inside pytest, and would show a leak only
as an error, if at all: it does not see gRPC's sockets).

The connectors run in a subprocess (no guard there) in a network namespace of their own,
made with iproute2, whose only way out is a veth pair to a second namespace: every
non-loopback IPv4 and IPv6 address routes there, and nftables redirects every TCP and UDP
port to one listener that records each contact. In the client namespace ``evil.example``
resolves to that host (``ip netns exec`` mounts /etc/netns/NAME/hosts over /etc/hosts) and
it is the DNS server, so a name looked up in DNS is a contact too.

The controls reach it on purpose first (a raw socket, DNS, requests, httpx, gRPC), so an
empty record afterwards means nothing was sent, not that nothing could be. Then the hostile
endpoints, the foreign links and redirects, and the environment proxies go through the real
connectors and SDKs against the emulators; then ``localhost`` endpoints while localhost
resolves to the other host. Needs root, iproute2 and nftables (CI runs as root).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from helpers.hostile_endpoints import EVIL_IP, EVIL_NAME
from helpers.listener import READ_TIMEOUT, Contact, read_log

TESTS = Path(__file__).resolve().parents[1]
LISTENER_PORT = 9
CLIENT_IP, CLIENT_IP6, EVIL_IP6 = "192.0.2.1", "2001:db8::1", "2001:db8::2"
TRAP = f"""
table inet trap {{
  chain prerouting {{
    type nat hook prerouting priority dstnat; policy accept;
    tcp dport != {LISTENER_PORT} redirect to :{LISTENER_PORT}
    udp dport != {LISTENER_PORT} redirect to :{LISTENER_PORT}
  }}
}}
"""
RESOLV_CONF = f"nameserver {EVIL_IP}\noptions timeout:1 attempts:1\n"
HOSTS = f"127.0.0.1 localhost\n::1 localhost\n{EVIL_IP} {EVIL_NAME}\n"
# localhost elsewhere; 127.0.0.1 keeps a name, so a reverse lookup of it needs no DNS
HOSTS_LOCALHOST_ELSEWHERE = f"127.0.0.1 loopback\n{EVIL_IP} localhost\n{EVIL_IP} {EVIL_NAME}\n"
CONTROL_MARKERS = {  # control -> what its contact carries
    "socket": "control-socket",
    "dns": "control-dns",
    "requests": "control-requests",
    "httpx": "control-httpx",
    "grpc": "PRI * HTTP/2.0",  # the HTTP/2 connection preface
}
CONTROL_WAIT = 15.0  # seconds for every control's contact to be recorded


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=30)


@dataclass
class Network:
    client: str
    etc: Path  # /etc/netns/<client>: mounted over /etc by ip netns exec
    log: Path  # the listener's record
    reports: Path
    controls: list[Contact]

    def run(self, mode: str) -> list[dict[str, Any]]:
        """One pass of helpers.leak_attempts inside the client namespace, on a cleared record."""
        self.log.unlink(missing_ok=True)
        report = self.reports / f"{mode}.json"
        done = subprocess.run(
            ["ip", "netns", "exec", self.client, sys.executable, "-m", "helpers.leak_attempts", mode, str(report)],
            cwd=TESTS,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr[-4000:]
        entries: list[dict[str, Any]] = json.loads(report.read_text())
        return entries

    def contacts(self) -> list[Contact]:
        time.sleep(READ_TIMEOUT)  # a connection accepted just now is recorded within this
        return read_log(self.log)


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Network]:
    """The two namespaces, the listener, and the contacts the controls made."""
    if os.geteuid() != 0 or shutil.which("ip") is None or shutil.which("nft") is None:
        pytest.fail("the network-namespace test needs root, iproute2 and nftables (as in CI)")
    base = tmp_path_factory.mktemp("netns")
    client, remote = f"pnhi-{os.getpid()}-c", f"pnhi-{os.getpid()}-r"
    etc = Path("/etc/netns") / client
    made_etc_netns = not etc.parent.exists()
    log = base / "contacts.jsonl"
    listener: subprocess.Popen[str] | None = None
    try:
        _ip("netns", "add", client)
        _ip("netns", "add", remote)
        _ip("-n", client, "link", "add", "veth-c", "type", "veth", "peer", "name", "veth-r", "netns", remote)
        _ip("-n", client, "addr", "add", f"{CLIENT_IP}/24", "dev", "veth-c")
        _ip("-n", remote, "addr", "add", f"{EVIL_IP}/24", "dev", "veth-r")
        _ip("-n", client, "-6", "addr", "add", f"{CLIENT_IP6}/64", "dev", "veth-c", "nodad")
        _ip("-n", remote, "-6", "addr", "add", f"{EVIL_IP6}/64", "dev", "veth-r", "nodad")
        for namespace, device in ((client, "veth-c"), (remote, "veth-r")):
            _ip("-n", namespace, "link", "set", "lo", "up")
            _ip("-n", namespace, "link", "set", device, "up")
        _ip("-n", client, "route", "add", "default", "via", EVIL_IP)
        _ip("-n", client, "-6", "route", "add", "default", "via", EVIL_IP6)
        subprocess.run(["ip", "netns", "exec", remote, "nft", "-f", "-"], input=TRAP, text=True, check=True, timeout=30)
        etc.mkdir(parents=True)
        (etc / "hosts").write_text(HOSTS)
        (etc / "resolv.conf").write_text(RESOLV_CONF)
        listener = subprocess.Popen(
            ["ip", "netns", "exec", remote, sys.executable, "helpers/listener.py", str(LISTENER_PORT), str(log)],
            cwd=TESTS,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert listener.stdout is not None and listener.stdout.readline().strip() == "ready"
        network = Network(client, etc, log, base, [])
        network.run("controls")
        network.controls = _await_controls(log)
        yield network
    finally:
        if listener is not None:
            listener.kill()
            listener.wait()
            if listener.stdout is not None:
                listener.stdout.close()
        for namespace in (client, remote):
            subprocess.run(["ip", "netns", "del", namespace], capture_output=True, timeout=30)
        shutil.rmtree(etc, ignore_errors=True)
        if made_etc_netns:
            with contextlib.suppress(OSError):  # another run's namespace may be using it now
                etc.parent.rmdir()


def _await_controls(log: Path) -> list[Contact]:
    deadline = time.monotonic() + CONTROL_WAIT
    while time.monotonic() < deadline:
        if all(any(marker in c.first_bytes for c in read_log(log)) for marker in CONTROL_MARKERS.values()):
            break
        time.sleep(0.2)
    time.sleep(READ_TIMEOUT)  # the gRPC control's reconnections, recorded within this
    return read_log(log)


def test_the_listener_records_each_way_out(network: Network) -> None:
    """The controls reached the other host: by TCP, by a DNS query and through each client library."""
    for control, marker in CONTROL_MARKERS.items():
        assert any(marker in contact.first_bytes for contact in network.controls), (control, network.controls)
    assert {c.protocol for c in network.controls} == {"tcp", "udp"}


def _names(message: str, value: str) -> bool:
    value = value.rstrip("/")
    return value in message or repr(value) in message


def test_hostile_configurations_send_nothing_anywhere(network: Network) -> None:
    entries = network.run("attempts")

    assert network.contacts() == []
    kinds = {e["kind"] for e in entries}
    assert kinds == {"hostile", "link", "proxy"}
    for entry in entries:
        if entry["kind"] == "hostile":
            assert _names(entry.get("refused", ""), entry["value"]), entry
        elif entry["kind"] == "link":
            status, error = entry["units"][entry["unit"]]
            assert status != "complete", entry
            assert "refusing to follow" in error or "redirects are not followed" in error, entry
        else:
            assert {status for status, _ in entry["units"].values()} == {"complete"}, entry


def test_localhost_that_resolves_elsewhere_is_refused(network: Network) -> None:
    (network.etc / "hosts").write_text(HOSTS_LOCALHOST_ELSEWHERE)
    try:
        entries = network.run("localhost")
    finally:
        (network.etc / "hosts").write_text(HOSTS)

    assert network.contacts() == []
    assert len(entries) == 2
    for entry in entries:
        assert f"localhost resolves to {EVIL_IP}" in entry.get("refused", ""), entry
