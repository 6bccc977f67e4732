"""Where partner-nhi may send a request: one reading of an endpoint, shared by every connector
(through :mod:`partner_nhi.contract`) and the SIEM sinks.

Two questions rest on it. Emulator mode (a static Azure token, GCP's anonymous plain-text
channel) is allowed only for an endpoint on the loopback interface: :func:`loopback_refusal`
and :func:`address_loopback_refusal` say why an endpoint is not provably loopback. And a URL a
connector follows (a next-page link, a redirect) must be on the configured endpoint's origin:
:func:`check_same_origin`, applied by :mod:`connectors.same_origin` at the last step before
each client sends.

Clients disagree on how to read a URL. For ``http://evil.example\\@127.0.0.1:8080`` urllib.parse
and httpx find the host ``127.0.0.1``, urllib3 (requests, azure-core) finds ``evil.example``;
for ``http://127.1/`` or ``http://0x7f.1/`` the resolver, not the URL parser, decides what the
number means. So this module picks no client's reading: it accepts only a plain form that every
client reads the same way, and refuses anything else as unreadable:

- ``http`` or ``https``, ``://``, a host, an optional port, then the path, query and fragment;
- no userinfo (``@``), backslash, whitespace or control character anywhere, no percent-escape
  or non-ASCII character in the host;
- the host is a dotted-quad IPv4 address (no short, decimal, octal or hex forms), a bracketed
  IPv6 address without a zone, or a DNS name whose labels are letters, digits and hyphens, with
  no empty label (no trailing dot) and a last label that is not a number (``127.0.0.1.evil``
  is a name; ``0x7f.1`` is refused: resolvers read it as an address).

An address (a gRPC target, a syslog receiver) is read the same way as ``host[:port]`` (no
``dns:``, ``ipv4:``, ``unix:`` or other resolver scheme: gRPC picks the resolver from it, and a
list such as ``ipv4:127.0.0.1:1,10.0.0.1:2`` names several hosts).

Loopback means an address in 127.0.0.0/8 or ``::1``, or the name ``localhost`` when this
machine's resolver answers it with loopback addresses only (the client resolves it the same way
when it connects).
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass

DEFAULT_PORTS = {"http": 80, "https": 443}
LOOPBACK_NAME = "localhost"

_UNSAFE = re.compile(r"[\x00-\x20\x7f\\]")  # controls, space and backslash: clients split or strip them differently
_URL = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<authority>[^/?#]*)(?:[/?#].*)?", re.DOTALL)
_AUTHORITY = re.compile(r"(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(?P<port>[0-9]{1,5}))?", re.ASCII)
_LABEL = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?", re.ASCII)
_NUMERIC_LABEL = re.compile(r"[0-9]+|0[xX][0-9A-Fa-f]*", re.ASCII)
_DOTTED_QUAD = re.compile(r"[0-9]{1,3}(\.[0-9]{1,3}){3}", re.ASCII)


class UnreadableEndpoint(ValueError):
    """A URL or gRPC target not in the plain form every client reads the same way."""

    def __init__(self, text: str, reason: str) -> None:
        super().__init__(f"{text!r}: {reason}")
        self.reason = reason


class ForeignURL(ValueError):
    """A URL to follow that is not on the configured endpoint's origin: nothing was sent to it.

    A ``ValueError``, so each connector's classifier reads it as invalid input (not retried)."""

    def __init__(self, url: str, allowed: Origin, reason: str) -> None:
        super().__init__(f"refusing to follow {url}: {reason}; only {allowed} is followed")


@dataclass(frozen=True)
class Origin:
    """Scheme, host and port: where a client connects. ``host`` is lower case, IPv6 compressed in brackets."""

    scheme: str
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"


def origin(url: str) -> Origin:
    """The origin of ``url``, or :class:`UnreadableEndpoint` saying which rule it breaks."""
    _check_characters(url)
    match = _URL.fullmatch(url)
    if match is None:
        raise UnreadableEndpoint(url, "not a URL of the form http(s)://host[:port][/path]")
    scheme = match["scheme"].lower()
    if scheme not in DEFAULT_PORTS:
        raise UnreadableEndpoint(url, f"the scheme must be http or https, not {match['scheme']!r}")
    host, port = _authority(url, match["authority"])
    return Origin(scheme, host, DEFAULT_PORTS[scheme] if port is None else port)


def address_host(target: str) -> str:
    """The host of an address ``host[:port]`` (a gRPC target, a syslog receiver), or :class:`UnreadableEndpoint`."""
    _check_characters(target)
    return _authority(target, target)[0]


def loopback_refusal(url: str) -> str | None:
    """Why a client given ``url`` might connect elsewhere than this machine; ``None`` when it cannot."""
    try:
        return _host_refusal(origin(url).host)
    except UnreadableEndpoint as exc:
        return exc.reason


def address_loopback_refusal(target: str) -> str | None:
    """Why a connection to the address ``target`` might reach elsewhere than this machine; ``None`` when it cannot."""
    try:
        return _host_refusal(address_host(target))
    except UnreadableEndpoint as exc:
        return exc.reason


def is_loopback(url: str) -> bool:
    return loopback_refusal(url) is None


def check_same_origin(url: str, allowed: Origin) -> None:
    """Raise :class:`ForeignURL` unless ``url`` (as the client serialised it) is on ``allowed``."""
    try:
        found = origin(url)
    except UnreadableEndpoint as exc:
        raise ForeignURL(url, allowed, exc.reason) from None
    if found != allowed:
        raise ForeignURL(url, allowed, f"it is on {found}")


def _check_characters(text: str) -> None:
    unsafe = _UNSAFE.search(text)
    if unsafe is not None:
        raise UnreadableEndpoint(
            text, f"{unsafe.group()!r} at {unsafe.start()}: clients strip it or split at it differently"
        )


def _authority(text: str, authority: str) -> tuple[str, int | None]:
    match = _AUTHORITY.fullmatch(authority)
    if match is None:
        raise UnreadableEndpoint(
            text, f"{authority!r} is not host[:port] (a name, an IPv4 address or an [IPv6] address; no userinfo)"
        )
    port = int(match["port"]) if match["port"] is not None else None
    if port is not None and not 0 < port < 65536:
        raise UnreadableEndpoint(text, f"port {port} is out of range")
    return _host(text, match["host"]), port


def _host(text: str, host: str) -> str:
    if host.startswith("["):
        try:
            return f"[{ipaddress.IPv6Address(host[1:-1]).compressed}]"
        except ValueError:
            raise UnreadableEndpoint(text, f"{host} is not an IPv6 address") from None
    labels = host.split(".")
    if _NUMERIC_LABEL.fullmatch(labels[-1]):
        if not _DOTTED_QUAD.fullmatch(host):
            raise UnreadableEndpoint(text, f"{host} is a number in a short, decimal, octal or hex form")
        try:
            return str(ipaddress.IPv4Address(host))
        except ValueError:
            raise UnreadableEndpoint(text, f"{host} is not an IPv4 address (no leading zeros)") from None
    if not all(_LABEL.fullmatch(label) for label in labels):
        raise UnreadableEndpoint(text, f"{host} is not a host name (an empty label or a trailing dot)")
    return host.lower()


def _host_refusal(host: str) -> str | None:
    if host == LOOPBACK_NAME:
        found = _resolved(host)
        if found and all(address.is_loopback for address in found):
            return None
        named = ", ".join(sorted(str(a) for a in found)) or "nothing"
        return f"{LOOPBACK_NAME} resolves to {named} on this machine, not to loopback addresses only"
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return f"{host} is a name; only {LOOPBACK_NAME}, 127.0.0.0/8 and [::1] are loopback"
    return None if address.is_loopback else f"{host} is not a loopback address"


def _resolved(host: str) -> set[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError:
        return set()
    return {ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos}
