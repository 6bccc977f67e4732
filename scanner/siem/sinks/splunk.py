"""Splunk HTTP Event Collector. Events are batched in one request (HEC reads a body of
concatenated JSON objects), each wrapped with ``time``, ``source``, ``sourcetype`` and
``index``. 200 with ``{"code": 0}`` is the acknowledgement; with ``indexer_ack: true`` the
batch counts only once Splunk says it is indexed (``/services/collector/ack`` on the same
channel), so a crash of the indexer between receipt and indexing cannot lose it.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from partner_nhi.siem.config import SplunkHecSinkSettings
from partner_nhi.siem.sinks.base import DeliveryFailed, Sink, SinkRejected, secret_from_environment
from partner_nhi.siem.sinks.http import client, post
from partner_nhi.store.outbox import OutboxEvent


class SplunkHecSink(Sink):
    kind = "splunk-hec"

    def __init__(self, settings: SplunkHecSinkSettings, stop: threading.Event) -> None:
        self.name = settings.name
        self.settings = settings
        self._token = secret_from_environment(settings.name, "token_env", settings.token_env)
        self._http = client(settings)
        self._channel = str(uuid.uuid4())  # indexer acknowledgement is tracked per channel
        self._stop = stop

    def describe(self) -> str:
        return f"{self.name} (splunk-hec {self.settings.url})"

    def close(self) -> None:
        self._http.close()

    def send(self, events: Sequence[OutboxEvent]) -> None:
        body = "".join(json.dumps(self._envelope(event), separators=(",", ":")) for event in events).encode()
        try:
            response = post(self._http, self.settings.url, body, self._headers())
        except SinkRejected as exc:
            raise SinkRejected(
                f"Splunk HEC refused the batch ({exc}): check the token in {self.settings.token_env}, "
                "that it may write to the index, and the URL (…/services/collector/event)"
            ) from None
        answer = _json(response)
        if answer.get("code") != 0:
            raise DeliveryFailed(f"Splunk HEC answered {answer} instead of code 0")
        if self.settings.indexer_ack:
            if "ackId" not in answer:
                raise SinkRejected("indexer_ack is set but the HEC token has indexer acknowledgement disabled")
            self._wait_until_indexed(answer["ackId"])

    def _headers(self) -> dict[str, str]:
        headers = {"Authorization": f"Splunk {self._token}", "Content-Type": "application/json"}
        if self.settings.indexer_ack:
            headers["X-Splunk-Request-Channel"] = self._channel
        return headers

    def _envelope(self, event: OutboxEvent) -> dict[str, Any]:
        envelope: dict[str, Any] = {
            "time": event.event["time"] / 1000,
            "source": self.settings.source,
            "sourcetype": self.settings.sourcetype,
            "event": event.event,
        }
        if self.settings.index:
            envelope["index"] = self.settings.index
        return envelope

    def _wait_until_indexed(self, ack_id: int) -> None:
        parts = urlsplit(self.settings.url)
        base = parts.path.split("/services/collector")[0]
        url = urlunsplit((parts.scheme, parts.netloc, f"{base}/services/collector/ack", f"channel={self._channel}", ""))
        deadline = time.monotonic() + self.settings.ack_timeout
        query = json.dumps({"acks": [ack_id]}).encode()
        while True:
            acks = _json(post(self._http, url, query, self._headers())).get("acks", {})
            if acks.get(str(ack_id)) is True:
                return
            if time.monotonic() >= deadline:
                raise DeliveryFailed(f"not indexed within {self.settings.ack_timeout:g} s (ackId {ack_id})")
            if self._stop.wait(self.settings.ack_poll_interval):
                raise DeliveryFailed("stopped while waiting for the indexer acknowledgement")


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        answer = response.json()
    except ValueError:
        raise DeliveryFailed(f"HTTP {response.status_code} with a body that is not JSON") from None
    if not isinstance(answer, dict):
        raise DeliveryFailed(f"HTTP {response.status_code} with an unexpected answer")
    return answer
