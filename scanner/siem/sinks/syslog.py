"""Syslog: each event one RFC 5424 message, framed by octet counting (``MSG-LEN SP MSG``,
RFC 6587 §3.4.1 over TCP, RFC 5425 §4.3 over TLS), its MSG the event as compact JSON or CEF.

Syslog has no application acknowledgement. A batch goes over one connection; after the
last frame partner-nhi ends its side (TLS close_notify, or a TCP FIN) and counts the batch
delivered only when the collector, having read to that end, closes its side too. A reset,
a timeout or a connection that breaks before then leaves the batch pending.
"""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from partner_nhi.siem.config import SyslogSinkSettings
from partner_nhi.siem.sinks.base import DeliveryFailed, Sink
from partner_nhi.store.outbox import OutboxEvent

APP_NAME = "partner-nhi"
# OCSF severity_id -> syslog severity (RFC 5424 §6.2.1) and CEF severity (0-10)
_SYSLOG_SEVERITY = {0: 6, 1: 6, 2: 5, 3: 4, 4: 3, 5: 2, 6: 1, 99: 6}
_CEF_SEVERITY = {0: 0, 1: 1, 2: 3, 3: 5, 4: 8, 5: 10, 6: 10, 99: 0}


class SyslogSink(Sink):
    kind = "syslog"

    def __init__(self, settings: SyslogSinkSettings) -> None:
        self.name = settings.name
        self.settings = settings
        self._hostname = _printable(settings.hostname or socket.gethostname(), 255)
        self._tls = ssl.create_default_context(cafile=str(settings.ca_file) if settings.ca_file else None)

    def describe(self) -> str:
        return f"{self.name} (syslog{'+tls' if self.settings.tls else ''} {self.settings.address})"

    def send(self, events: Sequence[OutboxEvent]) -> None:
        frames = b"".join(frame(self.message(event.event)) for event in events)
        settings = self.settings
        try:
            with socket.create_connection((settings.host, settings.port), timeout=settings.timeout) as raw:
                if settings.tls:
                    with self._tls.wrap_socket(raw, server_hostname=settings.host) as secure:
                        secure.sendall(frames)
                        _end_tls(secure)
                else:
                    raw.sendall(frames)
                    _end_tcp(raw)
        except DeliveryFailed:
            raise
        except (OSError, ssl.SSLError) as exc:
            raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from None

    def message(self, event: Mapping[str, Any]) -> bytes:
        """One RFC 5424 SYSLOG-MSG: no structured data; MSG is the event (MSG-ANY, no BOM)."""
        severity = _SYSLOG_SEVERITY.get(event["severity_id"], 6)
        stamp = datetime.fromtimestamp(event["time"] / 1000, UTC).isoformat(timespec="milliseconds")
        body = cef(event) if self.settings.format == "cef" else json.dumps(event, separators=(",", ":"))
        header = f"<{self.settings.facility * 8 + severity}>1 {stamp.replace('+00:00', 'Z')} {self._hostname}"
        return f"{header} {APP_NAME} - {_msgid(event)} - {body}".encode()


def frame(message: bytes) -> bytes:
    """Octet counting: the message's length in bytes, a space, the message."""
    return str(len(message)).encode() + b" " + message


def _end_tcp(connection: socket.socket) -> None:
    connection.shutdown(socket.SHUT_WR)
    while connection.recv(4096):  # the collector may say something; the end is what counts
        pass


def _end_tls(connection: ssl.SSLSocket) -> None:
    # close_notify, then the collector's own; a collector that closes after reading ours
    # without one of its own has also read to the end
    with contextlib.suppress(ssl.SSLEOFError, ssl.SSLZeroReturnError):
        connection.unwrap()


def _msgid(event: Mapping[str, Any]) -> str:
    kind = "finding" if event["class_uid"] == 2004 else "scan"
    return f"{kind}-{str(event['activity_name']).lower()}"[:32]


def _printable(text: str, limit: int) -> str:
    """RFC 5424 header fields: printable US-ASCII, no space; ``-`` when nothing is left."""
    kept = "".join(ch for ch in text if 33 <= ord(ch) <= 126)[:limit]
    return kept or "-"


# -- CEF --------------------------------------------------------------------------------------


def cef(event: Mapping[str, Any]) -> str:
    """The event as ArcSight CEF (version 0): header fields escaped for ``|`` and ``\\``,
    extension values for ``\\``, ``=`` and line breaks."""
    metadata = event["metadata"]
    finding = event.get("finding_info")
    product = metadata["product"]
    if finding is not None:
        signature, title = finding["analytic"]["uid"], finding["title"]
    else:
        signature, title = "scan-health", f"partner-nhi {event['status_detail']} run"
    header = [
        "CEF:0",
        product["vendor_name"],
        product["name"],
        product.get("version", ""),
        signature,
        f"{event['activity_name']}: {title}",
        str(_CEF_SEVERITY.get(event["severity_id"], 0)),
    ]
    extension = " ".join(f"{key}={_extension_value(value)}" for key, value in _extension(event) if value is not None)
    return "|".join(_header_value(part) for part in header) + "|" + extension


def _extension(event: Mapping[str, Any]) -> list[tuple[str, Any]]:
    metadata, unmapped = event["metadata"], event.get("unmapped", {})
    common: list[tuple[str, Any]] = [
        ("rt", event["time"]),
        ("act", event["activity_name"]),
        ("outcome", event.get("status")),
        ("msg", event.get("message")),
        ("cs1Label", "eventUid"),
        ("cs1", metadata["uid"]),
    ]
    finding = event.get("finding_info")
    if finding is None:
        incomplete = unmapped.get("incomplete_scopes", [])
        scopes = "; ".join(f"{s['connector']}:{s['scope']} {s['status']}" for s in incomplete)
        return [
            *common,
            ("externalId", metadata["correlation_uid"]),
            ("cat", "scan-health"),
            ("start", event.get("start_time")),
            ("end", event.get("end_time")),
            ("cs6Label", "incompleteScopes"),
            ("cs6", scopes or None),
        ]
    resource = event["resources"][0]
    return [
        *common,
        ("externalId", finding["uid"]),
        ("cat", finding["analytic"]["uid"]),
        ("reason", unmapped.get("reason")),
        ("start", finding.get("first_seen_time")),
        ("end", finding.get("last_seen_time")),
        ("duser", resource.get("name")),
        ("duid", resource.get("uid")),
        ("cs2Label", "partner"),
        ("cs2", unmapped.get("partner")),
        ("cs3Label", "owner"),
        ("cs3", unmapped.get("owner")),
        ("cs4Label", "cloudAccount"),
        ("cs4", event.get("cloud", {}).get("account", {}).get("uid")),
        ("cs5Label", "credential"),
        ("cs5", unmapped.get("credential")),
        ("cs6Label", "compliance"),
        ("cs6", "; ".join(event.get("compliance", {}).get("requirements", [])) or None),
    ]


def _header_value(value: object) -> str:
    text = " ".join(str(value).splitlines())
    return text.replace("\\", "\\\\").replace("|", "\\|")


def _extension_value(value: object) -> str:
    text = str(value).replace("\\", "\\\\").replace("=", "\\=")
    return text.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\r")
