"""Receivers on 127.0.0.1 for the SIEM sinks: a fake Splunk HEC, a webhook receiver and a
syslog listener (TCP or TLS). Each answers as a test scripts it (fail, throttle, hold past
the client's timeout, close the connection mid-request, reset) and records what it
accepted, so a test can count every event by its ``metadata.uid``.

Real-shaped HEC answers, from Splunk's documentation ("Troubleshoot HTTP Event Collector",
https://docs.splunk.com/Documentation/Splunk/latest/Data/TroubleshootHTTPEventCollector,
and "About HTTP Event Collector Indexer Acknowledgment"):
``{"text":"Success","code":0}``, ``{"text":"Invalid token","code":4}`` (403),
``{"text":"Server is busy","code":9}`` (503), ``{"text":"Incorrect index","code":7}`` (400),
``{"text":"Success","code":0,"ackId":0}`` and ``{"acks":{"0":true}}``.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import socket
import socketserver
import ssl
import threading
import time
from abc import ABC, abstractmethod
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

from helpers.builders import REGISTRY

HEC_TOKEN = "hec-5ecret-0f-the-test-4f1e"  # a test's own value, grepped for in every output
WEBHOOK_SECRET = "whsec-test-only-9c2b"
FAST_RETRY = {"attempts": 3, "initial_delay": 0.01, "max_delay": 0.05, "max_retry_after": 5}


HEC_SUCCESS = {"text": "Success", "code": 0}
HEC_INVALID_TOKEN = {"text": "Invalid token", "code": 4}
HEC_BUSY = {"text": "Server is busy", "code": 9}
HEC_INCORRECT_INDEX = {"text": "Incorrect index", "code": 7}


@dataclass(frozen=True)
class Answer:
    """Answer with this status, body and headers (events count as accepted on a 2xx)."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Close:
    """Read half the request, then close the connection without an answer."""


@dataclass(frozen=True)
class Hold:
    """Accept the events but answer only once ``release`` is set: past the client's timeout,
    or while the test kills the client."""

    release: threading.Event


Behaviour = Answer | Close | Hold


class Ledger:
    """What a receiver accepted: every event's uid, each time it arrived, and the uids whose
    acceptance the client may never have heard of (held or cut off): the only ones that may
    arrive twice."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self.accepted: list[dict[str, Any]] = []
        self.unconfirmed: set[str] = set()
        self.requests = 0

    def record(self, events: list[dict[str, Any]], confirmed: bool) -> None:
        with self._lock:
            self.accepted.extend(events)
            if not confirmed:
                self.unconfirmed.update(event["metadata"]["uid"] for event in events)
            self._lock.notify_all()

    def count_request(self) -> None:
        with self._lock:
            self.requests += 1
            self._lock.notify_all()

    def wait_for_requests(self, count: int, timeout: float = 30) -> None:
        with self._lock:
            if not self._lock.wait_for(lambda: self.requests >= count, timeout):
                raise AssertionError(f"{self.requests} request(s) arrived, waited for {count}")

    def uids(self) -> Counter[str]:
        return Counter(event["metadata"]["uid"] for event in self.accepted)

    def duplicates(self) -> set[str]:
        return {uid for uid, seen in self.uids().items() if seen > 1}


class _HttpReceiver(ABC):
    """An HTTP server whose requests are answered by the next scripted behaviour (then 200)."""

    def __init__(self, port: int = 0) -> None:
        self.script: deque[Behaviour] = deque()
        self.latency = 0.0  # seconds before each answer: a slow SIEM
        self.ledger = Ledger()
        self.headers: list[dict[str, str]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def __enter__(self) -> _HttpReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def then(self, *behaviours: Behaviour) -> None:
        self.script.extend(behaviours)

    @abstractmethod
    def events_of(self, path: str, headers: dict[str, str], body: bytes) -> tuple[list[dict[str, Any]], Answer | None]:
        """The events in a request, or the answer refusing it."""

    def success(self, path: str) -> Answer:
        return Answer(200, {})

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: tests read the ledger."""

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                behaviour = receiver.script.popleft() if receiver.script else None
                if isinstance(behaviour, Close):
                    self.rfile.read(length // 2)
                    receiver.ledger.count_request()
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                receiver.headers.append(headers)
                receiver.ledger.count_request()
                events, refusal = receiver.events_of(self.path, headers, body)
                answer = refusal or (behaviour if isinstance(behaviour, Answer) else receiver.success(self.path))
                if 200 <= answer.status < 300:
                    receiver.ledger.record(events, confirmed=not isinstance(behaviour, Hold))
                if isinstance(behaviour, Hold):
                    behaviour.release.wait(30)
                time.sleep(receiver.latency)
                payload = json.dumps(answer.body).encode() if answer.body is not None else b""
                try:
                    self.send_response(answer.status)
                    for key, value in {"Content-Type": "application/json", **answer.headers}.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    self.close_connection = True  # the client gave up waiting: what a real server sees

        return Handler


class FakeHec(_HttpReceiver):
    """Splunk's HTTP Event Collector as far as partner-nhi uses it: ``/services/collector/event``
    with a token, a body of concatenated JSON envelopes, and (``indexer_ack``) ``/services/collector/ack``."""

    def __init__(self, token: str, port: int = 0, indexer_ack: bool = False) -> None:
        super().__init__(port)
        self.token = token
        self.indexer_ack = indexer_ack
        self.envelopes: list[dict[str, Any]] = []
        self.ack_queries = 0
        self._next_ack = 0
        self._pending_acks: set[int] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/services/collector/event"

    def events_of(self, path: str, headers: dict[str, str], body: bytes) -> tuple[list[dict[str, Any]], Answer | None]:
        if headers.get("authorization") != f"Splunk {self.token}":
            return [], Answer(403, HEC_INVALID_TOKEN)
        if path.startswith("/services/collector/ack"):
            return [], None
        if self.indexer_ack and not headers.get("x-splunk-request-channel"):
            return [], Answer(400, {"text": "Data channel is missing", "code": 10})
        decoder, text, position, envelopes = json.JSONDecoder(), body.decode(), 0, []
        while position < len(text):
            envelope, position = decoder.raw_decode(text, position)
            envelopes.append(envelope)
        self.envelopes.extend(envelopes)
        return [envelope["event"] for envelope in envelopes], None

    def success(self, path: str) -> Answer:
        if path.startswith("/services/collector/ack"):
            self.ack_queries += 1
            # the first query finds the batch not yet indexed, the next one indexed
            done = {str(ack): self.ack_queries % 2 == 0 for ack in sorted(self._pending_acks)}
            return Answer(200, {"acks": done})
        if not self.indexer_ack:
            return Answer(200, HEC_SUCCESS)
        ack, self._next_ack = self._next_ack, self._next_ack + 1
        self._pending_acks.add(ack)
        return Answer(200, {**HEC_SUCCESS, "ackId": ack})


class WebhookReceiver(_HttpReceiver):
    """A webhook endpoint that checks the HMAC-SHA256 signature over ``<timestamp>.<body>``."""

    def __init__(self, secret: str, port: int = 0) -> None:
        super().__init__(port)
        self.secret = secret
        self.idempotency_keys: list[str] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/nhi"

    def events_of(self, path: str, headers: dict[str, str], body: bytes) -> tuple[list[dict[str, Any]], Answer | None]:
        timestamp = headers.get("x-partner-nhi-timestamp", "")
        expected = hmac.new(self.secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(headers.get("x-partner-nhi-signature", ""), f"sha256={expected}"):
            return [], Answer(401, {"error": "bad signature"})
        self.idempotency_keys.append(headers.get("idempotency-key", ""))
        return list(json.loads(body)["events"]), None


# -- syslog -------------------------------------------------------------------------------


class SyslogListener:
    """A syslog collector: reads octet-counted RFC 5424 frames until the sender ends its side,
    then closes (what rsyslog and syslog-ng do). ``reset_next``: that many connections are
    reset after their first frame, as a collector that crashes would."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.messages: list[str] = []
        self.reset_next = 0
        self.ledger = Ledger()
        listener = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                connection: socket.socket = self.request
                if tls is not None:
                    connection = tls.wrap_socket(connection, server_side=True)
                with connection.makefile("rb") as reader:
                    frames = list(_frames(reader))
                listener.ledger.count_request()
                if listener.reset_next > 0:  # linger 0: close() resets the connection
                    listener.reset_next -= 1
                    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    connection.close()
                    return
                listener.messages.extend(frames)
                listener.ledger.record([_event_of(frame) for frame in frames], confirmed=True)
                if tls is not None:
                    connection.unwrap()
                connection.close()

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> SyslogListener:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def _frames(reader: Any) -> Iterator[str]:
    """Octet counting (RFC 6587 §3.4.1, RFC 5425 §4.3): MSG-LEN SP SYSLOG-MSG, until EOF."""
    while True:
        length = b""
        while (byte := reader.read(1)) not in (b" ", b""):
            length += byte
        if not length:
            return
        yield reader.read(int(length)).decode()


def _event_of(message: str) -> dict[str, Any]:
    """The event a message carries: its JSON MSG, or, for CEF, the uid in ``cs1``."""
    body = message.split(" - ", 2)[2] if " - " in message else message
    if body.startswith("{"):
        return dict(json.loads(body))
    uid = body.split("cs1=", 1)[1].split(" ", 1)[0]
    return {"metadata": {"uid": uid}}


def self_signed(folder: Path) -> tuple[ssl.SSLContext, Path]:
    """A server context for 127.0.0.1 with a fresh self-signed certificate, and the CA file a client trusts."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "collector.pem", folder / "collector.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context, cert_file


def free_port() -> int:
    """A port nothing listens on (yet): a receiver that is down."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# -- validating events against py-ocsf-models ----------------------------------------------

# Fields partner-nhi sends that py-ocsf-models' DetectionFinding does not model (it drops them):
# ``compliance`` is an attribute of OCSF's Compliance Finding, sent here as the issue asks and
# validated on its own against the library's Compliance object.
NOT_IN_DETECTION_FINDING = frozenset({"compliance"})


def dropped_fields(sent: Any, kept: Any, path: str = "") -> set[str]:
    """Paths of ``sent`` that a model's dump (``kept``) no longer has: what the model ignored."""
    if isinstance(sent, dict) and isinstance(kept, dict):
        missing = {f"{path}.{key}".lstrip(".") for key in sent if key not in kept and sent[key] is not None}
        return missing.union(*(dropped_fields(sent[k], kept[k], f"{path}.{k}") for k in sent if k in kept))
    if isinstance(sent, list) and isinstance(kept, list):
        return set().union(*(dropped_fields(a, b, f"{path}[]") for a, b in zip(sent, kept, strict=True)))
    return set()


def validate_event(event: dict[str, Any]) -> None:
    """A Detection Finding must round-trip through py-ocsf-models with nothing dropped but
    ``compliance`` (itself a valid Compliance object); a Scan Activity through its BaseEvent,
    with the class's required attributes (OCSF 1.5 scan_activity.json: scan; base: activity_id,
    category_uid, class_uid, time, type_uid)."""
    from py_ocsf_models.events.base_event import BaseEvent
    from py_ocsf_models.events.findings.detection_finding import DetectionFinding
    from py_ocsf_models.objects.compliance import Compliance

    if event["class_uid"] == 2004:
        kept = DetectionFinding.model_validate(event).model_dump(mode="json", exclude_none=True)
        assert dropped_fields(event, kept) == set(NOT_IN_DETECTION_FINDING), dropped_fields(event, kept)
        Compliance.model_validate(event["compliance"])
        assert event["type_uid"] == 2004 * 100 + event["activity_id"]
        return
    assert event["class_uid"] == 6007 and event["category_uid"] == 6
    BaseEvent.model_validate(event)
    for required in ("activity_id", "time", "type_uid", "scan", "severity_id", "metadata"):
        assert required in event, required
    assert event["type_uid"] == 6007 * 100 + event["activity_id"]
    assert {"uid", "type_id"} <= set(event["scan"])


def write_inputs(
    folder: Path,
    users: dict[str, dict[str, int]],
    sinks: list[dict[str, Any]],
    offboarded: tuple[str, ...] = (),
    **siem: Any,
) -> tuple[Path, Path]:
    """A configuration (scripted connector, these sinks) and a registry in which the partners
    named in ``offboarded`` have left. Returns (config, registry)."""
    registry = copy.deepcopy(REGISTRY)
    for partner in registry["partners"]:
        if partner["id"] in offboarded:
            partner.update(status="offboarded", offboarded_on="2026-11-01")
    registry_file = folder / "registry.yaml"
    registry_file.write_text(yaml.safe_dump(registry))
    config = {
        "registry": str(registry_file),
        "connectors": {"scripted": {"users": users, "scopes": sorted(users)}},
        "siem": {"sinks": sinks, "retry": FAST_RETRY, **siem},
    }
    config_file = folder / "partner-nhi.yaml"
    config_file.write_text(yaml.safe_dump(config))
    return config_file, registry_file
