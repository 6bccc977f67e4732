"""The REST JSON shape of API payloads: what every normalizer takes.

The gRPC IAM client returns proto-plus messages and resource manager a raw
protobuf; both become the camelCase dicts Google documents (and the REST API
returns), so normalizers are pure functions over fixture-friendly payloads.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from google.protobuf import json_format

_FRACTION = re.compile(r"\.(\d{6})\d+")


def as_json(message: Any) -> dict[str, Any]:
    """A proto-plus or protobuf message as its REST JSON dict (defaults omitted)."""
    raw = type(message).pb(message) if hasattr(type(message), "pb") else message
    result: dict[str, Any] = json_format.MessageToDict(raw)
    return result


def parse_time(value: str | None) -> datetime | None:
    """An RFC 3339 timestamp (``Z``, up to nanoseconds) as aware UTC; None if absent."""
    if not value:
        return None
    parsed = datetime.fromisoformat(_FRACTION.sub(r".\1", value).replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
