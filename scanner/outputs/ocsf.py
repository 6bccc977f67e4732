"""``--format ocsf``: a run's findings as OCSF Detection Findings, one per line, built by the
SIEM feed's own builder (:func:`partner_nhi.siem.events.detection_finding`).

A report is a snapshot of one run, not a change: each finding is shown with the activity of
its status in that run (new: Create, open: Update, resolved: Close), first seen when the run
that first saw it started, and a ``metadata.uid`` of its own (the run, the finding, and
"snapshot"), distinct from the feed's events.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from functools import cache
from typing import Any

from partner_nhi.siem.events import Activity, FindingTimes, detection_finding, event_uid
from partner_nhi.store.queries import RunDocument

_ACTIVITY = {"new": Activity.CREATE, "open": Activity.UPDATE, "resolved": Activity.CLOSE}


def detection_findings(document: RunDocument) -> Iterator[dict[str, Any]]:
    run = document.run
    at = datetime.fromisoformat(run["finished"] or run["started"])
    started = cache(document.run_started)
    for entry in document.findings():
        first = entry["first_seen_run"]
        seen_now = entry["status"] != "resolved" and not entry["carried"]
        times = FindingTimes(at, started(first) if first else None, at if seen_now else None)
        uid = event_uid(run["id"], f"snapshot\x1f{entry['id']}")
        yield detection_finding(entry, _ACTIVITY[entry["status"]], uid, times)
