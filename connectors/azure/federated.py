"""Federated identity credentials: Graph serves them only on
``/applications/{id}/federatedIdentityCredentials`` (no ``$expand``), so they
are read 20 applications at a time through ``$batch``: one call per 20 apps.

A sub-request that failed (a 429 inside the batch, say) fails its whole chunk
with the sub-response's own error, so the engine retries or records it; an
application's credentials are never silently empty.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from msgraph.generated.models.o_data_errors.main_error import MainError
from msgraph.generated.models.o_data_errors.o_data_error import ODataError

from partner_nhi.connectors.microsoft.graph import GraphSession

UNIT = "federated-credentials"
BATCH_SIZE = 20
FIELDS = "id,name,issuer,subject,audiences"


def chunks(application_ids: Sequence[str]) -> list[tuple[str, ...]]:
    return [tuple(application_ids[i : i + BATCH_SIZE]) for i in range(0, len(application_ids), BATCH_SIZE)]


def _sub_response_error(response: dict[str, Any]) -> ODataError:
    status = int(response.get("status", 0))
    error = (response.get("body") or {}).get("error") or {}
    headers = {k.lower(): str(v) for k, v in (response.get("headers") or {}).items()}
    exc = ODataError(
        message=error.get("message") or f"$batch item answered {status}",
        response_status_code=status,
        response_headers=headers,
    )
    exc.error = MainError(code=error.get("code"), message=error.get("message"))
    return exc


async def fetch_federated(graph: GraphSession, application_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """Federated credentials (raw JSON rows) of up to 20 applications, by object id."""
    urls = {
        str(n): f"/applications/{app_id}/federatedIdentityCredentials?$select={FIELDS}"
        for n, app_id in enumerate(application_ids)
    }
    responses = await graph.batch_get(urls)
    result: dict[str, list[dict[str, Any]]] = {}
    for n, app_id in enumerate(application_ids):
        response = responses.get(str(n))
        if response is None:
            raise ValueError(f"$batch answer lacks the response for application {app_id}")
        if response.get("status") != 200:
            raise _sub_response_error(response)
        result[app_id] = list((response.get("body") or {}).get("value", []))
    return result
