"""The sweep's renderings: table, JSON (its contract), CSV, Markdown and HTML evidence.

Commands are printed whole on their own lines (never wrapped mid-argument), so each can be
copied and run as printed.
"""

from __future__ import annotations

import csv
import json
from typing import Any, TextIO

from rich.console import Console
from rich.text import Text

from partner_nhi.formats import SweepFormat
from partner_nhi.outputs.html import duration_text, render
from partner_nhi.outputs.render import neutralised

CSV_COLUMNS = (
    "partner", "provider", "scope", "identity", "name", "kind", "state", "last_used", "owner", "sponsor",
    "step", "action", "revokes", "reversible", "command", "accepted_until",
)  # fmt: skip


def write_sweep(sweep: dict[str, Any], fmt: SweepFormat, stream: TextIO, console: Console | None = None) -> None:
    if fmt is SweepFormat.json:
        stream.write(json.dumps(sweep, indent=2) + "\n")
    elif fmt is SweepFormat.csv:
        _write_csv(sweep, stream)
    elif fmt is SweepFormat.markdown:
        render("sweep.md.jinja", stream, sweep=sweep)
    elif fmt is SweepFormat.html:
        render("sweep.html.jinja", stream, sweep=sweep)
    else:
        _print_table(sweep, console or Console(file=stream, color_system=None, force_terminal=False, width=120))


def _write_csv(sweep: dict[str, Any], stream: TextIO) -> None:
    """One row per revocation step (a holding without any has one row, its step empty)."""
    writer = csv.DictWriter(stream, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for holding in sweep["holdings"]:
        common = {
            "partner": sweep["partner"],
            "identity": holding["id"],
            **{key: holding[key] for key in ("provider", "scope", "name", "kind", "state", "last_used", "owner")},
            "sponsor": sweep["sponsor"],
            "accepted_until": holding["suppression"]["expires"] if holding["suppressed"] else None,
        }
        steps = holding["revocation"] or [None]
        for number, step in enumerate(steps, 1):
            row = dict(common)
            if step is not None:
                row |= {"step": number, **{key: step[key] for key in ("action", "revokes", "reversible", "command")}}
            writer.writerow({column: neutralised(value) for column, value in row.items()})


def _print_table(sweep: dict[str, Any], console: Console) -> None:
    run = sweep["run"]
    source = "scanned now"
    if run["source"] == "store":
        source = f"read from the store, {duration_text(run['age_seconds'])} old"
    console.print(
        Text.assemble(
            (sweep["partner"], "bold"),
            f" ({sweep['partner_status']}; sponsor {sweep['sponsor'] or 'none named'}): ",
            (f"{sweep['active']} active", "bold red" if sweep["outstanding"] else "bold green"),
            f" ({sweep['accepted']} accepted as a risk)" if sweep["accepted"] else "",
            f" of {len(sweep['holdings'])} held; run {run['id']} {run['status']}, {source}",
        )
    )
    for scope in sweep["incomplete_scopes"]:
        line = f"not complete: {scope['connector']}:{scope['scope']} {scope['status']}: {scope['error'] or ''}"
        console.print(Text(line, style="bold yellow"))
    for number, holding in enumerate(sweep["holdings"], 1):
        console.print(
            Text.assemble(
                f"\n{number}. ",
                (f"{holding['provider']}:{holding['name']}", "bold"),
                f" ({holding['kind']} in {holding['scope']}) ",
                (holding["state"], "red" if holding["active"] else "green"),
                f"; last used {holding['last_used']}; owner {holding['owner'] or '-'}",
            )
        )
        if holding["suppressed"]:
            accepted = holding["suppression"]
            line = f"   accepted until {accepted['expires']} by {accepted['approver']}: {accepted['justification']}"
            console.print(Text(line, style="yellow"))
        for credential in holding["credentials"]:
            console.print(Text(f"   {credential['kind']} {credential['id']}: {credential['status']}"))
        for trust in holding["trusts"]:
            console.print(Text(f"   trusts {trust['kind']} {trust['value']}"))
        for step in holding["revocation"]:
            console.print(Text(f"   # {step['action']}", style="dim"))
            console.print(Text(f"   {step['command']}"), soft_wrap=True)
        if not holding["revocation"]:
            console.print(Text(f"   no revocation command: {holding['revocation_unavailable']}", style="dim"))
