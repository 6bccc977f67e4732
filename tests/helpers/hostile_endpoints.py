"""Endpoints that look like this machine and are not (or cannot be proven to be), and honest
loopback forms, for the emulator-mode checks: the unit tables and the network-namespace test
share them. ``port`` is an emulator's, so a URL that fooled a check would reach a live server
(or, in the namespace, the other host).

``EVIL_NAME`` and ``EVIL_IP`` are the other host: in the namespace test the name resolves to
the address, which is a listener at the far end of a veth pair.
"""

from __future__ import annotations

EVIL_NAME = "evil.example"
EVIL_IP = "192.0.2.2"  # TEST-NET-1: never a real host


def hostile_urls(port: int) -> dict[str, str]:
    """URL -> the trick (who reads it as loopback, and where a client connects instead)."""
    evil, ip = EVIL_NAME, EVIL_IP
    return {
        f"http://{evil}\\@127.0.0.1:{port}": "urllib.parse and httpx read 127.0.0.1; urllib3 (requests, azure-core) "
        f"connects to {evil}:80",
        f"http://user@{evil}:x@127.0.0.1:{port}": f"two '@': a parser splitting at the first one reads {evil}",
        f"http://127.0.0.1:{port}@{evil}/": f"the loopback address is userinfo; the host is {evil}",
        f"http://[::1]@{evil}:{port}/": "an IPv6 loopback as userinfo",
        f"http://127.0.0.1%2f@{evil}:{port}/": "an escaped '/' in userinfo",
        f"http://{evil}#@127.0.0.1:{port}/": "the loopback part is a fragment",
        f"http://{evil}?@127.0.0.1:{port}/": "the loopback part is a query",
        f"http://127.0.0.1.{evil}:{port}": "a name that begins like a loopback address",
        f"http://localhost.{evil}:{port}": "a name that begins with localhost",
        f"http://127.0.0.1\t.{evil}:{port}": f"urllib.parse drops the tab and reads 127.0.0.1.{evil}",
        f"http://127.0.0.1:{port}\n.{evil}": "a newline in the URL",
        f"http://localhost.:{port}": "a trailing dot: an absolute name the resolver may ask DNS for",
        f"http://127.0.0.1.:{port}": "a trailing dot: a name, not an address",
        f"http://2130706433:{port}": "decimal: a resolver's number, not an address every client reads",
        f"http://0x7f.1:{port}": "hex and short",
        f"http://0x7f000001:{port}": "hex",
        f"http://0177.0.0.1:{port}": "octal to inet_aton (127.0.0.1), decimal 177.0.0.1 to a reader that strips zeros",
        f"http://017700000001:{port}": "octal",
        f"http://127.1:{port}": "short form",
        f"http://\uff11\uff12\uff17.\uff10.\uff10.\uff11:{port}": "full-width digits: IDNA maps them to 127.0.0.1 in "
        "httpx only",
        f"http://127\u30020\u30020\u30021:{port}": "ideographic full stops: httpx maps them to dots",
        f"http://\uff4c\uff4f\uff43\uff41\uff4c\uff48\uff4f\uff53\uff54:{port}": "full-width localhost",
        f"http://{evil}:{port}": "a remote name",
        f"https://{ip}:{port}": "a remote address",
        f"http://0.0.0.0:{port}": "the any-address, not loopback",
        f"http://[::]:{port}": "the IPv6 any-address",
        f"http://[::ffff:{ip}]:{port}": "an IPv4-mapped remote address",
        f"ftp://127.0.0.1:{port}": "not http(s)",
        f"127.0.0.1:{port}": "no scheme: clients guess one",
    }


def hostile_grpc_targets(port: int) -> dict[str, str]:
    """gRPC target -> the trick."""
    evil, ip = EVIL_NAME, EVIL_IP
    return {
        f"{evil}\\@127.0.0.1:{port}": "a backslash and userinfo",
        f"127.0.0.1.{evil}:{port}": "a name that begins like a loopback address",
        f"{evil}:{port}": "a remote name",
        f"{ip}:{port}": "a remote address",
        f"ipv4:{ip}:{port}": "gRPC's ipv4 resolver",
        f"ipv4:127.0.0.1:{port},{ip}:{port}": "gRPC's ipv4 resolver with a list: one loopback, one remote",
        f"dns:///{evil}:{port}": "gRPC's dns resolver",
        f"dns://{ip}/localhost:{port}": "localhost resolved by a remote DNS server",
        f"localhost.:{port}": "a trailing dot",
        f"2130706433:{port}": "decimal",
        f"[::ffff:{ip}]:{port}": "an IPv4-mapped remote address",
        f"127.0.0.1:{port},{evil}:{port}": "a list",
        f"unix:/run/{evil}.sock": "gRPC's unix resolver",
    }


def honest_urls(port: int) -> list[str]:
    return [
        f"http://127.0.0.1:{port}",
        f"http://127.0.0.1:{port}/",
        f"http://127.0.0.1:{port}/prefix",
        f"HTTP://127.0.0.1:{port}",
        f"https://127.0.0.1:{port}",
        f"http://127.8.9.10:{port}",
        f"http://localhost:{port}",
        f"http://LocalHost:{port}",
        f"http://[::1]:{port}",
        f"http://[0:0:0:0:0:0:0:1]:{port}",
    ]


def honest_grpc_targets(port: int) -> list[str]:
    return [f"127.0.0.1:{port}", f"127.0.0.2:{port}", f"localhost:{port}", f"[::1]:{port}"]
