"""Owners of applications and service principals: complete, and with their evidence.

Listings expand owners (``$expand=owners($select=id,mail,userPrincipalName)``), but Graph
returns at most 20 owners per expanded object and no nextLink: an object listed with 20
owners is read again on ``/{collection}/{id}/owners`` (20 objects per ``$batch``) so no
owner is silently dropped. Without ``Directory.Read.All`` (or ``User.Read.All``) Graph
returns owners as id and type only: attribution cannot use them, and the unit says
"owner evidence missing" rather than pretending there are none.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from partner_nhi.connectors.microsoft.batch import batch_listings
from partner_nhi.connectors.microsoft.graph import GraphSession

JSON = dict[str, Any]

EXPANDED_OWNERS_CAP = 20  # owners Graph returns per object in an $expand
FIELDS = "id,mail,userPrincipalName"
EXPAND = f"owners($select={FIELDS})"
USER_TYPE = "#microsoft.graph.user"


def capped(objects: Sequence[JSON]) -> list[str]:
    """Ids of objects whose expanded owners may have been cut at the cap."""
    return [str(o["id"]) for o in objects if o.get("id") and len(o.get("owners") or []) >= EXPANDED_OWNERS_CAP]


async def fetch_owners(graph: GraphSession, collection: str, object_ids: Sequence[str]) -> dict[str, list[JSON]]:
    """Every owner of up to 20 objects of ``collection`` (``applications``, ``servicePrincipals``)."""
    urls = {object_id: f"/{collection}/{object_id}/owners?$select={FIELDS}" for object_id in object_ids}
    return await batch_listings(graph, urls)


def with_owners(objects: list[JSON], owners: dict[str, list[JSON]]) -> list[JSON]:
    """The objects, each re-read one carrying its complete owner list."""
    return [{**o, "owners": owners[str(o.get("id"))]} if str(o.get("id")) in owners else o for o in objects]


def without_evidence(objects: Sequence[JSON]) -> int:
    """How many objects have a user owner returned as id and type only (no mail, no UPN)."""
    return sum(
        1
        for o in objects
        if any(
            owner.get("@odata.type") == USER_TYPE and "mail" not in owner and "userPrincipalName" not in owner
            for owner in o.get("owners") or []
        )
    )


def evidence_missing_note(count: int) -> str:
    return (
        f"owner evidence missing: {count} object(s) have owners returned as id and type only "
        "(grant Directory.Read.All or User.Read.All to read their mail and UPN); attribution cannot use them"
    )
