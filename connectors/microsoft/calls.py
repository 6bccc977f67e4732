"""Names for counted API calls: one name per operation, not per object.

``GET https://graph.microsoft.com/v1.0/applications/3f2…/federatedIdentityCredentials``
is counted as ``GET /v1.0/applications/{id}/federatedIdentityCredentials``.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

_ID_SEGMENT = re.compile(r"^(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|\d+)$")


def operation_name(method: str, url: str) -> str:
    """``METHOD /path`` with GUID and numeric segments replaced by ``{id}``."""
    path = unquote(urlsplit(url).path)
    segments = ["{id}" if _ID_SEGMENT.match(part) else part for part in path.split("/")]
    return f"{method.upper()} {'/'.join(segments)}"
