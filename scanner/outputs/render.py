"""Text renderings of a run for a file or a terminal."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter

from rich.console import Console
from rich.table import Table

from partner_nhi.outputs.document import run_document
from partner_nhi.outputs.ocsf import detection_finding
from partner_nhi.results import Finding, RunResult

FORMATS = ("table", "json", "csv", "ocsf")

CSV_COLUMNS = (
    "id", "rule", "severity", "status", "provider", "scope", "identity", "identity_name", "credential",
    "partner", "owner", "reason", "message", "remediation",
)  # fmt: skip

_SEVERITY_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan"}


def render(run: RunResult, fmt: str, width: int | None = None) -> str:
    if fmt == "json":
        return json.dumps(run_document(run), indent=2) + "\n"
    if fmt == "csv":
        return findings_csv(run_document(run)["findings"])
    if fmt == "ocsf":
        return "".join(json.dumps(detection_finding(f, run)) + "\n" for f in run.findings)
    return table(run, width)


def findings_csv(findings: list[dict[str, object]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(findings)
    return buffer.getvalue()


def findings_table(findings: list[Finding], title: str) -> Table:
    grid = Table(title=title, title_justify="left", show_lines=False, expand=True)
    for column, ratio in (
        ("severity", 1),
        ("rule", 2),
        ("identity", 3),
        ("partner", 1),
        ("owner", 2),
        ("status", 1),
        ("why", 5),
    ):
        grid.add_column(column, ratio=ratio, overflow="fold")
    ordered = sorted(findings, key=lambda f: (-f.severity.rank, f.rule, f.identity_name))
    for f in ordered:
        style = _SEVERITY_STYLE[f.severity.value]
        status = f"{f.status} (kept)" if f.carried else f.status
        why = f.message + (f" [{f.reason}]" if f.reason else "")
        grid.add_row(
            f"[{style}]{f.severity.value}[/]",
            f.rule,
            f"{f.provider}:{f.identity_name}",
            f.partner or "-",
            f.owner or "-",
            status,
            why,
        )
    return grid


def print_report(run: RunResult, console: Console) -> None:
    """Scopes, then findings, then totals: what a security engineer reads first."""
    scopes = Table(title=f"Run {run.id}: {run.status}", title_justify="left")
    for column in ("connector", "scope", "status", "identities", "api calls", "problems"):
        scopes.add_column(column, overflow="fold")
    for scope in run.scopes:
        scopes.add_row(
            scope.connector, scope.scope.id, scope.status.value, str(len(scope.identities)), str(scope.api_calls),
            scope.summary_error() or "; ".join(dict.fromkeys(n for u in scope.units for n in u.notes)) or "-",
        )  # fmt: skip
    console.print(scopes)
    console.print(findings_table(run.findings, f"{len(run.findings)} findings"))
    current = [f for f in run.findings if f.status != "resolved"]
    by_severity = Counter(f.severity.value for f in current)
    by_rule = Counter(f.rule for f in current)
    console.print(
        "open by severity: "
        + (
            ", ".join(f"{k} {by_severity[k]}" for k in ("critical", "high", "medium", "low") if by_severity[k])
            or "none"
        )
    )
    console.print("open by rule: " + (", ".join(f"{r} {n}" for r, n in sorted(by_rule.items())) or "none"))


def table(run: RunResult, width: int | None = None) -> str:
    buffer = io.StringIO()
    print_report(run, Console(file=buffer, width=width or 160, color_system=None, force_terminal=False))
    return buffer.getvalue()
