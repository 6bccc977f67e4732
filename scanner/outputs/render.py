"""Write a run's report to a text stream, page by page from the store.

Memory stays bounded by a page, whatever the size of the estate: the JSON document is
written as it is read (same contract: ``run``, ``identities``, ``findings``), CSV and
OCSF one finding per line, and the table (:mod:`partner_nhi.outputs.table`) a chunk at a time.
"""

from __future__ import annotations

import csv
import json
import textwrap
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from partner_nhi.outputs.ocsf import detection_findings
from partner_nhi.outputs.table import accepted_risk_text, print_findings
from partner_nhi.store.queries import RunDocument

FORMATS = ("table", "json", "csv", "ocsf")

CSV_COLUMNS = (
    "id", "rule", "severity", "status", "provider", "scope", "identity", "identity_name", "credential",
    "partner", "owner", "reason", "message", "remediation", "suppressed", "suppression",
)  # fmt: skip


def write_report(document: RunDocument, fmt: str, stream: TextIO, width: int | None = None) -> None:
    if fmt == "json":
        _write_json(document, stream)
    elif fmt == "csv":
        write_csv(document.findings(), stream)
    elif fmt == "ocsf":
        for event in detection_findings(document):
            stream.write(json.dumps(event) + "\n")
    else:
        print_report(document, Console(file=stream, width=width or 160, color_system=None, force_terminal=False))


def _write_json(document: RunDocument, stream: TextIO) -> None:
    stream.write('{\n  "run": ' + _nested(document.run) + ",\n")
    for key, entries in (("identities", document.identities()), ("findings", document.findings())):
        stream.write(f'  "{key}": [')
        for number, entry in enumerate(entries):
            stream.write(("," if number else "") + "\n    " + _nested(entry, 4))
        stream.write("\n  ]" + ("," if key == "identities" else "") + "\n")
    stream.write("}\n")


def _nested(value: Any, indent: int = 2) -> str:
    """One value as pretty JSON, indented to sit ``indent`` spaces deep in the document."""
    return textwrap.indent(json.dumps(value, indent=2), " " * indent)[indent:]


def neutralised(cell: object) -> object:
    """A cell a spreadsheet would run as a formula (OWASP CSV injection) is quoted as text."""
    if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + cell
    return cell


def write_csv(findings: Iterable[dict[str, Any]], stream: TextIO) -> None:
    writer = csv.DictWriter(stream, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for entry in findings:
        row = {**entry, "suppressed": bool(entry.get("suppressed")), "suppression": accepted_risk_text(entry)}
        writer.writerow({column: neutralised(row.get(column)) for column in CSV_COLUMNS})


def print_report(document: RunDocument, console: Console, remediation: bool = False) -> None:
    """Scopes, then findings by partner and owner, then totals: what a security engineer reads first."""
    run = document.run
    scopes = Table(title=Text(f"Run {run['id']}: {run['status']}"), title_justify="left")
    for column in ("connector", "scope", "status", "identities", "api calls", "problems"):
        scopes.add_column(column, overflow="fold")
    for scope in run["scopes"]:
        notes = "; ".join(dict.fromkeys(note for unit in scope.get("units", []) for note in unit["notes"]))
        cells = (scope["connector"], scope["scope"], scope["status"], scope["identity_count"], scope["api_calls"])
        scopes.add_row(*(Text(str(cell)) for cell in (*cells, scope["error"] or notes or "-")))
    console.print(scopes)
    current: Counter[tuple[str, str]] = Counter()
    accepted = 0

    def counted(entries: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        nonlocal accepted
        for entry in entries:
            if entry["status"] != "resolved" and entry.get("suppressed"):
                accepted += 1
            elif entry["status"] != "resolved":
                current[(entry["severity"], entry["rule"])] += 1
            yield entry

    now = datetime.fromisoformat(run["finished"] or run["started"])
    print_findings(console, counted(document.findings(by_owner=True)), document.subjects, now, remediation=remediation)
    by_severity = Counter[str]()
    by_rule = Counter[str]()
    for (severity, rule), count in current.items():
        by_severity[severity] += count
        by_rule[rule] += count
    severities = [f"{s} {by_severity[s]}" for s in ("critical", "high", "medium", "low") if by_severity[s]]
    console.print("open by severity: " + (", ".join(severities) or "none"), markup=False, highlight=False)
    rules = ", ".join(f"{rule} {count}" for rule, count in sorted(by_rule.items()))
    console.print("open by rule: " + (rules or "none"), markup=False, highlight=False)
    if accepted:
        console.print(f"accepted risks (open, not counted above): {accepted}", markup=False, highlight=False)
