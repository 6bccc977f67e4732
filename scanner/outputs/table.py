"""The findings table a person reads on a terminal: grouped by partner, then owner.

Each finding is one line of columns (severity, rule, identity, scope, credential, age and
last use) and below it its short id, status and message, wrapped at spaces. Column widths come from the
console width; a name that does not fit is cut with an ellipsis, never broken mid-word over
two lines (at 80 columns ``critical`` used to come out as ``critic/al``). Every string is a
:class:`~rich.text.Text`, so a name such as ``[/bold]`` is shown, never read as markup.
Colour is the console's business: rich adds none when the output is not a terminal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import Any

from rich.console import Console
from rich.text import Text

SEVERITY_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan"}
CHUNK = 200  # findings whose identities are looked up at once
INDENT = 2
MESSAGE_INDENT = 4
NARROWEST = 70  # below this the columns keep their minimum widths and lines may wrap
SHORT_ID = 8

Subjects = Callable[[list[dict[str, Any]]], dict[tuple[str, str, str], dict[str, Any]]]


@dataclass(frozen=True)
class Column:
    title: str
    least: int
    most: int


RULE = Column("RULE", 20, 40)  # rule ids are short slugs; the longest fits on a wide terminal
COLUMNS = (
    Column("SEVERITY", 8, 8),
    RULE,
    Column("IDENTITY", 12, 40),
    Column("SCOPE", 11, 40),
    Column("CREDENTIAL", 10, 40),
    Column("AGE/LAST USE", 12, 14),
)


def column_widths(columns: tuple[Column, ...], width: int, first: Column | None = None) -> list[int]:
    """Each column's width: its least (chosen to fit 80 columns); then ``first`` gets its most,
    and the others one cell each in turn, until the line is full or all have their most."""
    widths = [column.least for column in columns]
    spare = max(width, NARROWEST) - INDENT - (len(columns) - 1) - sum(widths)
    if first is not None:
        grown = min(spare, first.most - first.least)
        widths[columns.index(first)] += grown
        spare -= grown
    while spare > 0:
        growing = [n for n, column in enumerate(columns) if widths[n] < column.most]
        if not growing:
            break
        for n in growing[:spare]:
            widths[n] += 1
        spare -= min(spare, len(growing))
    return widths


def print_rows(console: Console, columns: tuple[Column, ...], rows: Iterable[Iterable[str]], title: str) -> None:
    """A plain table of one line per row: each cell cut to its column with an ellipsis."""
    widths = column_widths(columns, console.width)
    console.print(Text(title, style="bold"))
    console.print(line((Text(column.title, style="bold") for column in columns), widths))
    for row in rows:
        console.print(line((Text(cell) for cell in row), widths), no_wrap=True, overflow="ellipsis")


def line(cells: Iterable[Text], widths: list[int]) -> Text:
    """Cells cut (with an ellipsis) or padded to their widths, on one line."""
    line = Text(" " * INDENT)
    for number, (cell, width) in enumerate(zip(cells, widths, strict=True)):
        cell.truncate(width, overflow="ellipsis", pad=True)
        line.append_text(cell)
        if number < len(widths) - 1:
            line.append(" ")
    line.rstrip()
    return line


def _days(earlier: datetime, now: datetime) -> int:
    return max(0, (now - earlier).days)


def age_and_last_use(finding: dict[str, Any], identity: dict[str, Any] | None, now: datetime) -> str:
    """How old the credential (or identity) the finding is about is, and when it was last used."""
    if identity is None:
        return "-"
    subject = identity
    if finding.get("credential"):
        subject = next((c for c in identity.get("credentials", []) if c["id"] == finding["credential"]), identity)
    created = subject.get("created")
    age = f"{_days(datetime.fromisoformat(created), now)}d" if created else "?"
    used = subject.get("last_used") or "unknown"
    if used not in ("never", "unknown"):
        used = f"{_days(datetime.fromisoformat(used), now)}d ago"
    return f"{age}/{used}"


def short_id(finding_id: str) -> str:
    return finding_id.removeprefix("nhi-")[:SHORT_ID]


def print_findings(
    console: Console,
    findings: Iterable[dict[str, Any]],
    subjects: Subjects,
    now: datetime,
    *,
    remediation: bool = False,
) -> int:
    """Print findings (already ordered by partner, then owner) as grouped tables; returns how many.

    ``subjects`` gives the identity entries of a chunk of findings (for age and last use)."""
    widths = column_widths(COLUMNS, console.width, RULE)
    header = line((Text(column.title, style="bold") for column in COLUMNS), widths)
    group: tuple[Any, Any] | None = None
    count = 0
    for chunk in _chunks(iter(findings)):
        identities = subjects(chunk)
        for finding in chunk:
            key = (finding.get("partner"), finding.get("owner"))
            if key != group:
                group = key
                console.print(_heading(*key))
                console.print(header)
            count += 1
            identity = identities.get((finding["connector"], finding["scope"], finding["identity"]))
            cells = (
                Text(finding["severity"], style=SEVERITY_STYLE.get(finding["severity"], "")),
                Text(finding["rule"]),
                Text(str(finding.get("identity_name") or finding["identity"])),
                Text(f"{finding['provider']}:{finding['scope']}"),
                Text(finding.get("credential") or "-"),
                Text(age_and_last_use(finding, identity, now)),
            )
            console.print(line(cells, widths), no_wrap=True, overflow="ellipsis")
            _print_indented(console, _message(finding))
            if remediation:
                fix = Text("fix: ", style="bold").append(finding["remediation"])
                _print_indented(console, fix.append(f" ({finding['id']})", style="dim"))
    if count == 0:
        console.print(Text("no findings", style="dim"))
    return count


def _heading(partner: str | None, owner: str | None) -> Text:
    text = Text("\n")
    text.append("partner ", style="dim").append(partner or "(none)", style="bold")
    return text.append("  owner ", style="dim").append(owner or "(none)", style="bold")


def _print_indented(console: Console, text: Text) -> None:
    """``text`` wrapped at spaces below the columns, without padding lines out to the width."""
    indent = Text(" " * MESSAGE_INDENT)
    for line in text.wrap(console, max(console.width, NARROWEST) - MESSAGE_INDENT):
        line.rstrip()
        console.print(indent + line, no_wrap=True, overflow="ellipsis")


def _message(finding: dict[str, Any]) -> Text:
    status = f"{finding['status']}, kept: not re-evaluated" if finding.get("carried") else finding["status"]
    text = Text(short_id(finding["id"]), style="dim").append(f" {status}: ").append(finding["message"])
    if finding.get("reason"):
        text.append(f" ({finding['reason']})")
    if finding.get("suppression"):
        text.append(f"; {accepted_risk_text(finding)}", style="dim" if finding.get("suppressed") else "")
    return text


def accepted_risk_text(finding: dict[str, Any]) -> str:
    """The accepted risk a run matched to a finding, in a few words ("" when none)."""
    accepted = finding.get("suppression")
    if not accepted:
        return ""
    state = "acceptance expired" if accepted["expired"] else "accepted until"
    return f"{state} {accepted['expires']} by {accepted['approver']}: {accepted['justification']}"


def _chunks(findings: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    while chunk := list(islice(findings, CHUNK)):
        yield chunk
