"""A webhook of your own: each batch is one HTTPS POST of ``{"events": [...]}``.

Headers a receiver checks:

- ``X-Partner-NHI-Timestamp``: Unix seconds when the request was signed;
- ``X-Partner-NHI-Signature``: ``sha256=`` and the hex HMAC-SHA256, keyed with the secret
  from ``secret_env``, of ``<timestamp>.<body>`` (reject a stale timestamp to stop replays);
- ``Idempotency-Key``: SHA-256 of the batch's event uids: a re-sent batch carries the same
  key, and every event its own ``metadata.uid``.

Any 2xx is the acknowledgement.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Sequence

from partner_nhi.siem.config import WebhookSinkSettings
from partner_nhi.siem.sinks.base import Sink, secret_from_environment
from partner_nhi.siem.sinks.http import client, post
from partner_nhi.store.outbox import OutboxEvent

TIMESTAMP_HEADER = "X-Partner-NHI-Timestamp"
SIGNATURE_HEADER = "X-Partner-NHI-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def idempotency_key(events: Sequence[OutboxEvent]) -> str:
    return hashlib.sha256("\n".join(event.uid for event in events).encode()).hexdigest()


class WebhookSink(Sink):
    kind = "webhook"

    def __init__(self, settings: WebhookSinkSettings) -> None:
        self.name = settings.name
        self.settings = settings
        self._secret = secret_from_environment(settings.name, "secret_env", settings.secret_env)
        self._http = client(settings)

    def describe(self) -> str:
        return f"{self.name} (webhook {self.settings.url})"

    def close(self) -> None:
        self._http.close()

    def send(self, events: Sequence[OutboxEvent]) -> None:
        body = json.dumps({"events": [event.event for event in events]}, separators=(",", ":")).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: signature(self._secret, timestamp, body),
            IDEMPOTENCY_HEADER: idempotency_key(events),
        }
        post(self._http, self.settings.url, body, headers)
