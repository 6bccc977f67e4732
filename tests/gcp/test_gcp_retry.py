"""Policy Analyzer's transport: retries what the taxonomy calls retryable,
honouring Retry-After, and counts every attempt."""

from __future__ import annotations

import httpx

from partner_nhi.connectors.gcp.emulator import faults
from partner_nhi.connectors.gcp.retry import RetryingTransport, retry_after
from partner_nhi.connectors.gcp.settings import RetrySettings


def _transport(responses, attempts=4, maximum=30.0):
    sent, slept = [], []
    queue = list(responses)

    def answer(request: httpx.Request) -> httpx.Response:
        fault = queue.pop(0)
        if fault is None:
            return httpx.Response(200, json={"activities": []})
        rendered = fault.http_response()
        return httpx.Response(rendered.status, json=rendered.body, headers=rendered.headers)

    transport = RetryingTransport(
        httpx.MockTransport(answer),
        RetrySettings(initial=0.01, maximum=maximum, attempts=attempts),
        on_send=sent.append,
        sleep=slept.append,
    )
    return httpx.Client(transport=transport, base_url="http://127.0.0.1"), sent, slept


def test_429_waits_for_retry_after_then_succeeds():
    quota = faults.quota_exceeded("policyanalyzer.googleapis.com", retry_after=7)
    client, sent, slept = _transport([quota, quota, None])
    assert client.get("/v1/x").status_code == 200
    assert len(sent) == 3
    assert slept == [7.0, 7.0]


def test_retry_after_is_capped_by_the_maximum_delay():
    client, _sent, slept = _transport([faults.quota_exceeded("p", retry_after=3600), None], maximum=2.0)
    assert client.get("/v1/x").status_code == 200
    assert slept == [2.0]


def test_503_and_quota_403_are_retried_with_backoff():
    client, sent, slept = _transport([faults.unavailable(), faults.quota_forbidden("p"), None])
    assert client.get("/v1/x").status_code == 200
    assert len(sent) == 3
    assert len(slept) == 2 and all(0 < s <= 0.02 for s in slept)


def test_permission_and_disabled_api_are_not_retried():
    for fault in (faults.permission_denied("x"), faults.service_disabled("p", "P API")):
        client, sent, slept = _transport([fault, None])
        assert client.get("/v1/x").status_code == 403
        assert (len(sent), slept) == (1, [])


def test_gives_up_after_the_attempts_and_returns_the_error():
    client, sent, _slept = _transport([faults.unavailable()] * 3, attempts=3)
    assert client.get("/v1/x").status_code == 503
    assert len(sent) == 3


def test_retry_after_as_http_date():
    response = httpx.Response(429, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})
    assert retry_after(response) == 0.0  # in the past
    assert retry_after(httpx.Response(429)) is None
