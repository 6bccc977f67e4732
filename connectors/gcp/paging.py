"""Paged listings of Google REST APIs that have no Python client (Policy Analyzer, IAM's
workload identity pools): every page, following ``nextPageToken``; an error answer raises
the api-core exception the SDK clients would (never an empty page)."""

from __future__ import annotations

from typing import Any

import httpx

from partner_nhi.connectors.gcp.errors import api_error


def get_all(client: httpx.Client, path: str, items: str, page_size: int) -> list[dict[str, Any]]:
    """Every item under ``items`` of the listing at ``path``."""
    found: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        params = {"pageSize": str(page_size), **({"pageToken": token} if token else {})}
        response = client.get(path, params=params)
        if not response.is_success:  # an error, or a redirect (not followed: see clients)
            raise api_error(response)
        body = response.json()
        found.extend(body.get(items, []))
        token = body.get("nextPageToken")
        if not token:
            return found
