"""Graph's date-times, read defensively and one field at a time.

Graph sends ISO 8601 with ``Z`` and up to 7 fractional digits, which
``datetime.fromisoformat`` reads. Microsoft's own examples of the beta sign-in
reports also carry offsets written ``-8:00`` (one hour digit), which it rejects:
those are padded to ``-08:00`` and read. Anything else unreadable raises
:class:`MalformedRecord` naming the field, so it costs the one record that holds
it (the engine's ``Units.transform``), never the listing.
"""

from __future__ import annotations

import re
from datetime import datetime

from partner_nhi.contract import MalformedRecord, utc

_SHORT_OFFSET = re.compile(r"([+-])(\d):(\d\d)$")
_SHOWN = 40  # characters of a bad value quoted in the error (dates hold no secret)


def parse_time(value: object, field: str) -> datetime | None:
    """An aware UTC datetime; ``None`` when Graph sent null or nothing."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise MalformedRecord(field, f"expected an ISO 8601 date-time, got {type(value).__name__}")
    try:
        parsed = datetime.fromisoformat(_SHORT_OFFSET.sub(r"\g<1>0\2:\3", value.strip()))
    except ValueError:
        raise MalformedRecord(field, f"not an ISO 8601 date-time: {value[:_SHOWN]!r}") from None
    return utc(parsed)


def require(record: dict[str, object], field: str) -> str:
    """A string field the record cannot be used without (an id, an appId)."""
    value = record.get(field)
    if value is None or value == "":
        raise MalformedRecord(field, "missing")
    if not isinstance(value, str):
        raise MalformedRecord(field, f"expected a string, got {type(value).__name__}")
    return value
