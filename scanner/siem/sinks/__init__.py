"""The sinks, one module per kind of receiver, opened from their settings by :func:`open_sink`."""

from __future__ import annotations

import threading

from partner_nhi.siem.config import (
    JsonlSinkSettings,
    SinkSettings,
    SplunkHecSinkSettings,
    SyslogSinkSettings,
    WebhookSinkSettings,
)
from partner_nhi.siem.sinks.base import DeliveryFailed, Sink, SinkRejected
from partner_nhi.siem.sinks.jsonl import JsonlSink
from partner_nhi.siem.sinks.splunk import SplunkHecSink
from partner_nhi.siem.sinks.syslog import SyslogSink
from partner_nhi.siem.sinks.webhook import WebhookSink

__all__ = ["DeliveryFailed", "Sink", "SinkRejected", "open_sink"]


def open_sink(settings: SinkSettings, stop: threading.Event) -> Sink:
    """The sink for ``settings``; reads its secret from the environment (a ConfigError if unset)."""
    if isinstance(settings, SplunkHecSinkSettings):
        return SplunkHecSink(settings, stop)
    if isinstance(settings, WebhookSinkSettings):
        return WebhookSink(settings)
    if isinstance(settings, SyslogSinkSettings):
        return SyslogSink(settings)
    assert isinstance(settings, JsonlSinkSettings), f"no sink for {type(settings).__name__}"
    return JsonlSink(settings)
