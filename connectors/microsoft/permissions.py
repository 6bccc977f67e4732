"""How much a Microsoft permission exposes: the shipped table ``permissions.yaml``.

Graph, Exchange Online and SharePoint Online permissions, each high, medium or low with
the public reference it was judged from. The rules on third-party apps read the level
from each :class:`Entitlement`, so the core never knows Microsoft's permission names.
A permission the table does not list is medium, and says so: unknown is not harmless.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from partner_nhi.contract import EntitlementKind, EntitlementLevel

TABLE = Path(__file__).with_name("permissions.yaml")
ANY = "any"


@dataclass(frozen=True)
class Classification:
    level: EntitlementLevel
    source: str  # the reference and the reason, or why it is a default


@dataclass(frozen=True)
class _Entry:
    level: EntitlementLevel
    types: str  # application | delegated | any
    source: str
    why: str


@cache
def _table() -> dict[tuple[str, str], list[_Entry]]:
    document = yaml.safe_load(TABLE.read_text(encoding="utf-8"))
    table: dict[tuple[str, str], list[_Entry]] = {}
    for app_id, resource in document["resources"].items():
        for permission, entry in resource["permissions"].items():
            key = (str(app_id).lower(), str(permission).lower())
            table.setdefault(key, []).append(
                _Entry(EntitlementLevel(entry["level"]), entry["types"], entry["source"], entry["why"])
            )
    return table


def classify_permission(resource_app_id: str | None, permission: str, kind: EntitlementKind) -> Classification:
    """The level of ``permission`` on the resource with appId ``resource_app_id``."""
    entries = _table().get(((resource_app_id or "").lower(), permission.lower()), [])
    for entry in sorted(entries, key=lambda e: e.types == ANY):  # a type-specific entry first
        if entry.types in (kind.value, ANY):
            return Classification(entry.level, f"{entry.source}: {entry.why}")
    return Classification(
        EntitlementLevel.MEDIUM,
        "not in partner-nhi's classification table (connectors/microsoft/permissions.yaml): medium until classified",
    )
