"""The "other host" of the leak tests: a listener that records every TCP connection and UDP
datagram it receives, with the first bytes sent. A leak test passes when it recorded nothing,
so each test also shows it records what does arrive.

In a test: ``with Recorder() as other: ...; assert other.contacts == []``. As a script (the
remote end of the network-namespace test): ``python listener.py PORT LOG``, which serves TCP
and UDP on every IPv4 and IPv6 address of its namespace, appends one JSON line per contact to
LOG and prints ``ready``.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

FIRST_BYTES = 512
READ_TIMEOUT = 2.0  # seconds to wait for a connected client's first bytes


@dataclass(frozen=True)
class Contact:
    protocol: str  # tcp or udp
    peer: str
    first_bytes: str  # decoded with replacement: what a leak would have carried

    def carries(self, secret: str) -> bool:
        return secret in self.first_bytes


class Recorder:
    """TCP (and optionally UDP) on ``host:port`` (an ephemeral port by default), in daemon threads;
    each contact kept in ``contacts`` and, given a ``log``, appended to it as a JSON line.
    ``host="::"`` listens on every IPv6 and IPv4 address (dual stack)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, udp: bool = False, log: Path | None = None) -> None:
        self.contacts: list[Contact] = []
        self._log = log
        self._lock = threading.Lock()
        dual = ":" in host
        family = socket.AF_INET6 if dual else socket.AF_INET
        self._tcp = socket.create_server((host, port), family=family, dualstack_ipv6=dual)
        self._udp = socket.socket(family, socket.SOCK_DGRAM) if udp else None
        if self._udp is not None:
            if dual:
                self._udp.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            self._udp.bind((host, self._tcp.getsockname()[1]))
        self._threads = [threading.Thread(target=self._accept, daemon=True)]
        if self._udp is not None:
            self._threads.append(threading.Thread(target=self._receive, args=(self._udp,), daemon=True))

    @property
    def port(self) -> int:
        return int(self._tcp.getsockname()[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Recorder:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._tcp.close()
        if self._udp is not None:
            self._udp.close()

    def __enter__(self) -> Recorder:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _record(self, contact: Contact) -> None:
        with self._lock:
            self.contacts.append(contact)
            if self._log is not None:
                with self._log.open("a") as out:
                    out.write(json.dumps(asdict(contact)) + "\n")

    def _accept(self) -> None:
        while True:
            try:
                connection, peer = self._tcp.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self._read, args=(connection, peer), daemon=True).start()

    def _read(self, connection: socket.socket, peer: tuple[str, int]) -> None:
        """Record before closing: a client that waits for an answer returns only after it was recorded."""
        with connection:
            connection.settimeout(READ_TIMEOUT)
            try:
                data = connection.recv(FIRST_BYTES)
            except OSError:
                data = b""
            self._record(Contact("tcp", f"{peer[0]}:{peer[1]}", data.decode(errors="replace")))

    def _receive(self, udp: socket.socket) -> None:
        while True:
            try:
                data, peer = udp.recvfrom(FIRST_BYTES)
            except OSError:
                return  # closed
            self._record(Contact("udp", f"{peer[0]}:{peer[1]}", data.decode(errors="replace")))


def serve(port: int, log: Path) -> None:
    """Record TCP and UDP contacts on every address to ``log`` until killed."""
    Recorder("::", port, udp=True, log=log).start()
    print("ready", flush=True)
    threading.Event().wait()


def read_log(log: Path) -> list[Contact]:
    if not log.exists():
        return []
    return [Contact(**json.loads(line)) for line in log.read_text().splitlines()]


if __name__ == "__main__":
    serve(int(sys.argv[1]), Path(sys.argv[2]))
