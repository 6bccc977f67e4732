"""The REST JSON shape of API payloads: what every normalizer takes.

The gRPC IAM client returns proto-plus messages and resource manager a raw
protobuf; both become the camelCase dicts Google documents (and the REST API
returns), so normalizers are pure functions over fixture-friendly payloads.

A converted record never raises: a timestamp out of protobuf's range (the one way a
gRPC date can be unreadable) becomes text that :func:`read_time` rejects, so it costs
the one record that carries it, inside the engine's transform, and not the listing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from google.protobuf import json_format, timestamp_pb2

from partner_nhi.contract import MalformedRecord

_FRACTION = re.compile(r"\.(\d{6})\d+")
_TIMESTAMP = timestamp_pb2.Timestamp.DESCRIPTOR


def as_json(message: Any) -> dict[str, Any]:
    """A proto-plus or protobuf message as its REST JSON dict (defaults omitted)."""
    raw = type(message).pb(message) if hasattr(type(message), "pb") else message
    unreadable: dict[str, str] = {}
    for field, value in raw.ListFields():
        if field.message_type is _TIMESTAMP and not _in_range(value):
            unreadable[field.json_name] = f"{value.seconds} seconds since 1970 (out of range)"
    if unreadable:
        raw = _without(raw, [f.name for f, _ in raw.ListFields() if f.json_name in unreadable])
    result: dict[str, Any] = json_format.MessageToDict(raw)
    return {**result, **unreadable}


def _in_range(value: timestamp_pb2.Timestamp) -> bool:
    try:
        value.ToJsonString()
    except ValueError:
        return False
    return True


def _without(message: Any, fields: list[str]) -> Any:
    copy = type(message)()
    copy.CopyFrom(message)
    for name in fields:
        copy.ClearField(name)
    return copy


def parse_time(value: str | None) -> datetime | None:
    """An RFC 3339 timestamp (``Z``, up to nanoseconds) as aware UTC; None if absent."""
    if not value:
        return None
    parsed = datetime.fromisoformat(_FRACTION.sub(r".\1", value).replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def read_time(record: Mapping[str, Any], path: str) -> datetime | None:
    """The timestamp at ``path`` (dotted, e.g. ``activity.lastAuthenticatedTime``); None
    when absent. Raises :class:`MalformedRecord` naming ``path`` when it is unreadable."""
    value: Any = record
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    if value is None or value == "":
        return None
    try:
        return parse_time(value)
    except (TypeError, ValueError):
        raise MalformedRecord(path, f"not an RFC 3339 time: {value!r}") from None


def require_time(record: Mapping[str, Any], path: str) -> datetime:
    """A timestamp the API always sends: missing is malformed, not "no date"."""
    value = read_time(record, path)
    if value is None:
        raise MalformedRecord(path, "missing")
    return value
