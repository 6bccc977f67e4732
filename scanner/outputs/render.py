"""Write a run's report to a text stream, page by page from the store.

Memory stays bounded by a page, whatever the size of the estate: the JSON document is
written as it is read (same contract: ``run``, ``identities``, ``findings``), CSV and
OCSF one finding per line, and the table in chunks of rows with fixed column shares.
"""

from __future__ import annotations

import csv
import json
import textwrap
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from partner_nhi.outputs.ocsf import detection_finding
from partner_nhi.store.queries import RunDocument

FORMATS = ("table", "json", "csv", "ocsf")

CSV_COLUMNS = (
    "id", "rule", "severity", "status", "provider", "scope", "identity", "identity_name", "credential",
    "partner", "owner", "reason", "message", "remediation", "suppressed", "suppression",
)  # fmt: skip

_SEVERITY_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan"}
_TABLE_CHUNK = 200


def write_report(document: RunDocument, fmt: str, stream: TextIO, width: int | None = None) -> None:
    if fmt == "json":
        _write_json(document, stream)
    elif fmt == "csv":
        write_csv(document.findings(), stream)
    elif fmt == "ocsf":
        for entry in document.findings():
            stream.write(json.dumps(detection_finding(entry, document.run)) + "\n")
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


def accepted_risk_text(entry: dict[str, Any]) -> str:
    """The accepted risk a run matched to a finding, in a few words ("" when none)."""
    accepted = entry.get("suppression")
    if not accepted:
        return ""
    state = "acceptance expired" if accepted["expired"] else "accepted until"
    return f"{state} {accepted['expires']} by {accepted['approver']}: {accepted['justification']}"


def write_csv(findings: Iterable[dict[str, Any]], stream: TextIO) -> None:
    writer = csv.DictWriter(stream, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for entry in findings:
        row = {**entry, "suppressed": bool(entry.get("suppressed")), "suppression": accepted_risk_text(entry)}
        writer.writerow({column: neutralised(row.get(column)) for column in CSV_COLUMNS})


def findings_tables(findings: Iterable[dict[str, Any]], title: str) -> Iterator[Table]:
    """Findings as tables of at most a chunk of rows each, the same columns in each."""
    grid = _findings_grid(title)
    for entry in findings:
        if grid.row_count == _TABLE_CHUNK:
            yield grid
            grid = _findings_grid(None)
        style = _SEVERITY_STYLE.get(entry["severity"], "")
        status = f"{entry['status']} (kept)" if entry.get("carried") else entry["status"]
        why = entry["message"] + (f" ({entry['reason']})" if entry.get("reason") else "")
        if entry.get("suppression"):
            status += ", accepted" if not entry["suppression"]["expired"] else ", acceptance expired"
            why += f"; {accepted_risk_text(entry)}"
        cells = (
            entry["rule"],
            f"{entry['provider']}:{entry['identity_name']}",
            entry.get("partner") or "-",
            entry.get("owner") or "-",
            status,
            why,
        )
        grid.add_row(Text(entry["severity"], style=style), *(Text(str(cell)) for cell in cells))  # never markup
    yield grid


def _findings_grid(title: str | None) -> Table:
    grid = Table(title=title, title_justify="left", show_header=title is not None, expand=True)
    for column, ratio in (("severity", 1), ("rule", 2), ("identity", 3), ("partner", 1), ("owner", 2)):
        grid.add_column(column, ratio=ratio, overflow="fold")
    grid.add_column("status", ratio=1, overflow="fold")
    grid.add_column("why", ratio=5, overflow="fold")
    return grid


def print_report(document: RunDocument, console: Console) -> None:
    """Scopes, then findings, then totals: what a security engineer reads first."""
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

    for grid in findings_tables(counted(document.findings()), "findings"):
        console.print(grid)
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
