"""The estate server: seeds one synthetic estate, serves it on 127.0.0.1 and counts the
requests it receives, in a process of its own so that the scanner's peak memory and
CPU are measured apart from the emulator's.

    python bench/serve.py aws 10000 --accounts 5

It announces itself on stdout as one JSON line, ``{"settings": {...}, "environ":
{...}}`` (the connector's configuration section and the environment a scanner
needs), then answers one command per line on stdin until stdin closes:
``counts`` prints ``{"operations": {operation: calls}, "first": epoch seconds of
the first request, AWS only}`` for the requests since the previous ``counts``, and starts
counting anew. Operations are named as the server sees them: AWS actions (``iam:``
is implied), Graph, ARM and REST paths with each object's id replaced by ``{id}``, gRPC
method names.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from measure import IN_BATCH

Counts = Callable[[], Counter[str]]
# a path segment that names one object (a GUID, a number, a long id): counted as one operation
_ID = re.compile(r"(?<=/)(?:[0-9a-fA-F-]{8,}|\d+|[^/]{40,})(?=/|$)")


class _Clock:
    """The wall-clock time of the first request since the last reset: a scanner's
    start-up is that minus its process's start (both on this machine's clock)."""

    def __init__(self) -> None:
        self.first: float | None = None
        self._lock = threading.Lock()

    def tick(self) -> None:
        if self.first is None:
            with self._lock:
                self.first = self.first or time.time()


@contextmanager
def _aws(size: int, accounts: int, clock: _Clock) -> Iterator[tuple[dict[str, Any], dict[str, str], Counts]]:
    from aws_estate import account_ids, seed

    from partner_nhi.connectors.aws.emulator import MotoTraffic, moto_server

    class Traffic(MotoTraffic):
        """MotoTraffic keeps the actions; this also notes when the first one arrived."""

        def _take(self, action: str, parameters: dict[str, list[str]]) -> Any:
            clock.tick()
            return super()._take(action, parameters)

    traffic = Traffic()
    seen = 0

    def counts() -> Counter[str]:
        nonlocal seen
        actions = traffic.actions[seen:]
        seen += len(actions)
        return Counter(actions)

    ids = account_ids(accounts)
    with moto_server(traffic) as endpoint:
        seed(ids, size)
        listed = [{"id": ids[0]}, *({"id": a, "role_arn": f"arn:aws:iam::{a}:role/partner-nhi"} for a in ids[1:])]
        settings = {"accounts": listed, "endpoint_url": endpoint, "credential_report_poll": 0.2}
        environ = {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",  # moto's defaults: any key is the base account
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": endpoint,  # for a peer scanner; partner-nhi reads endpoint_url
        }
        yield settings, environ, counts


def _http_counts(servers: dict[str, Any], item_header: str | None = None) -> Counts:
    """Counts over LoopbackServers' request logs: ``NAME METHOD /path/{id}/...``; a request
    that came inside a Graph ``$batch`` (marked by ``item_header``) is named apart, as it is
    no HTTP request of its own but is throttled as one."""
    seen = dict.fromkeys(servers, 0)

    def counts() -> Counter[str]:
        found: Counter[str] = Counter()
        for name, server in servers.items():
            requests = server.requests[seen[name] :]
            seen[name] += len(requests)
            for request in requests:
                item = IN_BATCH if item_header and item_header in request.headers else ""
                found[f"{name} {request.method} {_ID.sub('{id}', request.path)}{item}"] += 1
        return found

    return counts


@contextmanager
def _azure(size: int, accounts: int, clock: _Clock) -> Iterator[tuple[dict[str, Any], dict[str, str], Counts]]:
    from azure_estate import build_tenant

    from partner_nhi.connectors.microsoft.auth import TOKEN_ENV
    from partner_nhi.connectors.microsoft.emulator import BATCH_ITEM_HEADER, MicrosoftEmulator

    with MicrosoftEmulator(build_tenant(size)) as emulator:
        counts = _http_counts({"graph": emulator.graph, "arm": emulator.arm}, BATCH_ITEM_HEADER)
        yield emulator.settings(), {TOKEN_ENV: emulator.token}, counts


@contextmanager
def _gcp(size: int, accounts: int, clock: _Clock) -> Iterator[tuple[dict[str, Any], dict[str, str], Counts]]:
    from gcp_estate import ORGANIZATION_DOMAIN, build_estate

    from partner_nhi.connectors.gcp.emulator import running

    with running(build_estate(size)) as emulators:
        rest = _http_counts(
            {"resourcemanager": emulators.resource_manager, "policyanalyzer": emulators.policy_analyzer}
        )
        seen = 0

        def counts() -> Counter[str]:
            nonlocal seen
            calls = emulators.iam.requests[seen:]
            seen += len(calls)
            return rest() + Counter(f"iam {method}" for method, _ in calls)

        yield emulators.settings(organization_domains=[ORGANIZATION_DOMAIN]), {}, counts


ESTATES = {"aws": _aws, "azure": _azure, "gcp": _gcp}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("cloud", choices=sorted(ESTATES))
    parser.add_argument("size", type=int, help="identities per account (AWS) or in the one tenant/project")
    parser.add_argument("--accounts", type=int, default=1, help="AWS only: accounts of SIZE identities each")
    args = parser.parse_args()
    clock = _Clock()
    with ESTATES[args.cloud](args.size, args.accounts, clock) as (settings, environ, counts):
        counts()  # seeding is not traffic
        print(json.dumps({"settings": settings, "environ": environ}), flush=True)
        for line in sys.stdin:
            if line.strip() == "counts":
                operations = counts()
                print(json.dumps({"operations": operations, "first": clock.first}), flush=True)
                clock.first = None


if __name__ == "__main__":
    main()
