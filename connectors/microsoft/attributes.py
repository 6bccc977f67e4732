"""Tags and owners: what Entra records that attribution reads.

Entra tags are plain strings. ``key=value`` and ``key:value`` (split at the
first ``=`` or ``:``) become tags; flag-like tags without either
(``WindowsAzureActiveDirectoryIntegratedApp``, ``HideApp``) say nothing about
ownership and are left out. Owners are directory objects; users give their
mail, else their UPN; service principals owning an app are not people and
give nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

_SEPARATOR = re.compile(r"[=:]")
USER_TYPE = "#microsoft.graph.user"


def parse_tags(*tag_lists: Iterable[str] | None) -> dict[str, str]:
    """Merge tag lists (application first, then service principal: the later wins)."""
    tags: dict[str, str] = {}
    for values in tag_lists:
        for tag in values or ():
            parts = _SEPARATOR.split(tag, maxsplit=1)
            if len(parts) == 2 and parts[0].strip():
                tags[parts[0].strip()] = parts[1].strip()
    return tags


def owner_hints(*owner_lists: Iterable[dict[str, Any]] | None) -> tuple[str, ...]:
    """Mail (else UPN) of every user owner, deduplicated, in order."""
    hints: list[str] = []
    for owners in owner_lists:
        for owner in owners or ():
            if owner.get("@odata.type") != USER_TYPE:
                continue
            hint = owner.get("mail") or owner.get("userPrincipalName")
            if hint and hint.lower() not in (h.lower() for h in hints):
                hints.append(hint)
    return tuple(hints)
