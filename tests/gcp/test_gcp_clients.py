"""The client factory's own glue: the google-auth bearer token on Policy Analyzer requests."""

from __future__ import annotations

import httpx
from google.oauth2.credentials import Credentials

from partner_nhi.connectors.gcp.clients import _GoogleAuth


def test_policy_analyzer_requests_carry_the_google_token():
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={})

    client = httpx.Client(
        transport=httpx.MockTransport(answer),
        auth=_GoogleAuth(Credentials(token="ya29.test-token")),
        base_url="https://policyanalyzer.googleapis.com",
    )
    client.get("/v1/projects/p/locations/global/activityTypes/x/activities:query")
    assert seen[0].headers["authorization"] == "Bearer ya29.test-token"
