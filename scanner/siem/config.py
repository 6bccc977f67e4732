"""The ``siem:`` section of the configuration (SPEC §6, a contract: add keys, keep these).

Secrets are never in the YAML: a sink names the environment variable that holds its token
or HMAC secret (``token_env``, ``secret_env``), read when events are sent and never logged.
A key such as ``token:`` or ``secret:`` is refused with that advice.

Endpoints are checked when the configuration loads: an ``http://`` URL, or a syslog address
without ``tls: true``, sends the estate's map in clear, so it is accepted only for a
loopback host (a local collector, a test) or with ``allow_plaintext: true`` said on purpose.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from partner_nhi.endpoints import address_loopback_refusal, loopback_refusal

_SECRET_KEYS = ("token", "secret", "password", "api_key", "hec_token")
_ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
_ADDRESS = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[^\s:\[\]/]+):\d{1,5}$")  # host:port, an IPv6 host in brackets


class SinkSettings(BaseModel):
    """What every sink has: a unique name, and how many events go in one request."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=64)
    batch_size: int = Field(default=100, ge=1, le=10_000)
    timeout: float = Field(default=10.0, gt=0, le=600, description="seconds, per request")

    @model_validator(mode="before")
    @classmethod
    def _no_secret_in_yaml(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key in _SECRET_KEYS:
                if key in data:
                    raise ValueError(
                        f"{key!r}: secrets are never read from the configuration; put it in an environment "
                        f"variable and name that variable with {'secret_env' if key == 'secret' else 'token_env'}"
                    )
        return data


class NetworkSinkSettings(SinkSettings):
    allow_plaintext: bool = Field(default=False, description="send in clear to a host that is not loopback")
    ca_file: Path | None = Field(default=None, description="CA bundle to verify the receiver (default: the system's)")


class HttpSinkSettings(NetworkSinkSettings):
    url: str

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError(f"{value!r} is not an http(s) URL")
        if parts.username or parts.password:
            raise ValueError("credentials in the URL are refused: use the sink's *_env setting")
        return value

    @model_validator(mode="after")
    def _plaintext(self) -> HttpSinkSettings:
        refusal = loopback_refusal(self.url) if urlsplit(self.url).scheme == "http" else None
        if refusal is not None and not self.allow_plaintext:
            raise ValueError(
                f"url: plain http to {urlsplit(self.url).hostname} would send findings in clear ({refusal}); "
                "use https (or set allow_plaintext: true for a collector you trust on that path)"
            )
        return self


class JsonlSinkSettings(SinkSettings):
    """JSON Lines: one event per line appended to ``path`` (fsynced before it counts as
    delivered), or to standard output with ``path: "-"``."""

    type: Literal["jsonl"]
    path: str


class SplunkHecSinkSettings(HttpSinkSettings):
    """Splunk HTTP Event Collector: ``url`` is the event endpoint (``.../services/collector/event``)."""

    type: Literal["splunk-hec"]
    token_env: str = Field(pattern=_ENV_NAME)
    sourcetype: str = "ocsf"
    source: str = "partner-nhi"
    index: str | None = None
    indexer_ack: bool = Field(default=False, description="wait for Splunk's indexer acknowledgement")
    ack_timeout: float = Field(default=60.0, gt=0, le=3600, description="seconds to wait for indexing")
    ack_poll_interval: float = Field(default=1.0, gt=0, le=60)


class WebhookSinkSettings(HttpSinkSettings):
    """An HTTPS endpoint of your own: a batch as JSON, signed with HMAC-SHA256."""

    type: Literal["webhook"]
    secret_env: str = Field(pattern=_ENV_NAME)


class SyslogSinkSettings(NetworkSinkSettings):
    """RFC 5424 over TCP (or TLS, RFC 5425), octet-counted; CEF or JSON in each message."""

    type: Literal["syslog"]
    address: str = Field(description="host:port")
    tls: bool = False
    format: Literal["cef", "json"] = "json"
    facility: int = Field(default=13, ge=0, le=23, description="13: log audit")
    hostname: str | None = Field(default=None, description="HOSTNAME field (default: this machine's name)")

    @field_validator("address")
    @classmethod
    def _address(cls, value: str) -> str:
        if not _ADDRESS.match(value) or not 0 < int(value.rsplit(":", 1)[1]) < 65536:
            raise ValueError(f"{value!r} is not host:port (an IPv6 host in brackets)")
        return value

    @property
    def host(self) -> str:
        return self.address.rsplit(":", 1)[0].strip("[]")

    @property
    def port(self) -> int:
        return int(self.address.rsplit(":", 1)[1])

    @model_validator(mode="after")
    def _plaintext(self) -> SyslogSinkSettings:
        refusal = None if self.tls else address_loopback_refusal(self.address)
        if refusal is not None and not self.allow_plaintext:
            raise ValueError(
                f"address: syslog over plain TCP to {self.host} would send findings in clear ({refusal}); "
                "set tls: true (or allow_plaintext: true for a collector you trust on that path)"
            )
        return self


Sink = Annotated[
    JsonlSinkSettings | SplunkHecSinkSettings | WebhookSinkSettings | SyslogSinkSettings,
    Field(discriminator="type"),
]


class DeliveryRetry(BaseModel):
    """Within one run: a failed batch is retried ``attempts`` times in all, waiting a jittered,
    doubling delay (or the receiver's Retry-After, up to ``max_retry_after``)."""

    model_config = ConfigDict(extra="forbid")

    attempts: int = Field(default=5, ge=1, le=50)
    initial_delay: float = Field(default=1.0, ge=0)
    max_delay: float = Field(default=30.0, ge=0)
    max_retry_after: float = Field(default=120.0, ge=0, description="a longer Retry-After leaves the events pending")


class SiemSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sinks: list[Sink] = Field(default_factory=list)
    retention_days: int = Field(default=30, ge=0, description="acknowledged events are kept this long")
    retry: DeliveryRetry = Field(default_factory=DeliveryRetry)

    @property
    def writes_stdout(self) -> bool:
        """A sink writes events to standard output: messages must go elsewhere."""
        return any(isinstance(sink, JsonlSinkSettings) and sink.path == "-" for sink in self.sinks)

    @field_validator("sinks")
    @classmethod
    def _unique_names(cls, sinks: list[Any]) -> list[Any]:
        names = [sink.name for sink in sinks]
        doubled = sorted({name for name in names if names.count(name) > 1})
        if doubled:
            raise ValueError(f"sink names must be unique: {', '.join(doubled)}")
        return sinks
