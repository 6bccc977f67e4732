"""The Graph side of a Microsoft connector's collection of one tenant.

msgraph is async and the engine's ``Units`` is not: each fetch is a coroutine run to
completion in this thread's own event loop, and recorded as its unit. Shared by the
azure and m365 connectors: bulk listings, ``$batch`` chunks (each chunk an item of its
unit, so one failed chunk makes the unit partial, not failed), the sign-in reports, and
owners completed past Graph's ``$expand`` cap.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from azure.core.credentials import TokenCredential

from partner_nhi.connectors.microsoft import owners, sign_ins
from partner_nhi.connectors.microsoft.batch import chunks
from partner_nhi.connectors.microsoft.graph import GraphSession, open_graph
from partner_nhi.contract import CallCounter, LastUse, Units

T = TypeVar("T")
V = TypeVar("V")
JSON = dict[str, Any]


class GraphUnits:
    def __init__(self, units: Units, runner: asyncio.Runner, graph: GraphSession) -> None:
        self.units = units
        self._runner = runner
        self._graph = graph

    def fetch(self, unit: str, fetch: Callable[[GraphSession], Coroutine[Any, Any, T]]) -> T | None:
        """One bulk fetch; ``None`` when it failed (recorded), never an empty stand-in."""
        return self.units.fetch(unit, lambda: self._runner.run(fetch(self._graph)))

    def fetch_chunks(
        self,
        unit: str,
        keys: Sequence[str],
        fetch_chunk: Callable[[GraphSession, tuple[str, ...]], Coroutine[Any, Any, dict[str, V]]],
    ) -> dict[str, V]:
        """One ``$batch`` of 20 keys at a time; the keys of a failed chunk are left out (unit partial)."""
        by_chunk = self.units.fetch_each(
            unit, chunks(keys), lambda chunk: self._runner.run(fetch_chunk(self._graph, chunk))
        )
        return {key: value for found in by_chunk.values() for key, value in found.items()}

    def report(
        self, unit: str, path: str, name: str, parse: Callable[[JSON], tuple[str, LastUse]]
    ) -> sign_ins.Report | None:
        """A beta sign-in report, each row read on its own; ``None`` when it could not be read."""
        rows = self.fetch(unit, lambda graph: sign_ins.fetch_report(graph, path))
        if rows is None:
            self.units.note(unit, "last use is unknown for this tenant: the report could not be read")
            return None
        return sign_ins.read_report(self.units, unit, name, rows, parse)

    def activity(self) -> sign_ins.Activity:
        """Both sign-in reports (enrichment units: last use by appId and by credential keyId)."""
        return sign_ins.Activity(
            by_app=self.report(sign_ins.UNIT_SIGN_INS, sign_ins.SP_REPORT, sign_ins.APP_REPORT_NAME, sign_ins.app_use),
            by_key=self.report(
                sign_ins.UNIT_CREDENTIAL_SIGN_INS,
                sign_ins.CREDENTIAL_REPORT,
                sign_ins.KEY_REPORT_NAME,
                sign_ins.key_use,
            ),
        )

    def complete_owners(self, unit: str, collection: str, objects: list[JSON]) -> list[JSON]:
        """Re-read the owners of objects listed at Graph's cap; note owners without evidence."""
        full = self.fetch_chunks(
            unit, owners.capped(objects), lambda graph, ids: owners.fetch_owners(graph, collection, ids)
        )
        completed = owners.with_owners(objects, full)
        missing = owners.without_evidence(completed)
        if missing:
            self.units.note(unit, owners.evidence_missing_note(missing))
        return completed


@contextmanager
def graph_units(
    units: Units, endpoint: str, credential: TokenCredential, calls: CallCounter, max_retries: int
) -> Iterator[GraphUnits]:
    """A Graph session and its event loop for one tenant's collection, closed in that loop."""
    with asyncio.Runner() as runner:
        graph = open_graph(endpoint, credential, calls, max_retries)
        try:
            yield GraphUnits(units, runner, graph)
        finally:
            runner.run(graph.aclose())
